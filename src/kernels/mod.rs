//! Fused CPU kernels for the default `flex` backend, registered with Burn as a backend extension
//! (`#[backend_extension]`) with their own backward passes (autodiff.rs).
//!
//! Each replaces a model's hot loop that Burn composes from many small tensor operations: the
//! SNN's 25 LIF steps, the recurrent models' 28 steps, the CNN's conv → ReLU → pool blocks, the
//! MLP's dense layers. The
//! models call them only on a flex device ([`available`]); LibTorch trials and the reference
//! path (`WATTSWEEP_KERNELS=off`) keep Burn's own modules, and tests compare the two.
//!
//! Files: `dispatch` (the `Kernels` extension and the functions the models call), `simd` (CPU dispatch, fast exp), `gemm` (matrix products), one file per kernel, `flex`
//! (FlexTensor ↔ slices), `autodiff` (the Backward steps), `peak` (the machine's measured FMA peak,
//! for `wattsweep bench`).

mod autodiff;
mod buffers;
pub(crate) mod conv;
pub(crate) mod dense;
mod dispatch;
mod flex;
pub(crate) mod gemm;
pub(crate) mod lif;
pub(crate) mod peak;
pub(crate) mod recurrent;
pub(crate) mod simd;

pub(crate) use dispatch::{
    available, conv_pool, conv_relu_pool, dense, lif_sequence, lif_spikes, recurrent_last,
};
#[cfg(test)]
pub(crate) use dispatch::{max_rel_diff, with_reference};
pub(crate) use flex::into_f32s;
