//! Training: the loop of one trial (seed, init, epochs of shuffled mini-batches with
//! cross-entropy loss, an evaluation on the test set after every epoch, divergence detection).
//! It knows nothing about energy or files: the caller observes phase boundaries through
//! [`Hooks`] and reads its meters there.
//!
//! Files: `fit` (the loop, hooks, checkpoints of the training state, evaluation), `batches`
//! (prepared data and epoch order), `optim` (optimizers with PyTorch's defaults) → `adam` (fused
//! Adam), `infer` (the measured inference phase). This file only declares and re-exports.

mod adam;
mod batches;
mod fit;
pub(crate) mod infer;
mod optim;

#[cfg(test)]
pub(crate) use batches::Prepared;
pub(crate) use batches::TrialData;
pub(crate) use fit::{
    EpochReport, Hooks, Outcome, Phase, Resume, load_state, save_state, train, train_until,
};
#[cfg(test)]
pub(crate) use fit::{NoHooks, init_model, train_model};
