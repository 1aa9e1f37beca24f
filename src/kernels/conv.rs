//! The CNN's block in one operation: 3×3 convolution (stride 1, no padding) + bias, ReLU and 2×2
//! max-pooling (stride 2, floor), NCHW in and out, forward and backward. Without the ReLU
//! (`relu = false`) it is the hybrid CNN-SNN's block, whose pooled output is an input current.
//!
//! The convolution is an im2col copy and one matrix product per image (the way oneDNN and
//! PyTorch's CPU path do it); bias, ReLU and pooling are applied to the product while it is still
//! in cache, and the pooling remembers which input won so that the backward pass scatters each
//! gradient to one position. burn-flex spent most CNN time in its convolution backward (a
//! transposed convolution) and in layout copies between the separate ops.

use super::buffers::{Buf, scratch};
use super::gemm::{View, gemm};
use super::simd::simd_fn;
use rayon::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConvDims {
    pub batch: usize,
    pub cin: usize,
    pub height: usize,
    pub width: usize,
    pub cout: usize,
    /// Apply ReLU before pooling.
    pub relu: bool,
}

/// Marks a pooled output whose maximum was not positive: ReLU passes no gradient back.
const NONE: u32 = u32::MAX;

impl ConvDims {
    fn oh(&self) -> usize {
        self.height - 2
    }
    fn ow(&self) -> usize {
        self.width - 2
    }
    /// Pooled output side lengths.
    pub(crate) fn pooled(&self) -> (usize, usize) {
        (self.oh() / 2, self.ow() / 2)
    }
    /// Columns of the im2col matrix: one per input channel and kernel tap.
    fn k(&self) -> usize {
        self.cin * 9
    }
    fn positions(&self) -> usize {
        self.oh() * self.ow()
    }
    fn image_in(&self) -> usize {
        self.cin * self.height * self.width
    }
    fn image_out(&self) -> usize {
        let (ph, pw) = self.pooled();
        self.cout * ph * pw
    }
}

#[derive(Debug)]
pub(crate) struct Saved {
    /// im2col of every image, `[batch·positions, cin·9]`.
    col: Buf,
    /// Per pooled output, the winning convolution position, or `NONE`.
    arg: Vec<u32>,
}

