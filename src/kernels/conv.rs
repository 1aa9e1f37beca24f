//! The CNN's block in one operation: 3×3 convolution (stride 1, no padding) + bias, ReLU and 2×2
//! max-pooling (stride 2, floor), NCHW in and out, forward and backward. Without the ReLU
//! (`relu = false`) it is the hybrid CNN-SNN's block, whose pooled output is an input current.
//!
//! The convolution is an im2col copy and one matrix product per image (the way oneDNN and
//! PyTorch's CPU path do it); bias, ReLU and pooling are applied to the product while it is still
//! in cache, and the pooling remembers which input won so that the backward pass scatters each
//! gradient to one position. burn-flex spent most CNN time in its convolution backward (a
//! transposed convolution) and in layout copies between the separate ops.

use super::buffers::{Buf, zeroed};
use super::gemm::{View, gemm};
use super::simd::simd_fn;
use rayon::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvDims {
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
    pub fn pooled(&self) -> (usize, usize) {
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
pub struct Saved {
    /// im2col of every image, `[batch·positions, cin·9]`.
    col: Buf,
    /// Per pooled output, the winning convolution position, or `NONE`.
    arg: Vec<u32>,
}

/// Images per rayon task.
fn per_task(d: &ConvDims) -> usize {
    d.batch.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

/// `x` `[batch, cin, h, w]`, `weight` `[cout, cin, 3, 3]`, `bias` `[cout]` → `[batch, cout, ph, pw]`.
pub fn forward(
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
    let mut col = zeroed(if keep { d.batch * p * k } else { 0 });
    let n = per_task(&d);
    let arg_chunk = if keep { n * d.image_out() } else { 1 };
    let col_chunk = if keep { n * p * k } else { 1 };
    let mut arg_parts: Vec<&mut [u32]> = arg.chunks_mut(arg_chunk).collect();
    let mut col_parts: Vec<&mut [f32]> = col.chunks_mut(col_chunk).collect();
    let tasks = d.batch.div_ceil(n);
    arg_parts.resize_with(tasks, Default::default);
    col_parts.resize_with(tasks, Default::default);
    y.par_chunks_mut(n * d.image_out())
        .zip(x.par_chunks(n * d.image_in()))
        .zip(arg_parts.into_par_iter().zip(col_parts))
        .for_each(|((y, x), (arg, col))| {
            let mut scratch_col = zeroed(if keep { 0 } else { p * k });
            let mut out = vec![0.0f32; p * d.cout];
            for (i, (yi, xi)) in y.chunks_mut(d.image_out()).zip(x.chunks(d.image_in())).enumerate()
            {
                let ci: &mut [f32] =
                    if keep { &mut col[i * p * k..(i + 1) * p * k] } else { &mut scratch_col };
                im2col(&d, xi, ci);
                gemm(
                    &mut out,
                    d.cout,
                    View::new(ci, p, k),
                    View::new(weight, d.cout, k).t(),
                    false,
                );
                let ai = if keep {
                    Some(&mut arg[i * d.image_out()..(i + 1) * d.image_out()])
                } else {
                    None
                };
                pool(&d, &out, bias, yi, ai);
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
                let pass = !d.relu || best[o] > 0.0;
                y[i] = if pass { best[o] } else { 0.0 };
                if let Some(arg) = arg.as_deref_mut() {
                    arg[i] = if pass { at[o] } else { NONE };
                }
            }
        }
    }
}

simd_fn! {
    /// Per channel, the largest of four rows (plus bias) and which row it was (the first on ties).
    fn window_max(r0: &[f32], r1: &[f32], r2: &[f32], r3: &[f32], pos: [u32; 4], bias: &[f32], best: &mut [f32], at: &mut [u32]) {
        let n = best.len();
        let (r0, r1, r2, r3, bias, at) = (&r0[..n], &r1[..n], &r2[..n], &r3[..n], &bias[..n], &mut at[..n]);
        for o in 0..n {
            let (mut b, mut a) = (r0[o] + bias[o], pos[0]);
            for (v, p) in [(r1[o] + bias[o], pos[1]), (r2[o] + bias[o], pos[2]), (r3[o] + bias[o], pos[3])] {
                let better = v > b;
                b = if better { v } else { b };
                a = if better { p } else { a };
            }
            best[o] = b;
            at[o] = a;
        }
    }
}

pub struct Grads {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    pub x: Option<Vec<f32>>,
}

/// Gradients from `grad` = ∂L/∂y (`[batch, cout, ph, pw]`).
pub fn backward(d: ConvDims, weight: &[f32], s: &Saved, grad: &[f32], want_x: bool) -> Grads {
    let (p, k, co) = (d.positions(), d.k(), d.cout);
    assert_eq!(grad.len(), d.batch * d.image_out(), "convolution output gradient shape");
    // ∂L/∂(conv output), [batch·positions, cout]: nonzero only where a pool window's positive max was.
    let mut dout = zeroed(d.batch * p * co);
    let mut bias = vec![0.0f32; co];
    let per_o = d.image_out() / co;
    for b in 0..d.batch {
        for o in 0..co {
            for j in 0..per_o {
                let i = b * d.image_out() + o * per_o + j;
                let pos = s.arg[i];
                if pos != NONE {
                    dout[(b * p + pos as usize) * co + o] = grad[i];
                    bias[o] += grad[i];
                }
            }
        }
    }
    let mut dw = vec![0.0f32; co * k];
    gemm(
        &mut dw,
        k,
        View::new(&dout, d.batch * p, co).t(),
        View::new(&s.col, d.batch * p, k),
        false,
    );
    let x = want_x.then(|| {
        let mut dx = vec![0.0f32; d.batch * d.image_in()];
        let n = per_task(&d);
        dx.par_chunks_mut(n * d.image_in()).zip(dout.par_chunks(n * p * co)).for_each(
            |(dx, dout)| {
                let mut dcol = zeroed(p * k);
                for (dxi, douti) in dx.chunks_mut(d.image_in()).zip(dout.chunks(p * co)) {
                    gemm(&mut dcol, k, View::new(douti, p, co), View::new(weight, co, k), false);
                    col2im(&d, &dcol, dxi);
                }
            },
        );
        dx
    });
    Grads { weight: dw, bias, x }
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
