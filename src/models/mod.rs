//! The architectures under test. Each model has a settings struct (its `[models.<name>]` table),
//! an `init(device)` and a `forward` from a batch of flattened, normalised 28×28 images
//! (`[batch, 784]`) to class logits (`[batch, 10]`). `Model` is the closed set the runner trains.

mod cnn;
mod fused;
mod mlp;
mod rnn;
mod snn;

pub use cnn::{Cnn, CnnSettings};
pub use mlp::{Mlp, MlpSettings};
pub use rnn::{Recurrent, RecurrentCell, RecurrentSettings};
pub use snn::{Snn, SnnSettings, spike_fn};

use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Image side length the models are built for (MNIST and Fashion-MNIST).
pub const SIDE: usize = 28;
pub const PIXELS: usize = SIDE * SIDE;
pub const CLASSES: usize = 10;

/// Which architecture a trial trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Mlp,
    Cnn,
    Rnn,
    Lstm,
    Gru,
    Snn,
}

impl ModelKind {
    pub const ALL: [ModelKind; 6] = [
        ModelKind::Mlp,
        ModelKind::Cnn,
        ModelKind::Rnn,
        ModelKind::Lstm,
        ModelKind::Gru,
        ModelKind::Snn,
    ];
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Mlp => "mlp",
            ModelKind::Cnn => "cnn",
            ModelKind::Rnn => "rnn",
            ModelKind::Lstm => "lstm",
            ModelKind::Gru => "gru",
            ModelKind::Snn => "snn",
        }
    }
    pub fn parse(s: &str) -> Option<ModelKind> {
        Self::ALL.into_iter().find(|m| m.name() == s)
    }
}

/// Resolved per-model settings of one trial: only the trained model's own table, so that changing
/// the SNN's settings never changes the id of an MLP trial.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelSettings {
    Mlp(MlpSettings),
    Cnn(CnnSettings),
    Recurrent(RecurrentSettings),
    Snn(SnnSettings),
}

impl ModelSettings {
    pub fn defaults(kind: ModelKind) -> Self {
        match kind {
            ModelKind::Mlp => Self::Mlp(MlpSettings::default()),
            ModelKind::Cnn => Self::Cnn(CnnSettings::default()),
            ModelKind::Rnn => Self::Recurrent(RecurrentSettings::new(RecurrentCell::Tanh)),
            ModelKind::Lstm => Self::Recurrent(RecurrentSettings::new(RecurrentCell::Lstm)),
            ModelKind::Gru => Self::Recurrent(RecurrentSettings::new(RecurrentCell::Gru)),
            ModelKind::Snn => Self::Snn(SnnSettings::default()),
        }
    }

    /// The valid keys of this model's settings table, for validation and "did you mean".
    pub fn keys(kind: ModelKind) -> &'static [&'static str] {
        match kind {
            ModelKind::Mlp => &["hidden"],
            ModelKind::Cnn => &["channels1", "channels2"],
            ModelKind::Rnn | ModelKind::Lstm | ModelKind::Gru => &["hidden"],
            ModelKind::Snn => &["hidden", "steps", "beta", "threshold", "slope"],
        }
    }

    /// Set one key from a number; `Err` says what is wrong with the value.
    pub fn set(&mut self, key: &str, value: f64) -> Result<(), String> {
        let count = |v: f64| -> Result<usize, String> {
            if v.fract() == 0.0 && v >= 1.0 && v <= 1e6 {
                Ok(v as usize)
            } else {
                Err("must be a whole number ≥ 1".into())
            }
        };
        let positive = |v: f64| -> Result<f64, String> {
            if v.is_finite() && v > 0.0 { Ok(v) } else { Err("must be > 0".into()) }
        };
        match (self, key) {
            (Self::Mlp(s), "hidden") => s.hidden = count(value)?,
            (Self::Cnn(s), "channels1") => s.channels1 = count(value)?,
            (Self::Cnn(s), "channels2") => s.channels2 = count(value)?,
            (Self::Recurrent(s), "hidden") => s.hidden = count(value)?,
            (Self::Snn(s), "hidden") => s.hidden = count(value)?,
            (Self::Snn(s), "steps") => s.steps = count(value)?,
            (Self::Snn(s), "beta") => {
                if !(value > 0.0 && value <= 1.0) {
                    return Err("must be in (0, 1]".into());
                }
                s.beta = value;
            }
            (Self::Snn(s), "threshold") => s.threshold = positive(value)?,
            (Self::Snn(s), "slope") => s.slope = positive(value)?,
            (_, k) => return Err(format!("unknown setting `{k}` for this model")),
        }
        Ok(())
    }

    /// `key=value` pairs in a fixed order, used in the canonical form behind trial ids.
    pub fn canonical(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::Mlp(s) => vec![("hidden", s.hidden.to_string())],
            Self::Cnn(s) => {
                vec![("channels1", s.channels1.to_string()), ("channels2", s.channels2.to_string())]
            }
            Self::Recurrent(s) => vec![("hidden", s.hidden.to_string())],
            Self::Snn(s) => vec![
                ("hidden", s.hidden.to_string()),
                ("steps", s.steps.to_string()),
                ("beta", format!("{:?}", s.beta)),
                ("threshold", format!("{:?}", s.threshold)),
                ("slope", format!("{:?}", s.slope)),
            ],
        }
    }
}

/// An initialised network of any kind. Burn's `Module` derive handles the enum.
#[derive(Module, Debug)]
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

#[cfg(test)]
mod tests;
