//! Whole-sequence recurrent layers (tanh RNN, LSTM, GRU) forward and backward through time.
//!
//! Burn composes a recurrent step from ~10–25 tensor operations, each with an autodiff node and
//! an allocation, 28 times per batch; here one call runs the sequence. The input projection of
//! all steps is one matrix product; each step adds `h_{t−1}·W_hh` in place and applies the gate
//! non-linearities row by row. Batch rows are independent through time, so the batch is split
//! across rayon's threads for the whole sequence (no per-step synchronisation); the weight
//! gradients are then single large products over all rows and steps. Evaluation and inference
//! keep nothing for a backward pass: they run blocks of rows step by step in cache instead.
//!
//! Layouts follow Burn's `Linear` (weight `[in, out]`) and PyTorch's gate order: LSTM columns
//! i, f, g, o; GRU r, z, n with `b_hn` inside `r·(…)` (reset after the product).

use super::buffers::{Buf, scratch};
use super::gemm::{View, gemm, gemm_new};
use super::simd::{sigmoid, simd_fn, tanh};
use rayon::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cell {
    Tanh,
    Lstm,
    Gru,
}

impl Cell {
    /// Gate blocks per hidden unit in the projections.
    pub(crate) fn gates(self) -> usize {
        match self {
            Cell::Tanh => 1,
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dims {
    pub batch: usize,
    pub steps: usize,
    pub input: usize,
    pub hidden: usize,
}

/// Weights as Burn stores them; `b_hh` is absent for the tanh RNN.
pub(crate) struct Weights<'a> {
    pub w_ih: &'a [f32],
    pub b_ih: &'a [f32],
    pub w_hh: &'a [f32],
    pub b_hh: Option<&'a [f32]>,
}

/// What the backward pass needs from the forward pass.
#[derive(Debug)]
pub(crate) struct Saved {
    /// Per step: LSTM gate activations i, f, g, o; GRU r, z, n; tanh RNN unused.
    acts: Buf,
    /// Per step: LSTM cell state c_t; GRU `h_{t−1}·W_hn + b_hn`; tanh RNN unused.
    aux: Buf,
    /// Per step: hidden state h_t, `[batch, steps, hidden]`.
    hs: Buf,
}

/// Gradients of the weights (and of the input when asked).
pub(crate) struct Grads {
    pub w_ih: Vec<f32>,
    pub b_ih: Vec<f32>,
    pub w_hh: Vec<f32>,
    pub b_hh: Vec<f32>,
    pub x: Option<Vec<f32>>,
}

/// Disjoint per-thread slices of the batch.
struct Part<'a> {
    rows: usize,
    x: &'a [f32],
    acts: &'a mut [f32],
    aux: &'a mut [f32],
    hs: &'a mut [f32],
}

/// Rows per thread (at least one).
fn rows_per_part(batch: usize) -> usize {
    batch.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

/// Split `buf` into consecutive pieces of `rows·per_row` elements.
fn split<'a>(mut buf: &'a mut [f32], rows: &[usize], per_row: usize) -> Vec<&'a mut [f32]> {
    rows.iter()
        .map(|&r| {
            let (head, tail) = std::mem::take(&mut buf).split_at_mut(r * per_row);
            buf = tail;
            head
        })
        .collect()
}

fn part_rows(batch: usize) -> Vec<usize> {
    let per = rows_per_part(batch);
    (0..batch).step_by(per).map(|b| per.min(batch - b)).collect()
}

