//! "The last row per trial": a resumed or retried trial appends a new row to results.csv, and
//! merges may list a trial in several files; the last row written is the trial's current state.

use super::rows::ResultRow;
use std::collections::HashMap;

/// The last row of each trial id, in the order the ids were first seen (so listings follow the
/// sweep's own order).
pub(crate) fn last_row_per_trial(rows: Vec<ResultRow>) -> Vec<ResultRow> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut kept: Vec<ResultRow> = Vec::new();
    for row in rows {
        match index.get(&row.trial_id) {
            Some(&i) => kept[i] = row,
            None => {
                index.insert(row.trial_id.clone(), kept.len());
                kept.push(row);
            }
        }
    }
    kept
}

/// The last row of each trial id, by id.
pub(crate) fn latest_by_id(rows: Vec<ResultRow>) -> HashMap<String, ResultRow> {
    last_row_per_trial(rows).into_iter().map(|r| (r.trial_id.clone(), r)).collect()
}

#[cfg(test)]
#[path = "tests/latest.rs"]
mod tests;
