//! Recurrent models reading the 28 image rows as 28 time steps of 28 features; the hidden state
//! after the last step goes through a linear layer to the 10 classes. `rnn` is a tanh RNN
//! (PyTorch's `nn.RNN`), `lstm` and `gru` are Burn's modules with their gates fused (fused.rs).
//!
//! The tanh RNN is written out here rather than taken from `burn::nn::Rnn`, which assembles its
//! output sequence with a `slice_assign` per step that the model never reads.

use super::fused::{FusedGru, FusedLstm, step, tanh};
use super::shape::{CLASSES, SIDE};
use crate::kernels::{self, recurrent::Cell};
use burn::nn::{GruConfig, Initializer, Linear, LinearConfig, LstmConfig};
use burn::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecurrentCell {
    Tanh,
    Lstm,
    Gru,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RecurrentSettings {
    pub cell: RecurrentCell,
    /// Size of the hidden state.
    pub hidden: usize,
}

impl RecurrentSettings {
    pub(crate) fn new(cell: RecurrentCell) -> Self {
        Self { cell, hidden: 128 }
    }

    pub(crate) fn init(&self, device: &Device) -> Recurrent {
        let h = self.hidden;
        // PyTorch initialises every recurrent weight and bias from U(-1/√h, 1/√h).
        let bound = 1.0 / (h as f64).sqrt();
        let uniform = Initializer::Uniform { min: -bound, max: bound };
        let body = match self.cell {
            RecurrentCell::Tanh => RecurrentBody::Tanh(TanhRnn {
                input: LinearConfig::new(SIDE, h).with_initializer(uniform.clone()).init(device),
                recurrent: LinearConfig::new(h, h)
                    .with_bias(false)
                    .with_initializer(uniform)
                    .init(device),
                hidden: h,
            }),
            // Initialised as Burn's modules, then their gates fused (see fused.rs).
            RecurrentCell::Lstm => RecurrentBody::Lstm(FusedLstm::from_burn(
                &LstmConfig::new(SIDE, h, true).with_initializer(uniform).init(device),
            )),
            RecurrentCell::Gru => RecurrentBody::Gru(FusedGru::from_burn(
                &GruConfig::new(SIDE, h, true).with_initializer(uniform).init(device),
            )),
        };
        Recurrent { body, output: LinearConfig::new(h, CLASSES).init(device) }
    }
}

#[derive(Module, Debug)]
pub(crate) struct TanhRnn {
    input: Linear,
    recurrent: Linear,
    hidden: usize,
}

impl TanhRnn {
    /// The input and recurrent projections (for `deploy`).
    pub(crate) fn projections(&self) -> (&Linear, &Linear) {
        (&self.input, &self.recurrent)
    }

    /// Final hidden state `[batch, hidden]` for a sequence `[batch, steps, features]`.
    fn forward(&self, seq: Tensor<3>) -> Tensor<2> {
        if let (true, Some(b_ih)) = (kernels::available(&seq.device()), &self.input.bias) {
            let (w_ih, b_ih) = (self.input.weight.val(), b_ih.val());
            let w_hh = self.recurrent.weight.val();
            return kernels::recurrent_last(Cell::Tanh, seq, w_ih, b_ih, w_hh, None);
        }
        let [batch, steps, _] = seq.dims();
        let mut h: Tensor<2> = Tensor::zeros([batch, self.hidden], &seq.device());
        for t in 0..steps {
            h = tanh(self.input.forward(step(&seq, t)) + self.recurrent.forward(h));
        }
        h
    }
}

#[derive(Module, Debug)]
pub(crate) enum RecurrentBody {
    Tanh(TanhRnn),
    Lstm(FusedLstm),
    Gru(FusedGru),
}

#[derive(Module, Debug)]
pub(crate) struct Recurrent {
    body: RecurrentBody,
    output: Linear,
}

impl Recurrent {
    /// The cell, its input and hidden projections, and the output layer (for `deploy`).
    pub(crate) fn layers(&self) -> (Cell, &Linear, &Linear, &Linear) {
        let (cell, (input, hidden)) = match &self.body {
            RecurrentBody::Tanh(rnn) => (Cell::Tanh, rnn.projections()),
            RecurrentBody::Lstm(lstm) => (Cell::Lstm, lstm.projections()),
            RecurrentBody::Gru(gru) => (Cell::Gru, gru.projections()),
        };
        (cell, input, hidden, &self.output)
    }

    pub(crate) fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let [batch, _] = images.dims();
        let seq = images.reshape([batch, SIDE, SIDE]);
        let last = match &self.body {
            RecurrentBody::Tanh(rnn) => rnn.forward(seq),
            RecurrentBody::Lstm(lstm) => lstm.forward(seq),
            RecurrentBody::Gru(gru) => gru.forward(seq),
        };
        self.output.forward(last)
    }
}