/// Runs the sequence `x` (`[batch, steps, input]`); returns h_T (`[batch, hidden]`) and, with
/// `keep`, what the backward pass needs. Without `keep` the rows run in blocks of
/// [`STREAM_ROWS`], step by step, and nothing of the sequence is stored.
pub(crate) fn forward(
    cell: Cell,
    d: Dims,
    x: &[f32],
    w: &Weights,
    keep: bool,
) -> (Vec<f32>, Option<Saved>) {
    let (t_n, h_n, g_n) = (d.steps, d.hidden, cell.gates() * d.hidden);
    assert_eq!(x.len(), d.batch * t_n * d.input, "recurrent input shape");
    if !keep {
        return (forward_streaming(cell, d, x, w), None);
    }
    // Written in full below: the projection, the cells' c/h (LSTM), h_{t−1}·W_hn (GRU) and h.
    let mut acts = scratch(d.batch * t_n * g_n);
    let aux_len = if cell == Cell::Tanh { 0 } else { d.batch * t_n * h_n };
    let mut aux = scratch(aux_len);
    let mut hs = scratch(d.batch * t_n * h_n);
    let rows = part_rows(d.batch);
    let aux_row = if cell == Cell::Tanh { 0 } else { t_n * h_n };
    let xs: Vec<&[f32]> = {
        let mut rest = x;
        rows.iter()
            .map(|&r| {
                let (head, tail) = rest.split_at(r * t_n * d.input);
                rest = tail;
                head
            })
            .collect()
    };
    let parts: Vec<Part> = xs
        .into_iter()
        .zip(split(&mut acts, &rows, t_n * g_n))
        .zip(split(&mut aux, &rows, aux_row))
        .zip(split(&mut hs, &rows, t_n * h_n))
        .zip(&rows)
        .map(|((((x, acts), aux), hs), &rows)| Part { rows, x, acts, aux, hs })
        .collect();
    parts.into_par_iter().for_each(|p| forward_part(cell, d, w, p));
    let mut last = vec![0.0f32; d.batch * h_n];
    for b in 0..d.batch {
        let at = (b * t_n + t_n - 1) * h_n;
        last[b * h_n..(b + 1) * h_n].copy_from_slice(&hs[at..at + h_n]);
    }
    (last, Some(Saved { acts, aux, hs }))
}

/// Rows per block of the forward pass that keeps nothing for a backward pass (evaluation and
/// inference): a block's gates, h and c for one step (LSTM: 128 KiB of gates at 64 rows) stay
/// in the core's cache with the weights (LSTM: ~450 KiB in all, tuned on Zen 3's 512 KiB L2;
/// 32 and 128 rows were slower there), where a whole sequence's gates (57 MB for an evaluation
/// batch of 1000) would stream from memory every step. Blocks go to whichever thread is free.
const STREAM_ROWS: usize = 64;

/// h_T of every row, step by step per block of rows, keeping only the current step.
fn forward_streaming(cell: Cell, d: Dims, x: &[f32], w: &Weights) -> Vec<f32> {
    let (t_n, h_n) = (d.steps, d.hidden);
    assert!(d.input > 0, "recurrent input width 0");
    let mut last = vec![0.0f32; d.batch * h_n];
    if d.batch == 0 || h_n == 0 || t_n == 0 {
        // No rows, no units, or no steps: h_T is h_0 = 0.
        return last;
    }
    let rows = STREAM_ROWS.min(rows_per_part(d.batch));
    let bias = cell_bias(cell, w);
    last.par_chunks_mut(rows * h_n)
        .zip(x.par_chunks(rows * t_n * d.input))
        .for_each(|(h_out, x)| stream_block(cell, d, w, &bias, x, h_out));
    last
}

/// One block of rows through the whole sequence; `h_out` receives h_T. `bias`: [`cell_bias`].
fn stream_block(cell: Cell, d: Dims, w: &Weights, bias: &[f32], x: &[f32], h_out: &mut [f32]) {
    let (t_n, h_n, g_n) = (d.steps, d.hidden, cell.gates() * d.hidden);
    let nb = h_out.len() / h_n;
    let w_ih = View::new(w.w_ih, d.input, g_n);
    let w_hh = View::new(w.w_hh, h_n, g_n);
    let mut act = vec![0.0f32; nb * g_n];
    let mut gh = vec![0.0f32; if cell == Cell::Gru { nb * g_n } else { 0 }];
    let mut hn = vec![0.0f32; if cell == Cell::Gru { h_n } else { 0 }];
    // h_{t−1} and h_t, swapped after each step (as c_{t−1} and c_t).
    let (mut h_prev, mut h_next) = (vec![0.0f32; nb * h_n], vec![0.0f32; nb * h_n]);
    let b_hh = if cell == Cell::Gru { w.b_hh.expect("GRU has a hidden bias") } else { &[] };
    let cells = if cell == Cell::Lstm { nb * h_n } else { 0 };
    let (mut c_prev, mut c) = (vec![0.0f32; cells], vec![0.0f32; cells]);
    for t in 0..t_n {
        // This step's input of every row: rows `steps·input` apart.
        gemm(
            &mut act,
            g_n,
            View::strided(&x[t * d.input..], nb, d.input, t_n * d.input),
            w_ih,
            false,
        );
        if t > 0 {
            let h = View::new(&h_prev, nb, h_n);
            match cell {
                Cell::Gru => gemm(&mut gh, g_n, h, w_hh, false),
                _ => gemm(&mut act, g_n, h, w_hh, true),
            }
        } else if cell == Cell::Gru {
            gh.fill(0.0);
        }
        for b in 0..nb {
            let (a, r) = (&mut act[b * g_n..(b + 1) * g_n], b * h_n..(b + 1) * h_n);
            let h = &mut h_next[r.clone()];
            match cell {
                Cell::Tanh => tanh_cell(a, bias, h),
                Cell::Lstm => lstm_cell(a, bias, &c_prev[r.clone()], &mut c[r], h),
                Cell::Gru => {
                    gru_cell(a, bias, &gh[b * g_n..(b + 1) * g_n], b_hh, &h_prev[r], &mut hn, h)
                }
            }
        }
        // h_t and c_t become h_{t−1} and c_{t−1} of the next step.
        std::mem::swap(&mut h_next, &mut h_prev);
        std::mem::swap(&mut c, &mut c_prev);
    }
    h_out.copy_from_slice(&h_prev);
}

