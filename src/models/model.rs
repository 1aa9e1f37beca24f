//! [`Model`]: an initialised network of any kind, the closed set the runner trains.

use super::cnn::Cnn;
use super::csnn::Csnn;
use super::kind::ModelSettings;
use super::mlp::Mlp;
use super::rnn::Recurrent;
use super::snn::Snn;
use burn::prelude::*;

/// An initialised network of any kind. Burn's `Module` derive handles the enum.
#[derive(Module, Debug)]
pub(crate) enum Model {
    Mlp(Mlp),
    Cnn(Cnn),
    Recurrent(Recurrent),
    Snn(Snn),
    Csnn(Csnn),
}

/// What the spiking layers of a model did on a batch (1-element tensors, summed over images and
/// steps): spikes per spiking layer, and the accumulates an event-driven chip would do for them
/// (each spike × the synapses it reaches in the next layer).
pub(crate) struct Spikes {
    pub per_layer: Vec<Tensor<1>>,
    pub accumulates: Tensor<1>,
}

impl Model {
    pub(crate) fn init(settings: &ModelSettings, device: &Device) -> Model {
        match settings {
            ModelSettings::Mlp(s) => Model::Mlp(s.init(device)),
            ModelSettings::Cnn(s) => Model::Cnn(s.init(device)),
            ModelSettings::Recurrent(s) => Model::Recurrent(s.init(device)),
            ModelSettings::Snn(s) => Model::Snn(s.init(device)),
            ModelSettings::Csnn(s) => Model::Csnn(s.init(device)),
        }
    }

    /// Logits `[batch, 10]` from images `[batch, 784]`.
    pub(crate) fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        match self {
            Model::Mlp(m) => m.forward(images),
            Model::Cnn(m) => m.forward(images),
            Model::Recurrent(m) => m.forward(images),
            Model::Snn(m) => m.forward(images).0,
            Model::Csnn(m) => m.forward(images),
        }
    }

    /// Logits and, for spiking models, what their spiking layers did.
    pub(crate) fn forward_counting(&self, images: Tensor<2>) -> (Tensor<2>, Option<Spikes>) {
        match self {
            Model::Snn(m) => {
                let (logits, spikes) = m.forward(images);
                // Each hidden spike reaches the 10 read-out neurons.
                let accumulates = spikes.clone() * super::shape::CLASSES as f64;
                (logits, Some(Spikes { per_layer: vec![spikes], accumulates }))
            }
            Model::Csnn(m) => {
                let (logits, s) = m.forward_counting(images);
                (
                    logits,
                    Some(Spikes {
                        per_layer: vec![s.layer1, s.layer2],
                        accumulates: s.accumulates,
                    }),
                )
            }
            other => (other.forward(images), None),
        }
    }

    /// Per spiking layer, neurons × time steps per image: the denominators of firing rates.
    pub(crate) fn spike_slots_per_image(&self) -> Option<Vec<usize>> {
        match self {
            Model::Snn(m) => Some(vec![m.hidden() * m.steps()]),
            Model::Csnn(m) => Some(m.neurons().iter().map(|n| n * m.steps()).collect()),
            _ => None,
        }
    }
}
