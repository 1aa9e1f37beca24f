//! Recurrent models reading the 28 image rows as 28 time steps of 28 features; the hidden state
//! after the last step goes through a linear layer to the 10 classes. `rnn` is a tanh RNN
//! (PyTorch's `nn.RNN`), `lstm` and `gru` use Burn's modules.
//!
//! The tanh RNN is written out here rather than taken from `burn::nn::Rnn` because the input
//! projection of all 28 steps can then be one matrix product, leaving only the small recurrent
//! product inside the loop.

use super::{CLASSES, SIDE};
use burn::nn::{Initializer, Gru, GruConfig, Linear, LinearConfig, Lstm, LstmConfig};
use burn::prelude::*;
use burn::tensor::activation::tanh;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecurrentCell {
    Tanh,
    Lstm,
    Gru,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RecurrentSettings {
    pub cell: RecurrentCell,
    /// Size of the hidden state.
    pub hidden: usize,
}

impl RecurrentSettings {
    pub fn new(cell: RecurrentCell) -> Self {
        Self { cell, hidden: 128 }
    }

    pub fn init(&self, device: &Device) -> Recurrent {
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
            RecurrentCell::Lstm => RecurrentBody::Lstm(
                LstmConfig::new(SIDE, h, true).with_initializer(uniform).init(device),
            ),
            RecurrentCell::Gru => RecurrentBody::Gru(
                GruConfig::new(SIDE, h, true).with_initializer(uniform).init(device),
            ),
        };
        Recurrent { body, output: LinearConfig::new(h, CLASSES).init(device) }
    }
}

#[derive(Module, Debug)]
pub struct TanhRnn {
    input: Linear,
    recurrent: Linear,
    hidden: usize,
}

impl TanhRnn {
    /// Final hidden state `[batch, hidden]` for a sequence `[batch, steps, features]`.
    fn forward(&self, seq: Tensor<3>) -> Tensor<2> {
        let [batch, steps, _] = seq.dims();
        let projected = self.input.forward(seq); // [batch, steps, hidden], one matmul
        let mut h: Tensor<2> = Tensor::zeros([batch, self.hidden], &projected.device());
        for t in 0..steps {
            let x_t = projected.clone().slice([0..batch, t..t + 1]).squeeze_dim::<2>(1);
            h = tanh(x_t + self.recurrent.forward(h));
        }
        h
    }
}

#[derive(Module, Debug)]
pub enum RecurrentBody {
    Tanh(TanhRnn),
    Lstm(Lstm),
    Gru(Gru),
}

#[derive(Module, Debug)]
pub struct Recurrent {
    body: RecurrentBody,
    output: Linear,
}

impl Recurrent {
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let [batch, _] = images.dims();
        let seq = images.reshape([batch, SIDE, SIDE]);
        let last = match &self.body {
            RecurrentBody::Tanh(rnn) => rnn.forward(seq),
            RecurrentBody::Lstm(lstm) => lstm.forward(seq, None).1.hidden,
            RecurrentBody::Gru(gru) => {
                let out = gru.forward(seq, None); // [batch, steps, hidden]
                let [b, steps, h] = out.dims();
                out.slice([0..b, steps - 1..steps, 0..h]).reshape([b, h])
            }
        };
        self.output.forward(last)
    }
}