/// The bias the cells add to the input projection: `b_ih`, plus `b_hh` for the LSTM (both add
/// to the same pre-activation; the GRU adds `b_hh` inside its reset gate).
pub(crate) fn cell_bias(cell: Cell, w: &Weights) -> Vec<f32> {
    let mut bias = w.b_ih.to_vec();
    if cell == Cell::Lstm {
        add(&mut bias, w.b_hh.expect("LSTM has a hidden bias"));
    }
    bias
}

fn forward_part(cell: Cell, d: Dims, w: &Weights, p: Part) {
    let (t_n, h_n, g_n) = (d.steps, d.hidden, cell.gates() * d.hidden);
    let nb = p.rows;
    // Input projection of every step: [nb·T, I]·[I, G] plus the input bias (and, for the
    // LSTM, the hidden bias, which adds to the same pre-activation).
    // The biases are added by the cells, not in a pass of their own.
    gemm(p.acts, g_n, View::new(p.x, nb * t_n, d.input), View::new(w.w_ih, d.input, g_n), false);
    let bias = cell_bias(cell, w);
    let zeros = vec![0.0f32; h_n];
    let mut gh = vec![0.0f32; if cell == Cell::Gru { nb * g_n } else { 0 }];
    for t in 0..t_n {
        let w_hh = View::new(w.w_hh, h_n, g_n);
        if cell == Cell::Gru {
            // gh = h_{t−1}·W_hh, kept apart: r multiplies its n block (b_hh added in the cell).
            if t > 0 {
                gemm(
                    &mut gh,
                    g_n,
                    View::strided(&p.hs[(t - 1) * h_n..], nb, h_n, t_n * h_n),
                    w_hh,
                    false,
                );
            } else {
                gh.fill(0.0);
            }
        } else if t > 0 {
            gemm(
                &mut p.acts[t * g_n..],
                t_n * g_n,
                View::strided(&p.hs[(t - 1) * h_n..], nb, h_n, t_n * h_n),
                w_hh,
                true,
            );
        }
        for b in 0..nb {
            let at = b * t_n + t;
            let act = &mut p.acts[at * g_n..(at + 1) * g_n];
            let (done, h_rest) = p.hs.split_at_mut(at * h_n);
            let h = &mut h_rest[..h_n];
            let h_prev = if t > 0 { &done[(at - 1) * h_n..at * h_n] } else { &zeros[..] };
            match cell {
                Cell::Tanh => tanh_cell(act, &bias, h),
                Cell::Lstm => {
                    let (c_done, c_rest) = p.aux.split_at_mut(at * h_n);
                    let c_prev = if t > 0 { &c_done[(at - 1) * h_n..at * h_n] } else { &zeros[..] };
                    lstm_cell(act, &bias, c_prev, &mut c_rest[..h_n], h);
                }
                Cell::Gru => {
                    let ghr = &gh[b * g_n..(b + 1) * g_n];
                    let b_hh = w.b_hh.expect("GRU has a hidden bias");
                    let hn = &mut p.aux[at * h_n..(at + 1) * h_n];
                    gru_cell(act, &bias, ghr, b_hh, h_prev, hn, h);
                }
            }
        }
    }
}

