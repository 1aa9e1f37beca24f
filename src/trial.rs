//! One trial's fully resolved settings, their canonical text form and the stable `trial_id`
//! derived from it. Setting a key from a grid value lives here too, so the grid parser, the
//! `[[include]]`/`[[exclude]]` tables and the plan all agree on what a key means.

use crate::backend::Backend;
use crate::data::Dataset;
use crate::models::{ModelKind, ModelSettings};
use crate::names::{Named, parse_named};
use crate::optimizer::OptimizerKind;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub use crate::value::Value;

/// Settings that are closed sets of names for built-in trials and free-form values (any string
/// or number, passed to the program) for command trials.
pub const FREE_FOR_COMMANDS: [&str; 3] = ["dataset", "model", "optimizer"];

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
    /// Command trials only (`backend = "command"`): `model`, `optimizer`, `dataset` as the grid
    /// wrote them, and the keys the grid invents for its `[command]`. Empty for built-in trials,
    /// which ignore keys only the command uses.
    pub free: BTreeMap<String, Value>,
    /// Command trials only: 12 hex digits of the SHA-256 of the `[command]` (argv and env
    /// templates, the input files' digests), so an edited script is a new trial.
    pub command: Option<String>,
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
            free: BTreeMap::new(),
            command: None,
        }
    }

    /// Whether this trial runs the grid's `[command]` rather than a built-in model.
    pub fn is_command(&self) -> bool {
        self.backend == Backend::Command
    }

    /// Set one top-level setting. `Err` says what is wrong with the value (the caller adds where).
    pub fn set(&mut self, key: &str, v: &Value) -> Result<(), String> {
        if self.is_command() && (FREE_FOR_COMMANDS.contains(&key) || !SETTING_KEYS.contains(&key)) {
            self.free.insert(key.to_string(), v.clone());
            return Ok(());
        }
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
                let backend: Backend = name_of(v)?;
                backend.check_available()?;
                if backend == Backend::Command && !self.is_command() {
                    // The built-in defaults, as free-form values the command receives.
                    for (k, name) in
                        [("dataset", self.dataset.name()), ("optimizer", self.optimizer.name())]
                    {
                        self.free.insert(k.into(), Value::Str(name.into()));
                    }
                } else if backend != Backend::Command {
                    self.free.clear();
                    self.command = None;
                }
                self.backend = backend;
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
        let named = |key: &str, builtin: &str| match self.is_command() {
            true => format!("{key}={}", self.free.get(key).map_or(String::new(), canonical_value)),
            false => format!("{key}={builtin}"),
        };
        let mut parts = vec![
            named("dataset", self.dataset.name()),
            named("model", self.model.name()),
            named("optimizer", self.optimizer.name()),
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
        if self.is_command() {
            // Built-in ids never reach here: they stay as they were before commands existed.
            parts.push(format!("command={}", self.command.as_deref().unwrap_or("")));
            for (k, v) in self.free.iter().filter(|(k, _)| !FREE_FOR_COMMANDS.contains(&k.as_str()))
            {
                parts.push(format!("{k}={}", canonical_value(v)));
            }
            return parts.join(";");
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

    /// The `model` column: the built-in model's name, or a command trial's free-form `model`
    /// (`command` when the grid gives none).
    pub fn model_name(&self) -> String {
        match self.is_command() {
            true => self.free.get("model").map_or("command".into(), text_value),
            false => self.model.name().into(),
        }
    }

    /// The `dataset` / `optimizer` column (free-form for command trials).
    pub fn named_setting(&self, key: &str) -> String {
        match (self.is_command(), key) {
            (true, _) => self.free.get(key).map_or(String::new(), text_value),
            (false, "dataset") => self.dataset.name().into(),
            (false, "optimizer") => self.optimizer.name().into(),
            (false, _) => self.model.name().into(),
        }
    }

    /// Every setting of a command trial as text, in the plan's column order and then the
    /// grid's own keys: what `{key}` placeholders and `WATTSWEEP_<KEY>` receive. An unset
    /// optional setting is the empty string; `threads` unset is the number of logical CPUs.
    pub fn command_settings(&self) -> Vec<(String, String)> {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut out: Vec<(String, String)> = self
            .setting_cells()
            .into_iter()
            .filter(|(k, _)| !matches!(*k, "model_settings" | "config_id"))
            .map(|(k, v)| match (k, v.is_empty()) {
                ("threads", true) => (k.to_string(), cpus.to_string()),
                _ => (k.to_string(), v),
            })
            .collect();
        for (k, v) in &self.free {
            if !FREE_FOR_COMMANDS.contains(&k.as_str()) {
                out.push((k.clone(), text_value(v)));
            }
        }
        out
    }

    /// The settings as the plan prints them (`wattsweep plan`, text and CSV): one list, so the
    /// text line and the CSV columns cannot drift apart. Column order is the plan CSV's (a
    /// contract: columns are added at the end, never renamed or moved).
    pub fn setting_cells(&self) -> Vec<(&'static str, String)> {
        let opt = |o: Option<usize>| o.map(|n| n.to_string()).unwrap_or_default();
        vec![
            ("dataset", self.named_setting("dataset")),
            ("model", self.model_name()),
            ("optimizer", self.named_setting("optimizer")),
            ("learning_rate", self.learning_rate.to_string()),
            ("momentum", self.momentum.to_string()),
            ("weight_decay", self.weight_decay.map(|x| x.to_string()).unwrap_or_default()),
            ("batch_size", self.batch_size.to_string()),
            ("epochs", self.epochs.to_string()),
            ("train_limit", opt(self.train_limit)),
            ("test_limit", opt(self.test_limit)),
            ("seed", self.seed.to_string()),
            ("backend", self.backend.name().into()),
            ("model_settings", self.model_settings_text()),
            ("repeat", self.repeat.to_string()),
            ("config_id", self.config_id()),
            ("threads", opt(self.threads)),
            (
                "gpu_power_limit_w",
                self.gpu_power_limit_w.map(|w| w.to_string()).unwrap_or_default(),
            ),
        ]
    }

    /// Short human description of the model's own settings, e.g. `steps=25 beta=0.9 …`; for a
    /// command trial, the keys the grid invented for it.
    pub fn model_settings_text(&self) -> String {
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

    /// Whether this trial has `key` = `v` as a grid would write it (for `[[exclude]]`): setting
    /// the value changes nothing in the canonical form.
    pub fn matches(&self, key: &str, v: &Value) -> bool {
        let mut probe = self.clone();
        probe.set(key, v).is_ok() && probe.canonical() == self.canonical()
    }
}

/// A free-form value in the canonical form (floats in Rust's round-trip form, like typed ones;
/// `;`, `=` and `%` in strings percent-encoded, so no value can pass for another setting).
fn canonical_value(v: &Value) -> String {
    match v {
        Value::Float(x) => format!("{x:?}"),
        Value::Str(s) => s.replace('%', "%25").replace(';', "%3B").replace('=', "%3D"),
        other => text_value(other),
    }
}

/// A value as a command receives it: strings as written (no quotes), numbers in decimal.
pub fn text_value(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Bool(b) => b.to_string(),
    }
}
