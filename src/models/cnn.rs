//! The tutorial's CNN: conv 1→32 3×3, ReLU, maxpool 2; conv 32→64 3×3, ReLU, maxpool 2;
//! flatten (64×5×5 = 1600) → 10.

use super::shape::{CLASSES, SIDE};
use crate::kernels;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, Relu};
use burn::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CnnSettings {
    /// Output channels of the first convolution.
    pub channels1: usize,
    /// Output channels of the second convolution.
    pub channels2: usize,
}

impl Default for CnnSettings {
    fn default() -> Self {
        Self { channels1: 32, channels2: 64 }
    }
}

/// Side of the feature map after conv(3) → pool(2) → conv(3) → pool(2): 28 → 26 → 13 → 11 → 5.
const FINAL_SIDE: usize = ((SIDE - 2) / 2 - 2) / 2;

impl CnnSettings {
    pub(crate) fn init(&self, device: &Device) -> Cnn {
        Cnn {
            conv1: Conv2dConfig::new([1, self.channels1], [3, 3]).init(device),
            conv2: Conv2dConfig::new([self.channels1, self.channels2], [3, 3]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            activation: Relu::new(),
            output: LinearConfig::new(self.channels2 * FINAL_SIDE * FINAL_SIDE, CLASSES)
                .init(device),
        }
    }
}

#[derive(Module, Debug)]
pub(crate) struct Cnn {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    activation: Relu,
    output: Linear,
}

impl Cnn {
    /// The two convolutions and the output layer (for `deploy`'s packed copy).
    pub(crate) fn layers(&self) -> (&Conv2d, &Conv2d, &Linear) {
        (&self.conv1, &self.conv2, &self.output)
    }

    pub(crate) fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let [batch, _] = images.dims();
        let x = images.reshape([batch, 1, SIDE, SIDE]);
        let x = self.block(&self.conv1, x);
        let x = self.block(&self.conv2, x);
        self.output.forward(x.flatten(1, 3))
    }

    /// conv → ReLU → pool: one fused kernel on flex (src/kernels/conv.rs), Burn's modules elsewhere.
    fn block(&self, conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
        if let (true, Some(bias)) = (kernels::available(&x.device()), &conv.bias) {
            return kernels::conv_relu_pool(x, conv.weight.val(), bias.val());
        }
        self.pool.forward(self.activation.forward(conv.forward(x)))
    }
}