/// Backward through time from `grad` = ∂L/∂h_T (`[batch, hidden]`).
pub(crate) fn backward(
    cell: Cell,
    d: Dims,
    x: &[f32],
    w: &Weights,
    saved: &Saved,
    grad: &[f32],
    want_x: bool,
) -> Grads {
    let (t_n, h_n, g_n) = (d.steps, d.hidden, cell.gates() * d.hidden);
    assert_eq!(grad.len(), d.batch * h_n, "recurrent output gradient shape");
    // ∂L/∂(pre-activations) per step; the GRU has a second one for its hidden projection.
    // Every step of every row is written by the cells' backward functions.
    let mut dg = scratch(d.batch * t_n * g_n);
    let mut dgh = scratch(if cell == Cell::Gru { d.batch * t_n * g_n } else { 0 });
    let rows = part_rows(d.batch);
    let dgh_row = if cell == Cell::Gru { t_n * g_n } else { 0 };
    let mut starts = Vec::with_capacity(rows.len());
    let mut b0 = 0;
    for &r in &rows {
        starts.push(b0);
        b0 += r;
    }
    // W_hhᵀ laid out row-major once: the per-step products dh = dg·W_hhᵀ then read it as it is.
    // Through a transposed view of W_hh the `gemm` crate packs the whole matrix again in every
    // step of every part (perf: ~30 % of LSTM training on AVX-512).
    let w_hh_t = transpose(w.w_hh, h_n, g_n);
    split(&mut dg, &rows, t_n * g_n)
        .into_iter()
        .zip(split(&mut dgh, &rows, dgh_row))
        .zip(starts.into_iter().zip(&rows))
        .collect::<Vec<_>>()
        .into_par_iter()
        .for_each(|((dg, dgh), (b0, &nb))| {
            backward_part(cell, d, &w_hh_t, saved, grad, b0, nb, dg, dgh)
        });

    // Weight gradients over all rows and steps at once, split across the threads (also inside a
    // trial's pool, where `gemm` would stay on one thread).
    let rows_all = d.batch * t_n;
    let mut h_prev = scratch(rows_all * h_n);
    for b in 0..d.batch {
        let base = b * t_n * h_n;
        h_prev[base..base + h_n].fill(0.0);
        h_prev[base + h_n..base + t_n * h_n]
            .copy_from_slice(&saved.hs[base..base + (t_n - 1) * h_n]);
    }
    let dg_hidden = if cell == Cell::Gru { &dgh } else { &dg };
    Grads {
        w_ih: gemm_new(View::new(x, rows_all, d.input).t(), View::new(&dg, rows_all, g_n)),
        b_ih: col_sums(&dg, g_n),
        w_hh: gemm_new(View::new(&h_prev, rows_all, h_n).t(), View::new(dg_hidden, rows_all, g_n)),
        b_hh: col_sums(dg_hidden, g_n),
        x: want_x
            .then(|| gemm_new(View::new(&dg, rows_all, g_n), View::new(w.w_ih, d.input, g_n).t())),
    }
}

