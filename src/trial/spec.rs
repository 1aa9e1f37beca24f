//! One trial's fully resolved settings: the typed fields of built-in trials and the free-form
//! values of command trials. What the settings table derives from them (setting a key, the
//! canonical form and ids, the plan's cells) is in `derived.rs`.

use crate::backend::Backend;
use crate::data::Dataset;
use crate::models::{ModelKind, ModelSettings};
use crate::names::Named;
use crate::optimizer::OptimizerKind;
use std::collections::BTreeMap;

pub(crate) use crate::value::Value;

/// Settings that are closed sets of names for built-in trials and free-form values (any string
/// or number, passed to the program) for command trials.
pub(crate) const FREE_FOR_COMMANDS: [&str; 3] = ["dataset", "model", "optimizer"];

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TrialSpec {
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
    /// Command trials only (`backend = "command"`): `model`, `optimizer`, `dataset` as the grid
    /// wrote them, and the keys the grid invents for its `[command]`. Empty for built-in trials,
    /// which ignore keys only the command uses.
    pub free: BTreeMap<String, Value>,
    /// Command trials only: 12 hex digits of the SHA-256 of the `[command]` (argv and env
    /// templates, the input files' digests), so an edited script is a new trial.
    pub command: Option<String>,
}

impl TrialSpec {
    /// Defaults of a trial: Adam, learning rate 0.001, batch 64, 1 epoch, seed 0, flex.
    pub(crate) fn defaults(model: ModelKind) -> TrialSpec {
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
            free: BTreeMap::new(),
            command: None,
        }
    }

    /// Whether this trial runs the grid's `[command]` rather than a built-in model.
    pub(crate) fn is_command(&self) -> bool {
        self.backend == Backend::Command
    }

    /// Set one of the model's own settings (`[models.<name>]`); ignored when the trial trains
    /// another model.
    pub(crate) fn set_model(
        &mut self,
        model: ModelKind,
        key: &str,
        v: &Value,
    ) -> Result<(), String> {
        if model != self.model {
            // Still validate the value against that model's defaults.
            return ModelSettings::defaults(model).set(key, v);
        }
        self.model_settings.set(key, v)
    }

    /// The `model` column: the built-in model's name, or a command trial's free-form `model`
    /// (`command` when the grid gives none).
    pub(crate) fn model_name(&self) -> String {
        match self.is_command() {
            true => self.free.get("model").map_or("command".into(), text_value),
            false => self.model.name().into(),
        }
    }

    /// The `dataset` / `optimizer` column (free-form for command trials).
    pub(crate) fn named_setting(&self, key: &str) -> String {
        match (self.is_command(), key) {
            (true, _) => self.free.get(key).map_or(String::new(), text_value),
            (false, "dataset") => self.dataset.name().into(),
            (false, "optimizer") => self.optimizer.name().into(),
            (false, _) => self.model.name().into(),
        }
    }

    /// Short human description of the model's own settings, e.g. `steps=25 beta=0.9 …`; for a
    /// command trial, the keys the grid invented for it.
    pub(crate) fn model_settings_text(&self) -> String {
        if self.is_command() {
            return self
                .free
                .iter()
                .filter(|(k, _)| !FREE_FOR_COMMANDS.contains(&k.as_str()))
                .map(|(k, v)| format!("{k}={}", text_value(v)))
                .collect::<Vec<_>>()
                .join(" ");
        }
        self.model_settings
            .canonical()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A free-form value in the canonical form (floats in Rust's round-trip form, like typed ones;
/// `;`, `=` and `%` in strings percent-encoded, so no value can pass for another setting).
pub(crate) fn canonical_value(v: &Value) -> String {
    match v {
        Value::Float(x) => format!("{x:?}"),
        Value::Str(s) => s.replace('%', "%25").replace(';', "%3B").replace('=', "%3D"),
        other => text_value(other),
    }
}

/// A value as a command receives it: strings as written (no quotes), numbers in decimal.
pub(crate) fn text_value(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Bool(b) => b.to_string(),
    }
}
