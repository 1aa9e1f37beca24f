//! [`Model`]: an initialised network of any kind, the closed set the runner trains.

use super::cnn::Cnn;
use super::kind::ModelSettings;
use super::mlp::Mlp;
use super::rnn::Recurrent;
use super::snn::Snn;
use burn::prelude::*;

/// An initialised network of any kind. Burn's `Module` derive handles the enum.
#[derive(Module, Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "one Model per trial, moved rarely; boxing a variant would only add an indirection"
)]
pub enum Model {
    Mlp(Mlp),
    Cnn(Cnn),
    Recurrent(Recurrent),
    Snn(Snn),
}

impl Model {
    pub fn init(settings: &ModelSettings, device: &Device) -> Model {
        match settings {
            ModelSettings::Mlp(s) => Model::Mlp(s.init(device)),
            ModelSettings::Cnn(s) => Model::Cnn(s.init(device)),
            ModelSettings::Recurrent(s) => Model::Recurrent(s.init(device)),
            ModelSettings::Snn(s) => Model::Snn(s.init(device)),
        }
    }

    /// Logits `[batch, 10]` from images `[batch, 784]`.
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        match self {
            Model::Mlp(m) => m.forward(images),
            Model::Cnn(m) => m.forward(images),
            Model::Recurrent(m) => m.forward(images),
            Model::Snn(m) => m.forward(images).0,
        }
    }

    /// Logits and, for spiking models, the number of spikes emitted (a 1-element tensor).
    pub fn forward_counting(&self, images: Tensor<2>) -> (Tensor<2>, Option<Tensor<1>>) {
        match self {
            Model::Snn(m) => {
                let (logits, spikes) = m.forward(images);
                (logits, Some(spikes))
            }
            other => (other.forward(images), None),
        }
    }

    /// Spiking neurons × time steps per image, the denominator of the firing rate.
    pub fn spike_slots_per_image(&self) -> Option<usize> {
        match self {
            Model::Snn(m) => Some(m.hidden() * m.steps()),
            _ => None,
        }
    }
}
