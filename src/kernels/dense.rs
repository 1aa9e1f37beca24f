//! A dense layer in one operation: `y = x·W + b`, optionally followed by ReLU, forward and
//! backward (the MLP's two layers).
//!
//! Burn composes it from a matrix product, a broadcast bias add and a ReLU, each a new tensor
//! (burn-flex zero-fills and copies every new buffer) and an autodiff node, and in the backward
//! pass a ReLU mask, a bias sum and the product's two gradients. Here the product writes the
//! output unfilled (no zero fill, nothing read back), one pass adds the bias and applies ReLU,
//! and the backward pass masks the gradient, sums it for the bias and makes the two products
//! (the input's only when asked). Large batches (evaluation) are split by rows, each thread
//! running its rows from product to ReLU; smaller ones let the `gemm` crate split each product
//! across the trial's threads. Layout: `W` is `[in, out]`, as Burn's `Linear` stores it.

use super::gemm::{View, gemm_new, gemm_uninit};
use super::simd::simd_fn;
use rayon::prelude::*;
use std::mem::MaybeUninit;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DenseDims {
    pub batch: usize,
    pub input: usize,
    pub output: usize,
    pub relu: bool,
}

/// `x` `[batch, in]`, `w` `[in, out]`, `b` `[out]` → `[batch, out]`.
pub(crate) fn forward(d: DenseDims, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
    assert_eq!(x.len(), d.batch * d.input, "dense input shape");
    assert_eq!(w.len(), d.input * d.output, "dense weight shape");
    assert_eq!(b.len(), d.output, "dense bias shape");
    let len = d.batch * d.output;
    let mut y: Vec<f32> = Vec::with_capacity(len);
    let out = &mut y.spare_capacity_mut()[..len];
    let threads = rayon::current_num_threads().max(1);
    if d.batch >= ROWS_PER_TASK * threads && d.input > 0 && d.output > 0 {
        // Large batches (evaluation): each thread runs its rows from product to ReLU, no
        // synchronisation inside the product. Every chunk of `out` is visited (its rows of `x`
        // are sliced by its index), so every element is written.
        let rows = d.batch.div_ceil(threads);
        out.par_chunks_mut(rows * d.output).enumerate().for_each(|(i, y)| {
            let (first, n) = (i * rows, y.len() / d.output);
            rows_forward(d, &x[first * d.input..(first + n) * d.input], w, b, y, false);
        });
    } else {
        rows_forward(d, x, w, b, out, true);
    }
    // SAFETY: `rows_forward` initialised every row of `out`, i.e. the first `len` elements.
    unsafe { y.set_len(len) };
    y
}

/// Rows per thread from which a batch is split by rows rather than inside each product (every
/// thread then packs the weights itself, a cost that only large row counts amortise).
const ROWS_PER_TASK: usize = 256;

/// `y = act(x·W + b)` for the rows of `x` into unfilled `y`; `split`: let the product use the
/// pool's threads.
fn rows_forward(
    d: DenseDims,
    x: &[f32],
    w: &[f32],
    b: &[f32],
    y: &mut [MaybeUninit<f32>],
    split: bool,
) {
    let rows = y.len() / d.output.max(1);
    let y = gemm_uninit(y, View::new(x, rows, d.input), View::new(w, d.input, d.output), split);
    add_bias(y, b, d.relu);
}

pub(crate) struct Grads {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    pub x: Option<Vec<f32>>,
}

/// Gradients from `grad` = ∂L/∂y; `y` is the forward output (its sign is ReLU's gradient).
pub(crate) fn backward(
    d: DenseDims,
    x: &[f32],
    w: &[f32],
    y: &[f32],
    grad: &[f32],
    want_x: bool,
) -> Grads {
    assert_eq!(grad.len(), d.batch * d.output, "dense output gradient shape");
    let mut masked;
    let dz: &[f32] = if d.relu {
        masked = grad.to_vec();
        relu_mask(&mut masked, y);
        &masked
    } else {
        grad
    };
    let mut bias = vec![0.0f32; d.output];
    for row in dz.chunks_exact(d.output) {
        add(&mut bias, row);
    }
    let weight = gemm_new(View::new(x, d.batch, d.input).t(), View::new(dz, d.batch, d.output));
    let x = want_x
        .then(|| gemm_new(View::new(dz, d.batch, d.output), View::new(w, d.input, d.output).t()));
    Grads { weight, bias, x }
}

simd_fn! {
    /// `y[r, j] += b[j]` for every row `r`, then ReLU if `relu`; NaN stays NaN (a diverged layer
    /// must not look finite to the divergence check).
    fn add_bias(y: &mut [f32], b: &[f32], relu: bool) {
        if b.is_empty() {
            return;
        }
        for row in y.chunks_exact_mut(b.len()) {
            for (v, &bj) in row.iter_mut().zip(b) {
                let z = *v + bj;
                *v = if relu && z < 0.0 { 0.0 } else { z };
            }
        }
    }
}

simd_fn! {
    /// Zero the gradient where ReLU's output was not positive (a NaN output passes it, as in
    /// Burn's ReLU backward).
    fn relu_mask(g: &mut [f32], y: &[f32]) {
        let n = g.len();
        let y = &y[..n];
        for j in 0..n {
            g[j] = if y[j] <= 0.0 { 0.0 } else { g[j] };
        }
    }
}

simd_fn! {
    fn add(dst: &mut [f32], src: &[f32]) {
        let n = dst.len();
        let src = &src[..n];
        for j in 0..n {
            dst[j] += src[j];
        }
    }
}

#[cfg(test)]
#[path = "tests/dense.rs"]
mod tests;
