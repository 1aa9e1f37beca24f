//! Which architecture a trial trains ([`ModelKind`]) and its resolved `[models.<name>]` settings
//! ([`ModelSettings`]), with the canonical form behind trial ids.

use super::cnn::CnnSettings;
use super::csnn::CsnnSettings;
use super::mlp::MlpSettings;
use super::rnn::{RecurrentCell, RecurrentSettings};
use super::snn::SnnSettings;
use super::spiking::{LifSettings, SurrogateKind};
use crate::names::{Named, parse_named};
use crate::value::Value;
use serde::{Deserialize, Serialize};

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
    Csnn,
}

impl Named for ModelKind {
    const ALL: &'static [ModelKind] = &[
        ModelKind::Mlp,
        ModelKind::Cnn,
        ModelKind::Rnn,
        ModelKind::Lstm,
        ModelKind::Gru,
        ModelKind::Snn,
        ModelKind::Csnn,
    ];
    fn name(self) -> &'static str {
        match self {
            ModelKind::Mlp => "mlp",
            ModelKind::Cnn => "cnn",
            ModelKind::Rnn => "rnn",
            ModelKind::Lstm => "lstm",
            ModelKind::Gru => "gru",
            ModelKind::Snn => "snn",
            ModelKind::Csnn => "csnn",
        }
    }
}

/// Largest layer size or step count a grid may ask for.
const MAX_COUNT: f64 = 1e6;

/// Resolved per-model settings of one trial: only the trained model's own table, so that changing
/// the SNN's settings never changes the id of an MLP trial.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ModelSettings {
    Mlp(MlpSettings),
    Cnn(CnnSettings),
    Recurrent(RecurrentSettings),
    Snn(SnnSettings),
    Csnn(CsnnSettings),
}

impl ModelSettings {
    pub(crate) fn defaults(kind: ModelKind) -> Self {
        match kind {
            ModelKind::Mlp => Self::Mlp(MlpSettings::default()),
            ModelKind::Cnn => Self::Cnn(CnnSettings::default()),
            ModelKind::Rnn => Self::Recurrent(RecurrentSettings::new(RecurrentCell::Tanh)),
            ModelKind::Lstm => Self::Recurrent(RecurrentSettings::new(RecurrentCell::Lstm)),
            ModelKind::Gru => Self::Recurrent(RecurrentSettings::new(RecurrentCell::Gru)),
            ModelKind::Snn => Self::Snn(SnnSettings::default()),
            ModelKind::Csnn => Self::Csnn(CsnnSettings::default()),
        }
    }

    /// The valid keys of this model's settings table, for validation and "did you mean".
    pub(crate) fn keys(kind: ModelKind) -> &'static [&'static str] {
        const SNN: [&str; 7] = with_lif(["hidden"]);
        const CSNN: [&str; 8] = with_lif(["channels1", "channels2"]);
        match kind {
            ModelKind::Mlp => &["hidden"],
            ModelKind::Cnn => &["channels1", "channels2"],
            ModelKind::Rnn | ModelKind::Lstm | ModelKind::Gru => &["hidden"],
            ModelKind::Snn => &SNN,
            ModelKind::Csnn => &CSNN,
        }
    }

    /// The LIF settings of a spiking model.
    fn lif_mut(&mut self) -> Option<&mut LifSettings> {
        match self {
            Self::Snn(s) => Some(&mut s.lif),
            Self::Csnn(s) => Some(&mut s.lif),
            _ => None,
        }
    }

    /// Set one key from a grid value; `Err` says what is wrong with the value.
    pub(crate) fn set(&mut self, key: &str, v: &Value) -> Result<(), String> {
        if key == "surrogate" {
            let kind: SurrogateKind = match v {
                Value::Str(s) => parse_named(s)?,
                _ => return Err("must be a string: \"atan\" or \"fast-sigmoid\"".into()),
            };
            let lif = self.lif_mut().ok_or("unknown setting `surrogate` for this model")?;
            lif.surrogate = kind;
            return Ok(());
        }
        let value = v.number().ok_or_else(|| "must be a number".to_string())?;
        self.set_number(key, value)
    }

    /// Set one numeric key; `Err` says what is wrong with the value.
    pub(crate) fn set_number(&mut self, key: &str, value: f64) -> Result<(), String> {
        // Sizes and step counts: a million is far beyond any model here and keeps a typo
        // (an extra zero or two) from allocating gigabytes.
        let count = |v: f64| -> Result<usize, String> {
            if v.fract() != 0.0 || v < 1.0 {
                Err("must be a whole number ≥ 1".into())
            } else if v > MAX_COUNT {
                Err(format!("must be at most {MAX_COUNT} (got {v})"))
            } else {
                Ok(v as usize)
            }
        };
        let positive = |v: f64| -> Result<f64, String> {
            if v.is_finite() && v > 0.0 { Ok(v) } else { Err("must be > 0".into()) }
        };
        let beta = |v: f64| -> Result<f64, String> {
            if v > 0.0 && v <= 1.0 { Ok(v) } else { Err("must be in (0, 1]".into()) }
        };
        match (self, key) {
            (Self::Mlp(s), "hidden") => s.hidden = count(value)?,
            (Self::Cnn(s), "channels1") => s.channels1 = count(value)?,
            (Self::Cnn(s), "channels2") => s.channels2 = count(value)?,
            (Self::Recurrent(s), "hidden") => s.hidden = count(value)?,
            (Self::Snn(s), "hidden") => s.hidden = count(value)?,
            (Self::Csnn(s), "channels1") => s.channels1 = count(value)?,
            (Self::Csnn(s), "channels2") => s.channels2 = count(value)?,
            (this, k) => {
                let unknown = || format!("unknown setting `{k}` for this model");
                let lif = this.lif_mut().ok_or_else(unknown)?;
                match k {
                    "steps" => lif.steps = count(value)?,
                    "beta" => lif.beta = beta(value)?,
                    "threshold" => lif.threshold = positive(value)?,
                    "slope" => lif.slope = positive(value)?,
                    "alpha" => lif.alpha = positive(value)?,
                    _ => return Err(unknown()),
                }
            }
        }
        Ok(())
    }

    /// `key=value` pairs in a fixed order, used in the canonical form behind trial ids.
    pub(crate) fn canonical(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::Mlp(s) => vec![("hidden", s.hidden.to_string())],
            Self::Cnn(s) => {
                vec![("channels1", s.channels1.to_string()), ("channels2", s.channels2.to_string())]
            }
            Self::Recurrent(s) => vec![("hidden", s.hidden.to_string())],
            Self::Snn(s) => s.canonical(),
            Self::Csnn(s) => s.canonical(),
        }
    }
}

/// A spiking model's own keys followed by the LIF keys (`N + 6 = M`), so the six are written
/// once, in `LifSettings::KEYS`.
const fn with_lif<const N: usize, const M: usize>(own: [&'static str; N]) -> [&'static str; M] {
    assert!(N + LifSettings::KEYS.len() == M);
    let mut out = [""; M];
    let mut i = 0;
    while i < M {
        out[i] = if i < N { own[i] } else { LifSettings::KEYS[i - N] };
        i += 1;
    }
    out
}