#[allow(clippy::too_many_arguments)]
fn backward_part(
    cell: Cell,
    d: Dims,
    w_hh_t: &[f32],
    s: &Saved,
    grad: &[f32],
    b0: usize,
    nb: usize,
    dg: &mut [f32],
    dgh: &mut [f32],
) {
    let (t_n, h_n, g_n) = (d.steps, d.hidden, cell.gates() * d.hidden);
    let zeros = vec![0.0f32; h_n];
    let mut dh = grad[b0 * h_n..(b0 + nb) * h_n].to_vec();
    let mut dc = vec![0.0f32; if cell == Cell::Lstm { nb * h_n } else { 0 }];
    let w_hh_t = View::new(w_hh_t, g_n, h_n);
    for t in (0..t_n).rev() {
        for b in 0..nb {
            let local = b * t_n + t;
            let at = (b0 + b) * t_n + t;
            let h = &s.hs[at * h_n..(at + 1) * h_n];
            let h_prev = if t > 0 { &s.hs[(at - 1) * h_n..at * h_n] } else { &zeros[..] };
            let dhr = &mut dh[b * h_n..(b + 1) * h_n];
            let dgr = &mut dg[local * g_n..(local + 1) * g_n];
            match cell {
                Cell::Tanh => tanh_back(h, dhr, dgr),
                Cell::Lstm => {
                    let c_prev = if t > 0 { &s.aux[(at - 1) * h_n..at * h_n] } else { &zeros[..] };
                    let act = &s.acts[at * g_n..(at + 1) * g_n];
                    lstm_back(
                        act,
                        &s.aux[at * h_n..(at + 1) * h_n],
                        c_prev,
                        dhr,
                        &mut dc[b * h_n..(b + 1) * h_n],
                        dgr,
                    );
                }
                Cell::Gru => {
                    let act = &s.acts[at * g_n..(at + 1) * g_n];
                    let hn = &s.aux[at * h_n..(at + 1) * h_n];
                    gru_back(act, hn, h_prev, dhr, dgr, &mut dgh[local * g_n..(local + 1) * g_n]);
                }
            }
        }
        if t > 0 {
            // ∂L/∂h_{t−1} = (∂L/∂ hidden pre-activations)·W_hhᵀ (+ the GRU's direct z·dh, in dh).
            let (src, acc) = match cell {
                Cell::Gru => (&dgh[t * g_n..], true),
                _ => (&dg[t * g_n..], false),
            };
            gemm(&mut dh, h_n, View::strided(src, nb, g_n, t_n * g_n), w_hh_t, acc);
        }
    }
}

/// The row-major transpose of the row-major `rows × cols` matrix `m`.
fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    assert_eq!(m.len(), rows * cols, "transpose: shape");
    let mut t = vec![0.0f32; rows * cols];
    for (i, row) in m.chunks_exact(cols.max(1)).enumerate() {
        for (j, &v) in row.iter().enumerate() {
            t[j * rows + i] = v;
        }
    }
    t
}

fn col_sums(m: &[f32], cols: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; cols];
    for row in m.chunks_exact(cols) {
        add(&mut out, row);
    }
    out
}

simd_fn! {
    /// `dst += src`, element by element.
    pub(crate) fn add(dst: &mut [f32], src: &[f32]) {
        for (d, s) in dst.iter_mut().zip(src) {
            *d += *s;
        }
    }
}

simd_fn! {
    wide;
    pub(crate) fn tanh_cell(a: &mut [f32], bias: &[f32], h: &mut [f32]) {
        let n = h.len();
        let (a, bias) = (&a[..n], &bias[..n]);
        for j in 0..n {
            h[j] = tanh::<M>(a[j] + bias[j]);
        }
    }
}

simd_fn! {
    fn tanh_back(h: &[f32], dh: &mut [f32], dg: &mut [f32]) {
        let n = h.len();
        let (dh, dg) = (&dh[..n], &mut dg[..n]);
        for j in 0..n {
            dg[j] = dh[j] * (1.0 - h[j] * h[j]);
        }
    }
}

simd_fn! {
    wide;
    pub(crate) fn lstm_cell(a: &mut [f32], bias: &[f32], c_prev: &[f32], c: &mut [f32], h: &mut [f32]) {
        let n = c.len();
        let (ai, rest) = a.split_at_mut(n);
        let (af, rest) = rest.split_at_mut(n);
        let (ag, ao) = rest.split_at_mut(n);
        let (ao, c_prev, h) = (&mut ao[..n], &c_prev[..n], &mut h[..n]);
        let (bi, bf, bg, bo) = (&bias[..n], &bias[n..2 * n], &bias[2 * n..3 * n], &bias[3 * n..4 * n]);
        for j in 0..n {
            let i = sigmoid::<M>(ai[j] + bi[j]);
            let f = sigmoid::<M>(af[j] + bf[j]);
            let g = tanh::<M>(ag[j] + bg[j]);
            let o = sigmoid::<M>(ao[j] + bo[j]);
            ai[j] = i;
            af[j] = f;
            ag[j] = g;
            ao[j] = o;
            let cc = f * c_prev[j] + i * g;
            c[j] = cc;
            h[j] = o * tanh::<M>(cc);
        }
    }
}

