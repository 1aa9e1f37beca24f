//! One trial's fully resolved settings, their canonical text form and the stable `trial_id`
//! derived from it. Setting a key from a grid value lives here too, so the grid parser, the
//! `[[include]]`/`[[exclude]]` tables and the plan all agree on what a key means.

use crate::backend::Backend;
use crate::data::Dataset;
use crate::models::{ModelKind, ModelSettings};
use crate::names::{Named, parse_named};
use crate::optimizer::OptimizerKind;
use sha2::{Digest, Sha256};

pub use crate::value::Value;

/// Every trial setting a grid may fix or sweep, in the order axes are expanded (outermost first)
/// and the order of the canonical form. Per-model settings live under `models.<name>`.
pub const SETTING_KEYS: [&str; 15] = [
    "dataset",
    "model",
    "optimizer",
    "learning_rate",
    "momentum",
    "weight_decay",
    "batch_size",
    "epochs",
    "train_limit",
    "test_limit",
    "backend",
    "threads",
    "gpu_power_limit_w",
    "seed",
    "repeat",
];

#[derive(Clone, Debug, PartialEq)]
pub struct TrialSpec {
    pub dataset: Dataset,
    pub model: ModelKind,
    pub model_settings: ModelSettings,
    pub optimizer: OptimizerKind,
    pub learning_rate: f64,
    pub momentum: f64,
    /// `None`: the optimizer's PyTorch default (0.01 for AdamW, 0 for the others).
    pub weight_decay: Option<f64>,
    pub batch_size: usize,
    pub epochs: usize,
    pub train_limit: Option<usize>,
    pub test_limit: Option<usize>,
    pub backend: Backend,
    /// CPU threads for training (Burn's and the kernels' thread pool); `None`: all.
    pub threads: Option<usize>,
    /// Power limit set on every measured GPU for the trial (NVML), watts; `None`: left alone.
    pub gpu_power_limit_w: Option<f64>,
    pub seed: u64,
    /// Which run of identical settings this is (measurement noise; `seed` samples training
    /// variance). 0 keeps the id a trial had before repeats existed.
    pub repeat: u64,
}

fn whole(v: &Value, min: u64) -> Result<u64, String> {
    match v {
        Value::Int(i) if *i >= min as i64 => Ok(*i as u64),
        Value::Int(_) => Err(format!("must be ≥ {min}")),
        Value::Float(_) => Err("must be a whole number (an integer), not a float".into()),
        _ => Err("must be a whole number".into()),
    }
}

/// A name of `T` from a grid value.
fn name_of<T: Named>(v: &Value) -> Result<T, String> {
    match v {
        Value::Str(s) => parse_named(s),
        _ => Err(format!("must be a string, one of: {}", crate::names::valid_names::<T>())),
    }
}

impl TrialSpec {
    /// Defaults of a trial: Adam, learning rate 0.001, batch 64, 1 epoch, seed 0, flex.
    pub fn defaults(model: ModelKind) -> TrialSpec {
        TrialSpec {
            dataset: Dataset::Mnist,
            model,
            model_settings: ModelSettings::defaults(model),
            optimizer: OptimizerKind::Adam,
            learning_rate: 0.001,
            momentum: 0.0,
            weight_decay: None,
            batch_size: 64,
            epochs: 1,
            train_limit: None,
            test_limit: None,
            backend: Backend::Flex,
            threads: None,
            gpu_power_limit_w: None,
            seed: 0,
            repeat: 0,
        }
    }

