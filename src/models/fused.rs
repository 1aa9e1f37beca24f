//! LSTM and GRU cells with their gates fused: each step does one input and one hidden matrix
//! product for all gates instead of Burn's two per gate (8 for an LSTM, 6 for a GRU), and no
//! `slice_assign` of every step's output. Built *from* Burn's `Lstm` and
//! `Gru` modules (same initialisation, same equations, PyTorch's gate order), so the results are
//! those of Burn's modules; a test checks the outputs agree.

use crate::kernels::{self, recurrent::Cell};
use burn::module::Param;
use burn::nn::{Gru, Linear, Lstm};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;

/// Concatenate the given linear layers along their outputs into one layer.
fn concat(layers: &[&Linear]) -> Linear {
    // detach: on an autodiff device the concatenation is a graph node; a parameter must be a leaf.
    let weight = Tensor::cat(layers.iter().map(|l| l.weight.val()).collect(), 1).detach();
    let bias = layers
        .iter()
        .map(|l| l.bias.as_ref().map(|b| b.val()))
        .collect::<Option<Vec<_>>>()
        .map(|bs| Param::from_tensor(Tensor::cat(bs, 0).detach()));
    Linear { weight: Param::from_tensor(weight), bias }
}

/// tanh(x) = 2·σ(2x) − 1. Burn-flex computes `tanh` with libm's scalar `tanhf` (built on `expm1f`),
/// which took 30 % of LSTM training time in `perf`; its sigmoid costs one `expf`. The identity is
/// exact; in f32 it differs from `tanhf` by at most a few 1e-8 near 0, far below training noise.
pub(super) fn tanh(x: Tensor<2>) -> Tensor<2> {
    sigmoid(x * 2.0) * 2.0 - 1.0
}

/// Step `t` of the raw input sequence, `[batch, features]`.
///
/// The input is data, not a graph node, so slicing it costs nothing in the backward pass. Slicing
/// a projection of the whole sequence instead would make every step's backward allocate and fill
/// a zero gradient of the whole `[batch, steps, gates·h]` projection — 28 times per batch.
pub(super) fn step(seq: &Tensor<3>, t: usize) -> Tensor<2> {
    let [batch, _, width] = seq.dims();
    seq.clone().slice([0..batch, t..t + 1, 0..width]).reshape([batch, width])
}

/// The whole sequence in one kernel (src/kernels/recurrent.rs) on flex; `None` elsewhere.
fn fused_kernel(cell: Cell, input: &Linear, hidden: &Linear, seq: &Tensor<3>) -> Option<Tensor<2>> {
    let (Some(b_ih), Some(b_hh)) = (&input.bias, &hidden.bias) else { return None };
    kernels::available(&seq.device()).then(|| {
        let (w_ih, b_ih) = (input.weight.val(), b_ih.val());
        let (w_hh, b_hh) = (hidden.weight.val(), b_hh.val());
        kernels::recurrent_last(cell, seq.clone(), w_ih, b_ih, w_hh, Some(b_hh))
    })
}

#[derive(Module, Debug)]
pub(crate) struct FusedLstm {
    /// Gates i, f, g, o of the input, with their input biases.
    input: Linear,
    /// Gates i, f, g, o of the hidden state, with their hidden biases.
    hidden: Linear,
    d_hidden: usize,
}

impl FusedLstm {
    /// The input and hidden projections, gates side by side (for `deploy`).
    pub(crate) fn projections(&self) -> (&Linear, &Linear) {
        (&self.input, &self.hidden)
    }

    pub(crate) fn from_burn(lstm: &Lstm) -> FusedLstm {
        let forget =
            lstm.forget_gate.as_ref().expect("the models never couple input and forget gates");
        let gates = [&lstm.input_gate, forget, &lstm.cell_gate, &lstm.output_gate];
        // Both biases stay separate parameters, as in Burn's module and PyTorch's: folded into one,
        // an adaptive optimizer would move their sum at half the speed.
        let input = concat(&gates.map(|g| &g.input_transform));
        let hidden = concat(&gates.map(|g| &g.hidden_transform));
        FusedLstm { input, hidden, d_hidden: lstm.d_hidden }
    }

    /// Final hidden state `[batch, hidden]`.
    pub(crate) fn forward(&self, seq: Tensor<3>) -> Tensor<2> {
        if let Some(h) = fused_kernel(Cell::Lstm, &self.input, &self.hidden, &seq) {
            return h;
        }
        let [batch, steps, _] = seq.dims();
        let h_dim = self.d_hidden;
        let device = seq.device();
        let mut h: Tensor<2> = Tensor::zeros([batch, h_dim], &device);
        let mut c: Tensor<2> = Tensor::zeros([batch, h_dim], &device);
        for t in 0..steps {
            let gates = self.input.forward(step(&seq, t)) + self.hidden.forward(h);
            let mut parts = gates.chunk(4, 1).into_iter();
            let (Some(i), Some(f), Some(g), Some(o)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                unreachable!("chunk(4) of a 4·h wide tensor")
            };
            c = sigmoid(f) * c + sigmoid(i) * tanh(g);
            h = sigmoid(o) * tanh(c.clone());
        }
        h
    }
}

#[derive(Module, Debug)]
pub(crate) struct FusedGru {
    /// Gates r, z, n of the input, with their input biases.
    input: Linear,
    /// Gates r, z, n of the hidden state, with their hidden biases (b_hn must stay inside r·(…)).
    hidden: Linear,
    d_hidden: usize,
}

impl FusedGru {
    /// The input and hidden projections, gates side by side (for `deploy`).
    pub(crate) fn projections(&self) -> (&Linear, &Linear) {
        (&self.input, &self.hidden)
    }

    pub(crate) fn from_burn(gru: &Gru) -> FusedGru {
        assert!(gru.reset_after, "the models use PyTorch's GRU (reset after the product)");
        let gates = [&gru.reset_gate, &gru.update_gate, &gru.new_gate];
        FusedGru {
            input: concat(&gates.map(|g| &g.input_transform)),
            hidden: concat(&gates.map(|g| &g.hidden_transform)),
            d_hidden: gru.d_hidden,
        }
    }

    /// Final hidden state `[batch, hidden]`.
    pub(crate) fn forward(&self, seq: Tensor<3>) -> Tensor<2> {
        if let Some(h) = fused_kernel(Cell::Gru, &self.input, &self.hidden, &seq) {
            return h;
        }
        let [batch, steps, _] = seq.dims();
        let mut h: Tensor<2> = Tensor::zeros([batch, self.d_hidden], &seq.device());
        for t in 0..steps {
            let mut x = self.input.forward(step(&seq, t)).chunk(3, 1).into_iter();
            let mut r_h = self.hidden.forward(h.clone()).chunk(3, 1).into_iter();
            let (Some(xr), Some(xz), Some(xn), Some(hr), Some(hz), Some(hn)) =
                (x.next(), x.next(), x.next(), r_h.next(), r_h.next(), r_h.next())
            else {
                unreachable!("chunk(3) of a 3·h wide tensor")
            };
            let r = sigmoid(xr + hr);
            let z = sigmoid(xz + hz);
            let n = tanh(xn + r * hn);
            // h' = (1 − z)·n + z·h = n + z·(h − n)
            h = n.clone() + z * (h - n);
        }
        h
    }
}

#[cfg(test)]
#[path = "tests/fused.rs"]
mod tests;
