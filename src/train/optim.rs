//! Optimizers with PyTorch's defaults set explicitly. Burn's defaults differ (Adam/AdamW/RMSprop
//! epsilon 1e-5 instead of 1e-8, SGD momentum dampening 0.1 instead of 0, RMSprop momentum 0.9
//! instead of 0, AdamW weight decay 1e-4 instead of 0.01), which would make a comparison with the
//! PyTorch tutorial quietly unfair.

use super::adam::FusedAdam;
use crate::kernels;
use crate::optimizer::OptimizerKind;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, AdamWConfig, ModuleOptimizer, RmsPropConfig, SgdConfig};
use burn::prelude::Device;

/// PyTorch's epsilon for Adam, AdamW and RMSprop.
const EPSILON: f32 = 1e-8;
/// PyTorch's default AdamW weight decay.
const ADAMW_WEIGHT_DECAY: f64 = 0.01;

/// Build the optimizer. `momentum` is used by SGD and RMSprop; `weight_decay` `None` means
/// the PyTorch default of that optimizer.
///
/// On a device where wattsweep's kernels run (flex), Adam is the fused one-pass version
/// (adam.rs), which computes the same update.
pub(super) fn build(
    kind: OptimizerKind,
    momentum: f64,
    weight_decay: Option<f64>,
    device: &Device,
) -> ModuleOptimizer {
    let l2 = weight_decay.filter(|w| *w > 0.0).map(|w| WeightDecayConfig::new(w as f32));
    match kind {
        OptimizerKind::Adam if kernels::available(device) => ModuleOptimizer::from(FusedAdam {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: EPSILON,
            weight_decay: weight_decay.filter(|w| *w > 0.0).map(|w| w as f32),
        }),
        OptimizerKind::Adam => AdamConfig::new()
            .with_beta_1(0.9)
            .with_beta_2(0.999)
            .with_epsilon(EPSILON)
            .with_weight_decay(l2)
            .init(),
        OptimizerKind::AdamW => AdamWConfig::new()
            .with_beta_1(0.9)
            .with_beta_2(0.999)
            .with_epsilon(EPSILON)
            .with_weight_decay(weight_decay.unwrap_or(ADAMW_WEIGHT_DECAY) as f32)
            .init(),
        OptimizerKind::Sgd => {
            let momentum = (momentum > 0.0).then(|| {
                MomentumConfig::new()
                    .with_momentum(momentum)
                    .with_dampening(0.0)
                    .with_nesterov(false)
            });
            SgdConfig::new().with_momentum(momentum).with_weight_decay(l2).init()
        }
        OptimizerKind::RmsProp => RmsPropConfig::new()
            .with_alpha(0.99)
            .with_momentum(momentum as f32)
            .with_epsilon(EPSILON)
            .with_centered(false)
            .with_weight_decay(l2)
            .init(),
    }
}
