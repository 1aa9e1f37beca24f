//! Which optimizer a trial trains with: the names users write. Building one (with PyTorch's
//! defaults) is `train::optim`'s job; this file stays a leaf so settings can name optimizers
//! without depending on the training code.

use crate::names::Named;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum OptimizerKind {
    Adam,
    AdamW,
    Sgd,
    RmsProp,
}

impl Named for OptimizerKind {
    const ALL: &'static [Self] =
        &[OptimizerKind::Adam, OptimizerKind::AdamW, OptimizerKind::Sgd, OptimizerKind::RmsProp];

    fn name(self) -> &'static str {
        match self {
            OptimizerKind::Adam => "adam",
            OptimizerKind::AdamW => "adamw",
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::RmsProp => "rmsprop",
        }
    }
}
