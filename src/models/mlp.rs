//! The tutorial's multilayer perceptron: 784 → hidden ReLU → 10.

use super::shape::{CLASSES, PIXELS};
use crate::kernels;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MlpSettings {
    /// Width of the hidden layer.
    pub hidden: usize,
}

impl Default for MlpSettings {
    fn default() -> Self {
        Self { hidden: 512 }
    }
}

impl MlpSettings {
    pub(crate) fn init(&self, device: &Device) -> Mlp {
        Mlp {
            hidden: LinearConfig::new(PIXELS, self.hidden).init(device),
            activation: Relu::new(),
            output: LinearConfig::new(self.hidden, CLASSES).init(device),
        }
    }
}

#[derive(Module, Debug)]
pub(crate) struct Mlp {
    hidden: Linear,
    activation: Relu,
    output: Linear,
}

impl Mlp {
    /// The hidden and output layers (for `deploy`'s packed copy).
    pub(crate) fn layers(&self) -> [&Linear; 2] {
        [&self.hidden, &self.output]
    }

    /// One fused kernel per layer on flex (src/kernels/dense.rs), Burn's modules elsewhere.
    pub(crate) fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        if kernels::available(&images.device())
            && let (Some(b1), Some(b2)) = (&self.hidden.bias, &self.output.bias)
        {
            let h = kernels::dense(images, self.hidden.weight.val(), b1.val(), true);
            return kernels::dense(h, self.output.weight.val(), b2.val(), false);
        }
        self.output.forward(self.activation.forward(self.hidden.forward(images)))
    }
}
