//! Reading a sweep's output directory back for the report: `results.csv`, `epochs.csv` and the
//! per-trial power series `power/<trial_id>.csv`. The report is rebuilt from these files alone
//! (`wattsweep report DIR`), so nothing here may depend on in-memory sweep state.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};

use crate::results::{
    DECISIONS_FILE, Decision, EpochRow, PowerSample, ResultRow, last_row_per_trial, read_complete,
    read_tolerant,
};

/// Everything the report shows, read from the CSVs.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReportData {
    /// One row per trial (the last row written for each trial id), in first-seen order.
    pub results: Vec<ResultRow>,
    /// Every epoch row as written; attempts are told apart by `attempt_id` where used.
    pub epochs: Vec<EpochRow>,
    /// Power samples by trial id (the file stem of `power/<trial_id>.csv`), for the trials
    /// loaded with [`ReportData::load_power`]: a bounded set, so the report's size and memory do
    /// not grow with the sweep's.
    pub power: BTreeMap<String, Vec<PowerSample>>,
    /// Every power file's trial id (file stem), sorted, loaded or not.
    pub power_files: Vec<String>,
    /// The power folder (`None` without one).
    pub power_dir: Option<std::path::PathBuf>,
    /// `[schedule]`'s decision (schedule.json), when the sweep was scheduled.
    pub schedule: Option<crate::schedule::choose::Choice>,
    /// Successive halving's decisions (halving.csv; empty for a grid sweep).
    pub decisions: Vec<Decision>,
    pub title: String,
    /// The sweep is still running: the page says so and reloads itself.
    pub live: bool,
}

/// Read `out/results.csv` (required), `out/epochs.csv` (optional: a sweep whose trials all failed
/// early has none), `halving.csv` and the list of `out/power/*.csv`; the power series themselves
/// are read by [`ReportData::load_power`] for the trials the report draws.
pub(crate) fn load_report_data(out: &Path) -> Result<ReportData> {
    let results_path = out.join("results.csv");
    if !results_path.is_file() {
        if out.join("shards").is_dir() {
            anyhow::bail!(
                "{}: no results.csv yet, but shards/ — run `wattsweep merge {}` first to combine the shards",
                out.display(),
                out.display()
            );
        }
        anyhow::bail!(
            "{}: no results.csv here — is this a wattsweep output directory?",
            out.display()
        );
    }
    let results = last_row_per_trial(read_complete::<ResultRow>(&results_path)?);

    let epochs_path = out.join("epochs.csv");
    let epochs =
        if epochs_path.is_file() { read_complete::<EpochRow>(&epochs_path)? } else { Vec::new() };

    let mut power_files = Vec::new();
    let dir = out.join("power");
    let power_dir = dir.is_dir().then(|| dir.clone());
    if power_dir.is_some() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("{}: cannot list", dir.display()))?;
        for entry in entries {
            let path = entry.with_context(|| format!("{}: cannot list", dir.display()))?.path();
            if let (Some(stem), Some("csv")) = (
                path.file_stem().and_then(|s| s.to_str()),
                path.extension().and_then(|e| e.to_str()),
            ) {
                power_files.push(stem.to_string());
            }
        }
        power_files.sort();
    }

    let decisions = read_tolerant::<Decision>(&out.join(DECISIONS_FILE))?.0;
    let schedule_path = out.join(crate::schedule::choose::SCHEDULE_FILE);
    let schedule = match std::fs::read(&schedule_path) {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!("skipping {}: {e}", schedule_path.display());
                None
            }
        },
        Err(_) => None,
    };
    Ok(ReportData {
        results,
        epochs,
        schedule,
        power: BTreeMap::new(),
        power_files,
        power_dir,
        decisions,
        title: title_for(out),
        live: false,
    })
}

impl ReportData {
    /// Read `power/<id>.csv` of each of `ids` that has a file. A file that does not parse is
    /// skipped with a warning rather than failing the whole report: it only feeds one plot.
    pub(crate) fn load_power(&mut self, ids: &[String]) {
        let Some(dir) = &self.power_dir else { return };
        for id in ids.iter().filter(|id| self.power_files.binary_search(id).is_ok()) {
            let path = dir.join(format!("{id}.csv"));
            // The power log is buffered, not fsynced per row; a live or killed sweep may leave a
            // torn last line, which read_complete drops.
            match read_complete::<PowerSample>(&path) {
                Ok(samples) => {
                    self.power.insert(id.clone(), samples);
                }
                Err(e) => tracing::warn!("skipping {}: {e:#}", path.display()),
            }
        }
    }
}

/// `wattsweep report — <directory name>`: the directory is named after the grid by default.
fn title_for(out: &Path) -> String {
    let abs = std::fs::canonicalize(out).unwrap_or_else(|_| out.to_path_buf());
    match abs.file_name().and_then(|n| n.to_str()) {
        Some(name) => format!("wattsweep report — {name}"),
        None => "wattsweep report".to_string(),
    }
}

#[cfg(test)]
#[path = "tests/read.rs"]
mod tests;
