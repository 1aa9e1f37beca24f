//! Writing rows: a trial's row goes into results.csv in the plan's order; a row or power series
//! that a later attempt replaces moves to `superseded.csv` / `power/superseded/`, so nothing
//! measured is deleted.

use crate::results::{CsvLog, EpochRow, ResultRow};
use anyhow::{Context, Result};
use std::path::Path;

/// Move a power series that no current row refers to into `power/superseded/<stem>.csv` (the
/// report reads only `power/*.csv`), as its row goes to superseded.csv. A missing file is fine.
pub(super) fn set_power_aside(path: &Path, stem: &str) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let aside = path.parent().unwrap_or(Path::new(".")).join("superseded");
    std::fs::create_dir_all(&aside)
        .with_context(|| format!("{}: cannot create", aside.display()))?;
    std::fs::rename(path, aside.join(format!("{stem}.csv")))
        .with_context(|| format!("{}: cannot move aside", path.display()))
}

/// Append rows to `superseded.csv` beside `results`.
fn supersede<'r>(
    results: &CsvLog<ResultRow>,
    rows: impl IntoIterator<Item = &'r ResultRow>,
) -> Result<()> {
    let dir = results.path().parent().unwrap_or(Path::new("."));
    let (superseded, _) = CsvLog::<ResultRow>::open(&dir.join("superseded.csv"))?;
    rows.into_iter().try_for_each(|r| superseded.append(r))
}

/// Drop an attempt that lost to the trial's current row: its epochs leave epochs.csv and its
/// row goes to superseded.csv, so nothing measured is deleted.
pub(super) fn discard(
    results: &CsvLog<ResultRow>,
    epochs: &CsvLog<EpochRow>,
    row: &ResultRow,
) -> Result<()> {
    let kept: Vec<EpochRow> = epochs
        .read_all()?
        .into_iter()
        .filter(|e| e.trial_id != row.trial_id || e.attempt_id != row.attempt_id)
        .collect();
    epochs.replace_all(&kept)?;
    supersede(results, [row])
}

/// Write a finished trial's row. A rerun supersedes the trial's earlier row and earlier epochs:
/// those move to `superseded.csv` and the files are rewritten atomically, so each trial has one
/// row in results.csv and one attempt in epochs.csv.
///
/// `earlier_epochs`: whether epochs.csv held rows of this trial when the sweep started (an
/// earlier attempt, finished or killed); only then is the growing file read and rewritten.
pub(super) fn record(
    results: &CsvLog<ResultRow>,
    epochs: &CsvLog<EpochRow>,
    row: &ResultRow,
    had_row: bool,
    earlier_epochs: bool,
) -> Result<()> {
    if earlier_epochs {
        let kept: Vec<EpochRow> = epochs
            .read_all()?
            .into_iter()
            .filter(|e| e.trial_id != row.trial_id || e.attempt_id == row.attempt_id)
            .collect();
        epochs.replace_all(&kept)?;
    }
    if !had_row {
        return results.append(row);
    }
    let rows = results.read_all()?;
    supersede(results, rows.iter().filter(|r| r.trial_id == row.trial_id))?;
    // The new row takes the old one's place, so the file keeps the plan's order.
    let mut placed = false;
    let mut kept = Vec::with_capacity(rows.len());
    for r in rows {
        if r.trial_id != row.trial_id {
            kept.push(r);
        } else if !placed {
            kept.push(row.clone());
            placed = true;
        }
    }
    if !placed {
        kept.push(row.clone());
    }
    results.replace_all(&kept)
}
