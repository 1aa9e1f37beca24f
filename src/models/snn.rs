//! A spiking network done properly: 784 → `hidden` leaky integrate-and-fire (LIF) neurons run for
//! `steps` time steps on the same input current, then a linear read-out of each step's spikes,
//! summed over the steps. The tutorial ran a single step, which never lets a membrane integrate.
//!
//! LIF dynamics (snnTorch's `Leaky` with reset by subtraction):
//!   mem_t = beta·mem_{t-1} + I − reset_{t-1}·threshold,  spk_t = H(mem_t − threshold),
//!   reset_t = spk_t (detached, as snnTorch does).
//! The Heaviside step has no useful gradient, so the backward pass uses a surrogate (spiking.rs):
//! arctan by default, as snnTorch's `Leaky`, or the fast sigmoid.

use super::shape::{CLASSES, PIXELS};
use super::spiking::{LifSettings, spike_fn};
use crate::kernels::{self, lif::Lif};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SnnSettings {
    /// Number of LIF neurons.
    pub hidden: usize,
    /// Their dynamics and surrogate gradient.
    pub lif: LifSettings,
}

impl Default for SnnSettings {
    /// 512 neurons, 25 steps and β = 0.9.
    fn default() -> Self {
        Self { hidden: 512, lif: LifSettings::new(25, 0.9) }
    }
}

impl SnnSettings {
    pub(crate) fn init(&self, device: &Device) -> Snn {
        Snn {
            input: LinearConfig::new(PIXELS, self.hidden).init(device),
            readout: LinearConfig::new(self.hidden, CLASSES).init(device),
            hidden: self.hidden,
            steps: self.lif.steps,
            beta: self.lif.beta,
            threshold: self.lif.threshold,
            surrogate: self.lif.kernel_surrogate(),
        }
    }

    /// `key=value` pairs for the canonical form: `hidden`, then the LIF settings'.
    pub(crate) fn canonical(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("hidden", self.hidden.to_string())];
        out.extend(self.lif.canonical());
        out
    }
}

#[derive(Module, Debug)]
pub(crate) struct Snn {
    input: Linear,
    readout: Linear,
    hidden: usize,
    steps: usize,
    beta: f64,
    threshold: f64,
    #[module(skip)]
    surrogate: crate::kernels::lif::Surrogate,
}

impl Snn {
    pub(crate) fn hidden(&self) -> usize {
        self.hidden
    }
    pub(crate) fn steps(&self) -> usize {
        self.steps
    }

    /// Σ_t spk_t from Burn's tensor operations, step by step (the reference for kernels/lif.rs).
    fn spike_counts(&self, current: Tensor<2>) -> Tensor<2> {
        let device = current.device();
        let [batch, hidden] = current.dims();
        let mut mem: Tensor<2> = Tensor::zeros([batch, hidden], &device);
        let mut reset: Tensor<2> = Tensor::zeros([batch, hidden], &device);
        let mut spike_sum: Tensor<2> = Tensor::zeros([batch, hidden], &device);
        for _ in 0..self.steps {
            mem = mem * self.beta + current.clone() - reset * self.threshold;
            let spikes = spike_fn(mem.clone() - self.threshold, self.surrogate);
            reset = spikes.clone().detach();
            spike_sum = spike_sum + spikes;
        }
        spike_sum
    }

    /// Logits `[batch, 10]` and the total number of spikes emitted (1-element tensor).
    pub(crate) fn forward(&self, images: Tensor<2>) -> (Tensor<2>, Tensor<1>) {
        let current = self.input.forward(images); // the same input current at every step
        let spike_sum = if kernels::available(&current.device()) {
            let lif = Lif {
                steps: self.steps,
                beta: self.beta as f32,
                threshold: self.threshold as f32,
                surrogate: self.surrogate,
            };
            kernels::lif_spikes(current, lif)
        } else {
            self.spike_counts(current)
        };
        let count = spike_sum.clone().detach().sum();
        // Σ_t readout(spk_t) = W·Σ_t spk_t + steps·b: one matmul instead of `steps`.
        let mut logits = self.readout.forward(spike_sum);
        if let Some(bias) = &self.readout.bias {
            let extra = bias.val().unsqueeze::<2>() * (self.steps as f64 - 1.0);
            logits = logits + extra;
        }
        (logits, count)
    }
}
