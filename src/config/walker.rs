//! The walker of a grid's TOML: every problem collected with the key it is at, settings checked
//! against a scratch trial, model tables, axes and partial trials (`[[include]]`/`[[exclude]]`).

use super::grid::Problem;
use crate::models::{ModelKind, ModelSettings};
use crate::names::{Named, nearest, parse_named};
use crate::trial::settings::SETTING_KEYS;
use crate::trial::{FREE_FOR_COMMANDS, TrialSpec, Value};

pub(super) struct Walker {
    pub(super) problems: Vec<Problem>,
    /// Whether the grid has a `[command]`: `model`, `optimizer`, `dataset` then take any value
    /// (checked per trial once the backend is known, in `plan`).
    pub(super) has_command: bool,
    /// Keys that are no trial setting but that the `[command]` uses.
    pub(super) command_keys: Vec<String>,
}

impl Walker {
    pub(super) fn problem(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem { key: key.into(), message: message.into() });
    }

    /// Whether `key` is a setting here: a trial setting, or a key the `[command]` uses.
    pub(super) fn is_setting(&self, key: &str) -> bool {
        SETTING_KEYS.contains(&key) || self.command_keys.iter().any(|k| k == key)
    }

    /// The keys an unknown one is compared with for a "did you mean".
    pub(super) fn valid_settings(&self) -> Vec<&str> {
        SETTING_KEYS.iter().copied().chain(self.command_keys.iter().map(String::as_str)).collect()
    }

    /// A scalar setting value, checked against a scratch trial.
    pub(super) fn setting(&mut self, key: &str, at: &str, v: &toml::Value) -> Option<Value> {
        let Some(value) = Value::from_toml(v) else {
            self.problem(at, format!("must be a single value, found {}", v.type_str()));
            return None;
        };
        let free =
            !SETTING_KEYS.contains(&key) || (self.has_command && FREE_FOR_COMMANDS.contains(&key));
        if free {
            // Free-form: whatever the command makes of it; a built-in trial checks it in `plan`.
            return Some(value);
        }
        let mut probe = TrialSpec::defaults(ModelKind::Mlp);
        match probe.set(key, &value) {
            Ok(()) => Some(value),
            Err(e) => {
                self.problem(format!("{at} = {value}"), e);
                None
            }
        }
    }

    pub(super) fn model_setting(
        &mut self,
        model: ModelKind,
        key: &str,
        at: &str,
        v: &toml::Value,
    ) -> Option<Value> {
        let valid = ModelSettings::keys(model);
        if !valid.contains(&key) {
            self.problem(
                at,
                format!(
                    "unknown {} setting; valid: {}{}",
                    model.name(),
                    valid.join(", "),
                    nearest(key, valid.iter().copied())
                ),
            );
            return None;
        }
        let Some(value) = Value::from_toml(v) else {
            self.problem(at, format!("must be a single value, found {}", v.type_str()));
            return None;
        };
        let mut probe = TrialSpec::defaults(model);
        match probe.set_model(model, key, &value) {
            Ok(()) => Some(value),
            Err(e) => {
                self.problem(format!("{at} = {value}"), e);
                None
            }
        }
    }

    pub(super) fn model_name(&mut self, name: &str, at: &str) -> Option<ModelKind> {
        match parse_named::<ModelKind>(name) {
            Ok(model) => Some(model),
            Err(e) => {
                let hint = e.strip_prefix("unknown name; ").unwrap_or(&e);
                self.problem(at, format!("unknown model `{name}`; {hint}"));
                None
            }
        }
    }

    /// A list (an axis); a lone scalar is accepted as a one-value axis.
    pub(super) fn axis<'v>(
        &mut self,
        at: &str,
        v: &'v toml::Value,
    ) -> Option<Vec<(String, &'v toml::Value)>> {
        match v {
            toml::Value::Array(items) if items.is_empty() => {
                self.problem(at, "empty list: an axis needs at least one value");
                None
            }
            toml::Value::Array(items) => {
                Some(items.iter().enumerate().map(|(i, x)| (format!("{at}[{i}]"), x)).collect())
            }
            toml::Value::Table(_) => {
                self.problem(at, "must be a list of values, found a table");
                None
            }
            other => Some(vec![(at.to_string(), other)]),
        }
    }

    pub(super) fn table<'v>(&mut self, at: &str, v: &'v toml::Value) -> Option<&'v toml::Table> {
        match v {
            toml::Value::Table(t) => Some(t),
            other => {
                self.problem(at, format!("must be a table, found {}", other.type_str()));
                None
            }
        }
    }

    pub(super) fn unknown(&mut self, at: &str, key: &str, valid: &[&str]) {
        self.problem(at, format!("unknown key{}", nearest(key, valid.iter().copied())));
    }

    /// The entries of a `models` table (`[models]`, `[grid.models]`, `models` in an
    /// `[[include]]`): `(model, key, where, value)` for each `<name>.<key>`, with unknown model
    /// names and non-tables reported. The caller checks the values (scalars or axes).
    pub(super) fn model_tables<'v>(
        &mut self,
        at: &str,
        v: &'v toml::Value,
    ) -> Vec<(ModelKind, String, String, &'v toml::Value)> {
        let mut out = Vec::new();
        let Some(models) = self.table(at, v) else { return out };
        for (m, settings) in models {
            let mat = format!("{at}.{m}");
            let (Some(model), Some(settings)) =
                (self.model_name(m, &mat), self.table(&mat, settings))
            else {
                continue;
            };
            for (sk, sv) in settings {
                out.push((model, sk.clone(), format!("{mat}.{sk}"), sv));
            }
        }
        out
    }

    /// Keys of an `[[include]]` / `[[exclude]]` table: settings or `models.<name>.<key>`.
    pub(super) fn partial(&mut self, at: &str, t: &toml::Table) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        for (k, v) in t {
            let here = format!("{at}.{k}");
            if k == "models" {
                for (model, sk, sat, sv) in self.model_tables(&here, v) {
                    if let Some(value) = self.model_setting(model, &sk, &sat, sv) {
                        out.push((format!("models.{}.{sk}", model.name()), value));
                    }
                }
            } else if self.is_setting(k) {
                if let Some(value) = self.setting(k, &here, v) {
                    out.push((k.clone(), value));
                }
            } else {
                let valid: Vec<String> =
                    self.valid_settings().into_iter().map(String::from).collect();
                self.unknown(&here, k, &valid.iter().map(String::as_str).collect::<Vec<_>>());
            }
        }
        out
    }
}
