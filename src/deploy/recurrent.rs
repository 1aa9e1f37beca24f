//! The recurrent models' sequence for inference: the last hidden state of a tanh RNN, LSTM or
//! GRU over an image's 28 rows.
//!
//! A few images (batch 1) run one at a time: each step's two projections are [`Dense`] rows (the
//! input's skipping blank pixels, the hidden state's read with the weights in registers) and the
//! training kernels' cell functions apply the gates. The matrix-product library's per-call cost
//! dominated a single image's 56 small products. Larger batches take the training kernels'
//! streaming forward pass, blocks of rows step by step, whose products reuse each weight across
//! the rows of a block.

use super::dense::{Active, Dense};
use super::simd::Isa;
use crate::kernels::recurrent::{
    self, Cell, Dims, Weights, add, cell_bias, gru_cell, lstm_cell, tanh_cell,
};

/// Images at or below which a batch runs one image at a time.
pub(super) const ONE_BY_ONE: usize = 2;

#[derive(Clone, Debug)]
pub(crate) struct Sequence {
    cell: Cell,
    steps: usize,
    input: usize,
    hidden: usize,
    w_ih: Vec<f32>,
    b_ih: Vec<f32>,
    w_hh: Vec<f32>,
    /// Absent for the tanh RNN.
    b_hh: Option<Vec<f32>>,
    /// x_t·W_ih, no bias (the cells add it).
    ih: Dense,
    /// h_{t−1}·W_hh, no bias.
    hh: Dense,
    /// What the cell adds to the input projection (`kernels::recurrent::cell_bias`).
    bias: Vec<f32>,
}

/// A thread's buffers for one image's sequence.
#[derive(Default)]
pub(crate) struct Steps {
    a: Vec<f32>,
    gh: Vec<f32>,
    h: Vec<f32>,
    h_prev: Vec<f32>,
    c: Vec<f32>,
    c_prev: Vec<f32>,
    hn: Vec<f32>,
    active: Active,
}

impl Sequence {
    /// Weights as Burn's `Linear`s store them (`[in, gates·hidden]`); `blank`: a blank pixel.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        cell: Cell,
        steps: usize,
        input: usize,
        w_ih: Vec<f32>,
        b_ih: Vec<f32>,
        w_hh: Vec<f32>,
        b_hh: Option<Vec<f32>>,
        blank: f32,
    ) -> Sequence {
        let g = b_ih.len();
        let hidden = g / cell.gates();
        let zeros = vec![0.0f32; g];
        let ih = Dense::new(input, g, &w_ih, &zeros, Some, false, blank);
        let hh = Dense::new(hidden, g, &w_hh, &zeros, Some, false, 0.0);
        let w = Weights { w_ih: &w_ih, b_ih: &b_ih, w_hh: &w_hh, b_hh: b_hh.as_deref() };
        let bias = cell_bias(cell, &w);
        Sequence { cell, steps, input, hidden, w_ih, b_ih, w_hh, b_hh, ih, hh, bias }
    }

    pub(crate) fn hidden(&self) -> usize {
        self.hidden
    }

    pub(crate) fn finite(&self) -> bool {
        let ok = |v: &[f32]| v.iter().all(|x| x.is_finite());
        ok(&self.w_ih)
            && ok(&self.b_ih)
            && ok(&self.w_hh)
            && self.b_hh.as_deref().is_none_or(ok)
            && self.ih.finite()
            && self.hh.finite()
    }

    /// h_T `[n, hidden]` of `n` sequences `[steps, input]`.
    /// `steps`: the calling thread's buffers for the one-at-a-time path.
    pub(crate) fn last(&self, isa: Isa, x: &[f32], steps: &mut Steps) -> Vec<f32> {
        let n = x.len() / (self.steps * self.input);
        if n > ONE_BY_ONE {
            let d = Dims { batch: n, steps: self.steps, input: self.input, hidden: self.hidden };
            let w = Weights {
                w_ih: &self.w_ih,
                b_ih: &self.b_ih,
                w_hh: &self.w_hh,
                b_hh: self.b_hh.as_deref(),
            };
            return recurrent::forward(self.cell, d, x, &w, false).0;
        }
        let mut out = Vec::with_capacity(n * self.hidden);
        for seq in x.chunks_exact(self.steps * self.input) {
            out.extend_from_slice(self.one(isa, seq, steps));
        }
        out
    }

    /// h_T of one sequence.
    fn one<'s>(&self, isa: Isa, x: &[f32], s: &'s mut Steps) -> &'s [f32] {
        let (h_n, g_w) = (self.hidden, self.ih.width());
        s.a.resize(g_w, 0.0);
        s.gh.resize(g_w, 0.0);
        for v in [&mut s.h, &mut s.h_prev, &mut s.c, &mut s.c_prev, &mut s.hn] {
            v.clear();
            v.resize(h_n, 0.0);
        }
        let b_hh = self.b_hh.as_deref().unwrap_or(&[]);
        for x_t in x.chunks_exact(self.input) {
            self.ih.row(isa, x_t, &mut s.a, &mut s.active);
            // h_0 = 0: no input differs from 0, so the product is 0 without a special case.
            self.hh.row(isa, &s.h_prev, &mut s.gh, &mut s.active);
            match self.cell {
                Cell::Tanh => {
                    add(&mut s.a, &s.gh);
                    tanh_cell(&mut s.a, &self.bias, &mut s.h);
                }
                Cell::Lstm => {
                    add(&mut s.a, &s.gh);
                    lstm_cell(&mut s.a, &self.bias, &s.c_prev, &mut s.c, &mut s.h);
                }
                Cell::Gru => {
                    gru_cell(&mut s.a, &self.bias, &s.gh, b_hh, &s.h_prev, &mut s.hn, &mut s.h)
                }
            }
            std::mem::swap(&mut s.h, &mut s.h_prev);
            std::mem::swap(&mut s.c, &mut s.c_prev);
        }
        &s.h_prev
    }
}
