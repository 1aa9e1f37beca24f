//! A hybrid CNN-SNN (the tutorial's "future work"): the CNN's front end with spiking neurons.
//!
//!   conv 1→c1 3×3 → max-pool 2 → LIF → conv c1→c2 3×3 → max-pool 2 → LIF → linear (c2·5·5 → 10),
//!
//! run for `steps` time steps; the read-out is summed over the steps. The first convolution sees
//! the static image, so it is computed once and its pooled output is the first LIF layer's input
//! current at every step (direct encoding). The second convolution sees that layer's spikes, a
//! different map at each step; since nothing flows back from layer 2 to layer 1, layer 1 runs all
//! its steps first and the second convolution runs once over the steps stacked along the batch.

use super::shape::{CLASSES, SIDE};
use super::spiking::{LifSettings, LifState};
use crate::kernels::{
    self,
    lif::{Lif, Surrogate},
};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CsnnSettings {
    pub channels1: usize,
    pub channels2: usize,
    /// Both spiking layers' dynamics and surrogate gradient.
    pub lif: LifSettings,
}

impl Default for CsnnSettings {
    /// The CNN's channels; 4 steps and β = 0.5 (docs/grid.md explains the choice).
    fn default() -> Self {
        Self { channels1: 32, channels2: 64, lif: LifSettings::new(4, 0.5) }
    }
}

/// Side after conv(3) → pool(2): 28 → 26 → 13, then 13 → 11 → 5.
pub(crate) const SIDE1: usize = (SIDE - 2) / 2;
pub(crate) const SIDE2: usize = (SIDE1 - 2) / 2;

impl CsnnSettings {
    pub(crate) fn init(&self, device: &Device) -> Csnn {
        Csnn {
            conv1: Conv2dConfig::new([1, self.channels1], [3, 3]).init(device),
            conv2: Conv2dConfig::new([self.channels1, self.channels2], [3, 3]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            output: LinearConfig::new(self.channels2 * SIDE2 * SIDE2, CLASSES).init(device),
            channels1: self.channels1,
            channels2: self.channels2,
            steps: self.lif.steps,
            beta: self.lif.beta,
            threshold: self.lif.threshold,
            surrogate: self.lif.kernel_surrogate(),
        }
    }

    /// `key=value` pairs for the canonical form: the channels, then the LIF settings'.
    pub(crate) fn canonical(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("channels1", self.channels1.to_string()),
            ("channels2", self.channels2.to_string()),
        ];
        out.extend(self.lif.canonical());
        out
    }
}

#[derive(Module, Debug)]
pub(crate) struct Csnn {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    output: Linear,
    channels1: usize,
    channels2: usize,
    steps: usize,
    beta: f64,
    threshold: f64,
    #[module(skip)]
    surrogate: Surrogate,
}

/// What the spiking layers did on a batch (all 1-element tensors, summed over images and steps).
pub(crate) struct CsnnSpikes {
    pub layer1: Tensor<1>,
    pub layer2: Tensor<1>,
    /// Accumulates an event-driven chip would do: each layer-1 spike × the second convolution's
    /// outputs it reaches, plus each layer-2 spike × 10 read-out neurons.
    pub accumulates: Tensor<1>,
}

impl Csnn {
    /// Spiking neurons per image of each layer (× steps: the slots of the firing rate).
    pub(crate) fn neurons(&self) -> [usize; 2] {
        [self.channels1 * SIDE1 * SIDE1, self.channels2 * SIDE2 * SIDE2]
    }
    pub(crate) fn steps(&self) -> usize {
        self.steps
    }