simd_fn! {
    fn lstm_back(a: &[f32], c: &[f32], c_prev: &[f32], dh: &mut [f32], dc: &mut [f32], dg: &mut [f32]) {
        let n = c.len();
        let (ai, af, ag, ao) = (&a[..n], &a[n..2 * n], &a[2 * n..3 * n], &a[3 * n..4 * n]);
        let (c_prev, dh, dc) = (&c_prev[..n], &dh[..n], &mut dc[..n]);
        let (dgi, rest) = dg.split_at_mut(n);
        let (dgf, rest) = rest.split_at_mut(n);
        let (dgg, dgo) = rest.split_at_mut(n);
        let dgo = &mut dgo[..n];
        for j in 0..n {
            let (i, f, g, o) = (ai[j], af[j], ag[j], ao[j]);
            let tc = tanh::<M>(c[j]);
            let dcj = dc[j] + dh[j] * o * (1.0 - tc * tc);
            dgi[j] = dcj * g * i * (1.0 - i);
            dgf[j] = dcj * c_prev[j] * f * (1.0 - f);
            dgg[j] = dcj * i * (1.0 - g * g);
            dgo[j] = dh[j] * tc * o * (1.0 - o);
            dc[j] = dcj * f;
        }
    }
}

simd_fn! {
    wide;
    /// `gh` = h_{t−1}·W_hh without its bias `b_hh`; `b_ih` adds to the input projection `a`.
    pub(crate) fn gru_cell(a: &mut [f32], b_ih: &[f32], gh: &[f32], b_hh: &[f32], h_prev: &[f32], hn_out: &mut [f32], h: &mut [f32]) {
        let n = h.len();
        let (ar, rest) = a.split_at_mut(n);
        let (az, an) = rest.split_at_mut(n);
        let an = &mut an[..n];
        let (ghr, ghz, ghn) = (&gh[..n], &gh[n..2 * n], &gh[2 * n..3 * n]);
        let (bir, biz, bin) = (&b_ih[..n], &b_ih[n..2 * n], &b_ih[2 * n..3 * n]);
        let (bhr, bhz, bhn) = (&b_hh[..n], &b_hh[n..2 * n], &b_hh[2 * n..3 * n]);
        let (h_prev, hn_out) = (&h_prev[..n], &mut hn_out[..n]);
        for j in 0..n {
            let r = sigmoid::<M>(ar[j] + bir[j] + (ghr[j] + bhr[j]));
            let z = sigmoid::<M>(az[j] + biz[j] + (ghz[j] + bhz[j]));
            let hn = ghn[j] + bhn[j];
            let nn = tanh::<M>(an[j] + bin[j] + r * hn);
            ar[j] = r;
            az[j] = z;
            an[j] = nn;
            hn_out[j] = hn;
            h[j] = nn + z * (h_prev[j] - nn);
        }
    }
}

simd_fn! {
    fn gru_back(a: &[f32], hn: &[f32], h_prev: &[f32], dh: &mut [f32], dgx: &mut [f32], dgh: &mut [f32]) {
        let n = hn.len();
        let (ar, az, an) = (&a[..n], &a[n..2 * n], &a[2 * n..3 * n]);
        let (h_prev, dh) = (&h_prev[..n], &mut dh[..n]);
        let (dxr, rest) = dgx.split_at_mut(n);
        let (dxz, dxn) = rest.split_at_mut(n);
        let (dhr, rest) = dgh.split_at_mut(n);
        let (dhz, dhn) = rest.split_at_mut(n);
        let (dxn, dhn) = (&mut dxn[..n], &mut dhn[..n]);
        for j in 0..n {
            let (r, z, nn, g) = (ar[j], az[j], an[j], dh[j]);
            let dan = g * (1.0 - z) * (1.0 - nn * nn);
            let dar = dan * hn[j] * r * (1.0 - r);
            let daz = g * (h_prev[j] - nn) * z * (1.0 - z);
            dxr[j] = dar;
            dxz[j] = daz;
            dxn[j] = dan;
            dhr[j] = dar;
            dhz[j] = daz;
            dhn[j] = dan * r;
            // The direct path h_{t−1} → h_t; the gemm adds the path through W_hh.
            dh[j] = g * z;
        }
    }
}

#[cfg(test)]
#[path = "tests/recurrent.rs"]
mod tests;
