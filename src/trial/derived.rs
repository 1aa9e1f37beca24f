//! What the settings table derives for a trial: setting a key from a grid value (so the grid
//! parser, `[[include]]`/`[[exclude]]` and the plan agree on what a key means), the canonical
//! text form and the stable `trial_id` hashed from it, and the plan's cells.

use super::settings::{PLAN_COLUMNS, SETTING_KEYS, in_id_order, later_settings, setting};
use super::spec::{FREE_FOR_COMMANDS, TrialSpec, canonical_value, text_value};
use crate::names::Named;
use crate::value::Value;
use sha2::{Digest, Sha256};

impl TrialSpec {
    /// Set one top-level setting. `Err` says what is wrong with the value (the caller adds where).
    pub(crate) fn set(&mut self, key: &str, v: &Value) -> Result<(), String> {
        if self.is_command() && (FREE_FOR_COMMANDS.contains(&key) || !SETTING_KEYS.contains(&key)) {
            self.free.insert(key.to_string(), v.clone());
            return Ok(());
        }
        match setting(key) {
            Some(s) => (s.set)(self, v),
            None => Err(format!("unknown setting `{key}`")),
        }
    }

    /// `key=value;…` of every setting, defaults filled in, in a fixed order and format.
    pub(crate) fn canonical(&self) -> String {
        let mut parts: Vec<String> = in_id_order()
            .into_iter()
            .filter_map(|s| (s.canonical)(self).map(|v| format!("{}={v}", s.key)))
            .collect();
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
    pub(crate) fn config_canonical(&self) -> String {
        self.canonical()
            .split(';')
            .filter(|p| {
                let key = p.split('=').next().unwrap_or("");
                !crate::trial::settings::setting(key).is_some_and(|s| s.per_trial)
            })
            .collect::<Vec<_>>()
            .join(";")
    }

    /// 12 hex digits of the SHA-256 of [`TrialSpec::config_canonical`], like trial ids.
    pub(crate) fn config_id(&self) -> String {
        let digest = Sha256::digest(self.config_canonical().as_bytes());
        hex::encode(&digest[..6])
    }

    /// First 12 hex digits of the SHA-256 of the canonical form: stable across grid reordering
    /// and across adding axis values, and 48 bits make a collision within a sweep negligible.
    pub(crate) fn id(&self) -> String {
        let digest = Sha256::digest(self.canonical().as_bytes());
        hex::encode(&digest[..6])
    }

    /// Every setting of a command trial as text, in the plan's column order and then the
    /// grid's own keys: what `{key}` placeholders and `WATTSWEEP_<KEY>` receive. An unset
    /// optional setting is the empty string; `threads` unset is the number of logical CPUs.
    pub(crate) fn command_settings(&self) -> Vec<(String, String)> {
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
    /// text line and the CSV columns cannot drift apart: the plan's first columns where they
    /// always were, then every later setting of the table.
    pub(crate) fn setting_cells(&self) -> Vec<(&'static str, String)> {
        let cell = |key: &str| match (setting(key), key) {
            (Some(s), _) => (s.cell)(self),
            (None, "model_settings") => self.model_settings_text(),
            (None, _) => self.config_id(),
        };
        let mut cells: Vec<(&'static str, String)> =
            PLAN_COLUMNS.iter().map(|&k| (k, cell(k))).collect();
        cells.extend(later_settings(&PLAN_COLUMNS).into_iter().map(|s| (s.key, (s.cell)(self))));
        cells
    }

    /// Whether this trial has `key` = `v` as a grid would write it (for `[[exclude]]`): setting
    /// the value changes nothing in the canonical form.
    pub(crate) fn matches(&self, key: &str, v: &Value) -> bool {
        let mut probe = self.clone();
        probe.set(key, v).is_ok() && probe.canonical() == self.canonical()
    }
}