    /// Logits `[batch, 10]`.
    pub(crate) fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let (_, sum2) = self.spiking_layers(images);
        self.readout(sum2)
    }

    /// Logits and what the spiking layers did (the statistics cost tensor work of their own, so
    /// only evaluation asks for them).
    pub(crate) fn forward_counting(&self, images: Tensor<2>) -> (Tensor<2>, CsnnSpikes) {
        let device = images.device();
        let (spikes1, sum2) = self.spiking_layers(images);
        let stats = {
            let s1 = spikes1.detach();
            let count2 = sum2.clone().detach().sum();
            let reach = fan_out(SIDE1, &device).reshape([1, 1, SIDE1, SIDE1]);
            let acs = (s1.clone() * reach).sum() * self.channels2 as f64
                + count2.clone() * CLASSES as f64;
            CsnnSpikes { layer1: s1.sum(), layer2: count2, accumulates: acs }
        };
        (self.readout(sum2), stats)
    }

    /// Σ_t readout(spk_t) = W·Σ_t spk_t + steps·b: one matmul instead of `steps`.
    fn readout(&self, sum2: Tensor<2>) -> Tensor<2> {
        let mut logits = self.output.forward(sum2);
        if let Some(bias) = &self.output.bias {
            logits = logits + bias.val().unsqueeze::<2>() * (self.steps as f64 - 1.0);
        }
        logits
    }

    /// Layer 1's spikes of every step `[steps·batch, c1, 13, 13]` and layer 2's spikes summed over
    /// the steps `[batch, c2·5·5]`.
    fn spiking_layers(&self, images: Tensor<2>) -> (Tensor<4>, Tensor<2>) {
        let [batch, _] = images.dims();
        let device = images.device();
        let x = images.reshape([batch, 1, SIDE, SIDE]);
        let current1 = self.block(&self.conv1, x);
        let [_, c1, h1, w1] = current1.dims();
        let width = self.channels2 * SIDE2 * SIDE2;
        let (spikes1, sum2) = if kernels::available(&device) {
            // The same current at every step: repeated along a leading time axis (its gradient
            // sums over the steps), then one pass over all steps per layer.
            let lif = Lif {
                steps: self.steps,
                beta: self.beta as f32,
                threshold: self.threshold as f32,
                surrogate: self.surrogate,
            };
            let repeated = current1.unsqueeze::<5>().repeat_dim(0, self.steps);
            let spikes1 =
                kernels::lif_sequence(repeated, lif).reshape([self.steps * batch, c1, h1, w1]);
            let current2 =
                self.block(&self.conv2, spikes1.clone()).reshape([self.steps, batch, width]);
            let spikes2 = kernels::lif_sequence(current2, lif);
            (spikes1, spikes2.sum_dim(0).reshape([batch, width]))
        } else {
            let mut lif1 = LifState::new(self.beta, self.threshold, self.surrogate);
            let spikes1: Vec<Tensor<4>> =
                (0..self.steps).map(|_| lif1.step(current1.clone())).collect();
            let spikes1 = Tensor::cat(spikes1, 0); // [steps·batch, c1, 13, 13]
            let current2 =
                self.block(&self.conv2, spikes1.clone()).reshape([self.steps, batch, width]);
            let mut lif2 = LifState::new(self.beta, self.threshold, self.surrogate);
            let mut sum2: Tensor<2> = Tensor::zeros([batch, width], &device);
            for t in 0..self.steps {
                let i =
                    current2.clone().slice([t..t + 1, 0..batch, 0..width]).reshape([batch, width]);
                sum2 = sum2 + lif2.step(i);
            }
            (spikes1, sum2)
        };
        (spikes1, sum2)
    }
}

impl Csnn {
    /// conv → pool (no ReLU: the pooled output is a current, negative values inhibit): one fused
    /// kernel on flex (src/kernels/conv.rs), Burn's modules elsewhere.
    fn block(&self, conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
        if let (true, Some(bias)) = (kernels::available(&x.device()), &conv.bias) {
            return kernels::conv_pool(x, conv.weight.val(), bias.val());
        }
        self.pool.forward(conv.forward(x))
    }
}

/// Per input position of a `side`×`side` map, how many outputs of a valid 3×3 convolution it
/// feeds (9 inside, fewer at the borders): its fan-out per output channel.
pub(crate) fn fan_out(side: usize, device: &Device) -> Tensor<2> {
    let out = side - 2;
    let reach = |p: usize| (p.min(out - 1) + 1 - p.saturating_sub(2)) as f32;
    let data: Vec<f32> =
        (0..side).flat_map(|y| (0..side).map(move |x| reach(y) * reach(x))).collect();
    Tensor::from_data(TensorData::new(data, [side, side]), device)
}
