//! `--shard I/N`: a shard is a filter on the plan. A trial belongs to shard
//! `(the 12 hex digits of its id as a number) mod N`, so it keeps its shard when the grid grows, and
//! each trial is in exactly one shard. Shards write under `<out>/shards/I-of-N/`.

use crate::results::{ResultRow, read_complete};
use anyhow::{Result, bail};
use std::path::Path;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s.split_once('/').ok_or_else(|| format!("`{s}`: expected I/N, e.g. 0/4"))?;
        let index: u64 =
            i.trim().parse().map_err(|_| format!("`{s}`: I must be a whole number"))?;
        let count: u64 =
            n.trim().parse().map_err(|_| format!("`{s}`: N must be a whole number"))?;
        if count == 0 || index >= count {
            return Err(format!("`{s}`: need 0 ≤ I < N"));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    pub fn of(trial_id: &str, count: u64) -> u64 {
        let prefix = &trial_id[..trial_id.len().min(12)];
        u64::from_str_radix(prefix, 16).unwrap_or_else(|_| {
            // Not a hex id (never produced by the plan): fall back to a byte hash.
            trial_id.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64))
        }) % count
    }

    pub fn owns(&self, trial_id: &str) -> bool {
        Self::of(trial_id, self.count) == self.index
    }

    pub fn dir_name(&self) -> String {
        format!("{}-of-{}", self.index, self.count)
    }
}

/// Every results row of every shard under `<out>/shards/`.
pub(crate) fn all_shard_rows(out: &Path) -> Result<Vec<ResultRow>> {
    let dir = out.join("shards");
    let mut rows = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(rows) };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let file = p.join("results.csv");
        if file.exists() {
            // Another shard may be appending right now: read its complete lines, never repair.
            rows.extend(read_complete::<ResultRow>(&file)?);
        }
    }
    if rows.iter().any(|r| r.trial_id.is_empty()) {
        bail!("{}: a row without trial_id", dir.display());
    }
    Ok(rows)
}