    /// Set one top-level setting. `Err` says what is wrong with the value (the caller adds where).
    pub fn set(&mut self, key: &str, v: &Value) -> Result<(), String> {
        match key {
            "dataset" => self.dataset = name_of(v)?,
            "model" => {
                let model = name_of(v)?;
                if model != self.model {
                    self.model = model;
                    self.model_settings = ModelSettings::defaults(model);
                }
            }
            "optimizer" => self.optimizer = name_of(v)?,
            "backend" => {
                self.backend = name_of(v)?;
                self.backend.check_available()?;
            }
            "learning_rate" => match v.number() {
                Some(x) if x.is_finite() && x > 0.0 => self.learning_rate = x,
                Some(_) => return Err("must be > 0".into()),
                None => return Err("must be a number".into()),
            },
            "momentum" => match v.number() {
                Some(x) if (0.0..1.0).contains(&x) => self.momentum = x,
                Some(_) => return Err("must be in [0, 1)".into()),
                None => return Err("must be a number".into()),
            },
            "weight_decay" => match v.number() {
                Some(x) if x.is_finite() && x >= 0.0 => self.weight_decay = Some(x),
                Some(_) => return Err("must be ≥ 0".into()),
                None => return Err("must be a number".into()),
            },
            "batch_size" => self.batch_size = whole(v, 1)? as usize,
            "epochs" => self.epochs = whole(v, 1)? as usize,
            "train_limit" => self.train_limit = Some(whole(v, 1)? as usize),
            "test_limit" => self.test_limit = Some(whole(v, 1)? as usize),
            "seed" => self.seed = whole(v, 0)?,
            "repeat" => self.repeat = whole(v, 0)?,
            "gpu_power_limit_w" => match v.number() {
                Some(x) if x.is_finite() && x > 0.0 && x <= 10_000.0 => {
                    self.gpu_power_limit_w = Some(x)
                }
                Some(_) => return Err("must be in (0, 10000] (watts)".into()),
                None => return Err("must be a number (watts)".into()),
            },
            "threads" => match whole(v, 1)? {
                n if n <= 4096 => self.threads = Some(n as usize),
                _ => return Err("must be at most 4096".into()),
            },
            other => return Err(format!("unknown setting `{other}`")),
        }
        Ok(())
    }

    /// Set one of the model's own settings (`[models.<name>]`); ignored when the trial trains
    /// another model.
    pub fn set_model(&mut self, model: ModelKind, key: &str, v: &Value) -> Result<(), String> {
        if model != self.model {
            // Still validate the value against that model's defaults.
            return ModelSettings::defaults(model).set(key, v);
        }
        self.model_settings.set(key, v)
    }

    /// `key=value;…` of every setting, defaults filled in, in a fixed order and format.
    pub fn canonical(&self) -> String {
        let opt = |o: Option<usize>| o.map_or("all".to_string(), |n| n.to_string());
        let mut parts = vec![
            format!("dataset={}", self.dataset.name()),
            format!("model={}", self.model.name()),
            format!("optimizer={}", self.optimizer.name()),
            format!("learning_rate={:?}", self.learning_rate),
            format!("momentum={:?}", self.momentum),
            format!(
                "weight_decay={}",
                self.weight_decay.map_or("default".to_string(), |w| format!("{w:?}"))
            ),
            format!("batch_size={}", self.batch_size),
            format!("epochs={}", self.epochs),
            format!("train_limit={}", opt(self.train_limit)),
            format!("test_limit={}", opt(self.test_limit)),
            format!("backend={}", self.backend.name()),
            format!("seed={}", self.seed),
        ];
        // All threads is what every trial used before `threads` existed: its id must not change.
        if let Some(n) = self.threads {
            parts.push(format!("threads={n}"));
        }
        if let Some(w) = self.gpu_power_limit_w {
            parts.push(format!("gpu_power_limit_w={w:?}"));
        }
        // Repeat 0 is what every trial was before repeats existed: its id must not change.
        if self.repeat > 0 {
            parts.push(format!("repeat={}", self.repeat));
        }
        for (k, v) in self.model_settings.canonical() {
            parts.push(format!("models.{}.{k}={v}", self.model.name()));
        }
        parts.join(";")
    }

    /// The canonical form without `seed` and `repeat`: what a configuration is. Trials that differ
    /// only in seed or repeat share it.
    pub fn config_canonical(&self) -> String {
        self.canonical()
            .split(';')
            .filter(|p| !p.starts_with("seed=") && !p.starts_with("repeat="))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// 12 hex digits of the SHA-256 of [`TrialSpec::config_canonical`], like trial ids.
    pub fn config_id(&self) -> String {
        let digest = Sha256::digest(self.config_canonical().as_bytes());
        hex::encode(&digest[..6])
    }

    /// First 12 hex digits of the SHA-256 of the canonical form: stable across grid reordering
    /// and across adding axis values, and 48 bits make a collision within a sweep negligible.
    pub fn id(&self) -> String {
        let digest = Sha256::digest(self.canonical().as_bytes());
        hex::encode(&digest[..6])
    }

    /// Short human description of the model's own settings, e.g. `steps=25 beta=0.9 …`.
    pub fn model_settings_text(&self) -> String {
        self.model_settings
            .canonical()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether this trial has `key` = `v` as a grid would write it (for `[[exclude]]`): setting
    /// the value changes nothing in the canonical form.
    pub fn matches(&self, key: &str, v: &Value) -> bool {
        let mut probe = self.clone();
        probe.set(key, v).is_ok() && probe.canonical() == self.canonical()
    }
}
