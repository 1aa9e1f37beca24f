//! Configurations: trials that share every setting but `seed` and `repeat`. Their ok trials are
//! summarised per metric (mean, sd, 95 % interval, min, max) for `summary.csv` and the report.

use std::collections::HashMap;

use anyhow::Result;
use sha2::{Digest, Sha256};

use crate::report::analysis::{energy_trusted, joules_per_point, mean_power};
use crate::report::fmt::finite;
use crate::report::stats::{Summary, summarize};
use crate::results::ResultRow;
use crate::trial::settings::{Setting, later_settings, setting};

/// The metrics `summary.csv` summarises, in column order.
pub(crate) const METRICS: [&str; 5] =
    ["test_accuracy", "train_time_s", "energy_j", "joules_per_accuracy_point", "mean_power_w"];

/// One metric of one trial.
pub(crate) fn metric(r: &ResultRow, name: &str) -> Option<f64> {
    match name {
        "test_accuracy" => finite(r.test_accuracy),
        "train_time_s" => finite(Some(r.train_time_s)),
        "energy_j" => finite(r.energy_j),
        "joules_per_accuracy_point" => joules_per_point(r),
        "mean_power_w" => mean_power(r),
        _ => None,
    }
}

/// The trials of one configuration, in the order the CSV lists them.
#[derive(Clone, Debug)]
pub(crate) struct Config<'a> {
    pub id: String,
    /// Every trial of the configuration, whatever its status.
    pub trials: Vec<&'a ResultRow>,
    /// The trials whose numbers count: `ok`, with trusted energy (see `energy_trusted`).
    pub ok: Vec<&'a ResultRow>,
}

impl Config<'_> {
    /// The settings shared by all its trials (those of its first trial).
    pub(crate) fn first(&self) -> &ResultRow {
        self.trials[0]
    }

    pub(crate) fn values(&self, name: &str) -> Vec<f64> {
        self.ok.iter().filter_map(|r| metric(r, name)).collect()
    }

    pub(crate) fn summary(&self, name: &str) -> Option<Summary> {
        summarize(&self.values(name))
    }
}

/// The configuration id of a row: its `config_id`, or for rows written before that column
/// existed, the same kind of hash over the settings the row records.
pub(crate) fn config_key(r: &ResultRow) -> String {
    if !r.config_id.is_empty() {
        return r.config_id.clone();
    }
    let settings = format!(
        "dataset={};model={};optimizer={};learning_rate={:?};momentum={:?};weight_decay={:?};batch_size={};epochs={};train_images={};test_images={};backend={};threads={:?};gpu_power_limit_w={:?};{}",
        r.dataset,
        r.model,
        r.optimizer,
        r.learning_rate,
        r.momentum,
        r.weight_decay,
        r.batch_size,
        r.epochs,
        r.train_images,
        r.test_images,
        r.backend,
        r.threads,
        r.gpu_power_limit_w,
        r.model_settings
    );
    hex::encode(&Sha256::digest(settings.as_bytes())[..6])
}

/// Group trials into configurations, in first-seen order.
pub(crate) fn configurations(results: &[ResultRow]) -> Vec<Config<'_>> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Config> = Vec::new();
    for r in results {
        let key = config_key(r);
        let i = *index.entry(key.clone()).or_insert_with(|| {
            out.push(Config { id: key, trials: Vec::new(), ok: Vec::new() });
            out.len() - 1
        });
        out[i].trials.push(r);
        if energy_trusted(r) {
            out[i].ok.push(r);
        }
    }
    out
}

/// summary.csv's first columns, as they were before the settings table: readers index them.
const SUMMARY_COLUMNS: [&str; 18] = [
    "config_id",
    "dataset",
    "model",
    "optimizer",
    "learning_rate",
    "momentum",
    "weight_decay",
    "batch_size",
    "epochs",
    "backend",
    "threads",
    "gpu_power_limit_w",
    "train_images",
    "test_images",
    "model_settings",
    "energy_source",
    "trials",
    "n",
];

/// The settings that followed the metrics' columns when the per-metric counts (`<metric>_n`)
/// were appended after them; settings added since come after the counts, so no column moves.
const SETTINGS_BEFORE_COUNTS: [&str; 2] = ["train_limit", "test_limit"];

/// `summary.csv`: one row per configuration with its settings, `n` (ok trials with trusted
/// energy) and for each metric `<metric>_mean`, `_sd`, `_ci95`, `_min`, `_max` (empty where
/// undefined), then the settings added since (`train_limit`, `test_limit`), then for each metric
/// `<metric>_n`: the values behind its mean and interval, fewer than `n` where some ok trials
/// lack that metric (a command that reported no accuracy, a zero training time), then any
/// setting added later still.
pub(crate) fn summary_csv(configs: &[Config]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Settings the first columns do not list follow the metrics, so no column ever moves.
    let (before, after): (Vec<&Setting>, Vec<&Setting>) = later_settings(&SUMMARY_COLUMNS)
        .into_iter()
        .filter(|s| !s.per_trial)
        .partition(|s| SETTINGS_BEFORE_COUNTS.contains(&s.key));
    let mut header: Vec<String> = SUMMARY_COLUMNS.map(String::from).to_vec();
    for m in METRICS {
        for s in ["mean", "sd", "ci95", "min", "max"] {
            header.push(format!("{m}_{s}"));
        }
    }
    header.extend(before.iter().map(|s| s.key.to_string()));
    header.extend(METRICS.map(|m| format!("{m}_n")));
    header.extend(after.iter().map(|s| s.key.to_string()));
    w.write_record(&header)?;
    let cell =
        |x: Option<f64>| x.filter(|v| v.is_finite()).map(|v| v.to_string()).unwrap_or_default();
    for c in configs {
        let r = c.first();
        let mut sources: Vec<&str> = c.trials.iter().map(|t| t.energy_source.as_str()).collect();
        sources.sort_unstable();
        sources.dedup();
        let mut row: Vec<String> = SUMMARY_COLUMNS
            .iter()
            .map(|&k| match (setting(k), k) {
                (Some(s), _) => (s.of_row)(r),
                (None, "config_id") => c.id.clone(),
                (None, "train_images") => r.train_images.to_string(),
                (None, "test_images") => r.test_images.to_string(),
                (None, "model_settings") => r.model_settings.clone(),
                (None, "energy_source") => sources.join(";"),
                (None, "trials") => c.trials.len().to_string(),
                (None, _) => c.ok.len().to_string(),
            })
            .collect();
        for m in METRICS {
            let s = c.summary(m);
            row.push(cell(s.map(|s| s.mean)));
            row.push(cell(s.and_then(|s| s.sd)));
            row.push(cell(s.and_then(|s| s.ci95)));
            row.push(cell(s.map(|s| s.min)));
            row.push(cell(s.map(|s| s.max)));
        }
        row.extend(before.iter().map(|s| (s.of_row)(r)));
        row.extend(METRICS.map(|m| c.values(m).len().to_string()));
        row.extend(after.iter().map(|s| (s.of_row)(r)));
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))
}

#[cfg(test)]
#[path = "tests/configs.rs"]
mod tests;
