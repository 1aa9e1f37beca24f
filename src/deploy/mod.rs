//! Forward-only inference at deployment speed: a trained model's weights packed once into the
//! layouts its kernels read ([`Plan`]), then images classified without Burn's tensors, autodiff
//! bookkeeping or per-call allocation.
//!
//! This is the path a trial's evaluation and inference phase take on the CPU backend (flex), so
//! that the joules per classified image describe inference as a deployed model would run it, as
//! ONNX Runtime does, not a training framework's forward pass. Files: `simd` (instruction sets
//! and vector registers), `dense` (dense layers, skipping inputs at their base value), `conv`
//! (the CNN's conv → ReLU → pool block, direct, channels last), `recurrent` (the recurrent
//! models' sequence: one image at a time from `dense` rows, larger batches through the training
//! kernels' streaming pass). The spiking models have no plan: they keep Burn's path.

mod conv;
mod dense;
mod plan;
mod recurrent;
mod simd;

pub(crate) use plan::{Plan, for_device};
#[cfg(test)]
pub(crate) use simd::Isa;