/// Images per rayon task.
fn per_task(d: &ConvDims) -> usize {
    d.batch.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

/// Product rows aimed at per matrix product: the im2col rows of this many positions (several
/// images of the second convolution) amortise packing the weights, and the product's output
/// (`rows × cout`) still fits in L2 for the pooling that reads it.
const GEMM_ROWS: usize = 1024;

/// Images per matrix product.
fn per_gemm(d: &ConvDims) -> usize {
    (GEMM_ROWS / d.positions()).max(1)
}

/// `x` `[batch, cin, h, w]`, `weight` `[cout, cin, 3, 3]`, `bias` `[cout]` → `[batch, cout, ph, pw]`.
pub(crate) fn forward(
    d: ConvDims,
    x: &[f32],
    weight: &[f32],
    bias: &[f32],
    keep: bool,
) -> (Vec<f32>, Option<Saved>) {
    assert!(d.height >= 4 && d.width >= 4, "convolution input too small");
    assert_eq!(x.len(), d.batch * d.image_in(), "convolution input shape");
    assert_eq!(weight.len(), d.cout * d.k(), "convolution weight shape");
    assert_eq!(bias.len(), d.cout, "convolution bias shape");
    let (p, k) = (d.positions(), d.k());
    let mut y = vec![0.0f32; d.batch * d.image_out()];
    let mut arg = vec![NONE; if keep { y.len() } else { 0 }];
    let mut col = scratch(if keep { d.batch * p * k } else { 0 });
    let n = per_task(&d);
    let arg_chunk = if keep { n * d.image_out() } else { 1 };
    let col_chunk = if keep { n * p * k } else { 1 };
    let mut arg_parts: Vec<&mut [u32]> = arg.chunks_mut(arg_chunk).collect();
    let mut col_parts: Vec<&mut [f32]> = col.chunks_mut(col_chunk).collect();
    let tasks = d.batch.div_ceil(n);
    arg_parts.resize_with(tasks, Default::default);
    col_parts.resize_with(tasks, Default::default);
    let g = per_gemm(&d);
    y.par_chunks_mut(n * d.image_out())
        .zip(x.par_chunks(n * d.image_in()))
        .zip(arg_parts.into_par_iter().zip(col_parts))
        .for_each(|((y, x), (arg, col))| {
            let mut scratch_col = scratch(if keep { 0 } else { g * p * k });
            let mut out = scratch(g * p * d.cout);
            // `g` images at a time: their im2col rows, one product, then bias/ReLU/pool per image.
            let images = y.len() / d.image_out();
            for first in (0..images).step_by(g) {
                let m = g.min(images - first);
                let ci: &mut [f32] = if keep {
                    &mut col[first * p * k..(first + m) * p * k]
                } else {
                    &mut scratch_col[..m * p * k]
                };
                for (i, c) in ci.chunks_exact_mut(p * k).enumerate() {
                    im2col(&d, &x[(first + i) * d.image_in()..(first + i + 1) * d.image_in()], c);
                }
                gemm(
                    &mut out,
                    d.cout,
                    View::new(ci, m * p, k),
                    View::new(weight, d.cout, k).t(),
                    false,
                );
                for i in 0..m {
                    let at = (first + i) * d.image_out();
                    let ai = if keep { Some(&mut arg[at..at + d.image_out()]) } else { None };
                    let oi = &out[i * p * d.cout..(i + 1) * p * d.cout];
                    pool(&d, oi, bias, &mut y[at..at + d.image_out()], ai);
                }
            }
        });
    (y, keep.then_some(Saved { col, arg }))
}

fn im2col(d: &ConvDims, x: &[f32], col: &mut [f32]) {
    let (ow, k) = (d.ow(), d.k());
    for (pos, row) in col.chunks_exact_mut(k).enumerate() {
        let (oy, ox) = (pos / ow, pos % ow);
        for c in 0..d.cin {
            for ky in 0..3 {
                let src = (c * d.height + oy + ky) * d.width + ox;
                row[c * 9 + ky * 3..c * 9 + ky * 3 + 3].copy_from_slice(&x[src..src + 3]);
            }
        }
    }
}

/// Bias, ReLU (if `d.relu`) and 2×2 max-pool of one image's product `out` (`[positions, cout]`) into `y`.
fn pool(d: &ConvDims, out: &[f32], bias: &[f32], y: &mut [f32], mut arg: Option<&mut [u32]>) {
    let (ph, pw) = d.pooled();
    let (ow, co) = (d.ow(), d.cout);
    let mut best = vec![0.0f32; co];
    let mut at = vec![0u32; co];
    for py in 0..ph {
        for px in 0..pw {
            let pos =
                [(0, 0), (0, 1), (1, 0), (1, 1)].map(|(dy, dx)| (2 * py + dy) * ow + 2 * px + dx);
            let row = |i: usize| &out[pos[i] * co..(pos[i] + 1) * co];
            window_max(
                row(0),
                row(1),
                row(2),
                row(3),
                pos.map(|p| p as u32),
                bias,
                &mut best,
                &mut at,
            );
            for o in 0..co {
                let i = (o * ph + py) * pw + px;
                // NaN passes ReLU: a diverged layer must not look finite to the divergence check.
                let pass = !d.relu || best[o] > 0.0 || best[o].is_nan();
                y[i] = if pass { best[o] } else { 0.0 };
                if let Some(arg) = arg.as_deref_mut() {
                    arg[i] = if pass { at[o] } else { NONE };
                }
            }
        }
    }
}

simd_fn! {
    /// Per channel, the largest of four rows (plus bias) and which row it was (the first on ties;
    /// the first NaN if there is one).
    fn window_max(r0: &[f32], r1: &[f32], r2: &[f32], r3: &[f32], pos: [u32; 4], bias: &[f32], best: &mut [f32], at: &mut [u32]) {
        let n = best.len();
        let (r0, r1, r2, r3, bias, at) = (&r0[..n], &r1[..n], &r2[..n], &r3[..n], &bias[..n], &mut at[..n]);
        for o in 0..n {
            let (mut b, mut a) = (r0[o] + bias[o], pos[0]);
            for (v, p) in [(r1[o] + bias[o], pos[1]), (r2[o] + bias[o], pos[2]), (r3[o] + bias[o], pos[3])] {
                // A NaN wins (and stays): it must reach the loss.
                let better = v > b || v.is_nan();
                b = if better { v } else { b };
                a = if better { p } else { a };
            }
            best[o] = b;
            at[o] = a;
        }
    }
}

pub(crate) struct Grads {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    pub x: Option<Vec<f32>>,
}

/// Gradients from `grad` = ∂L/∂y (`[batch, cout, ph, pw]`).
///
/// Only a pool window's winner receives a gradient, so ∂L/∂(conv output) is at least ¾ zeros:
/// instead of dense products over it, each winner adds its gradient times its im2col row to the
/// weight gradient and times its weight row to the input's im2col gradient (4× fewer operations).
pub(crate) fn backward(
    d: ConvDims,
    weight: &[f32],
    s: &Saved,
    grad: &[f32],
    want_x: bool,
) -> Grads {
    let (p, k, co) = (d.positions(), d.k(), d.cout);
    assert_eq!(grad.len(), d.batch * d.image_out(), "convolution output gradient shape");
    let per_o = d.image_out() / co;
    let n = per_task(&d);
    let tasks = d.batch.div_ceil(n);
    // Per task: its images' weight and bias gradients (summed below) and, when asked, their
    // input gradients.
    let mut dx = vec![0.0f32; if want_x { d.batch * d.image_in() } else { 0 }];
    let dx_chunk = if want_x { n * d.image_in() } else { 1 };
    let mut dx_parts: Vec<&mut [f32]> = dx.chunks_mut(dx_chunk).collect();
    dx_parts.resize_with(tasks, Default::default);
    let partial: Vec<(Vec<f32>, Vec<f32>)> = (0..tasks)
        .into_par_iter()
        .zip(dx_parts)
        .map(|(task, dx)| {
            let mut dw = vec![0.0f32; co * k];
            let mut db = vec![0.0f32; co];
            let mut dcol = vec![0.0f32; if want_x { p * k } else { 0 }];
            let images = n.min(d.batch - task * n);
            for i in 0..images {
                let b = task * n + i;
                let col = &s.col[b * p * k..(b + 1) * p * k];
                if want_x {
                    dcol.fill(0.0);
                }
                for o in 0..co {
                    let w_o = &weight[o * k..(o + 1) * k];
                    let dw_o = &mut dw[o * k..(o + 1) * k];
                    for j in 0..per_o {
                        let at = b * d.image_out() + o * per_o + j;
                        let pos = s.arg[at];
                        if pos == NONE {
                            continue;
                        }
                        let (g, pos) = (grad[at], pos as usize);
                        db[o] += g;
                        axpy(dw_o, g, &col[pos * k..(pos + 1) * k]);
                        if want_x {
                            axpy(&mut dcol[pos * k..(pos + 1) * k], g, w_o);
                        }
                    }
                }
                if want_x {
                    col2im(&d, &dcol, &mut dx[i * d.image_in()..(i + 1) * d.image_in()]);
                }
            }
            (dw, db)
        })
        .collect();
    let mut parts = partial.into_iter();
    let (mut dw, mut db) = parts.next().unwrap_or_else(|| (vec![0.0; co * k], vec![0.0; co]));
    for (w, b) in parts {
        axpy(&mut dw, 1.0, &w);
        axpy(&mut db, 1.0, &b);
    }
    Grads { weight: dw, bias: db, x: want_x.then_some(dx) }
}

simd_fn! {
    /// `y += a·x`.
    fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
        let n = y.len();
        let x = &x[..n];
        for j in 0..n {
            y[j] += a * x[j];
        }
    }
}

/// Adds each im2col entry's gradient back to the input pixel it was copied from.
fn col2im(d: &ConvDims, dcol: &[f32], dx: &mut [f32]) {
    let (ow, k) = (d.ow(), d.k());
    for (pos, row) in dcol.chunks_exact(k).enumerate() {
        let (oy, ox) = (pos / ow, pos % ow);
        for c in 0..d.cin {
            for ky in 0..3 {
                let dst = (c * d.height + oy + ky) * d.width + ox;
                let src = &row[c * 9 + ky * 3..c * 9 + ky * 3 + 3];
                for (a, b) in dx[dst..dst + 3].iter_mut().zip(src) {
                    *a += *b;
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "tests/conv.rs"]
mod tests;
