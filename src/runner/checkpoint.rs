//! Checkpoints of trials that stop before their last epoch and continue later (successive
//! halving), under `<out>/checkpoints/`:
//!
//! ```text
//! <trial_id>.json            what the trial has accumulated, and after which epoch
//! <trial_id>.e<E>.model.bpk  the model after epoch E (Burn's burnpack record)
//! <trial_id>.e<E>.optim.bpk  the optimizer's state after epoch E
//! <trial_id>.command/        a command trial's own state (WATTSWEEP_CHECKPOINT_DIR)
//! ```
//!
//! The two records of an epoch are written first and the JSON (atomically) last, so whatever
//! moment a kill hits, the JSON names records that are complete; the previous epoch's records
//! are removed only after. A trial's files go when it ends (`ok`, `pruned`, `failed`, …).

use super::totals::Totals;
use crate::models::Model;
use crate::results::{ResultRow, write_atomic};
use anyhow::{Context, Result};
use burn::optim::ModuleOptimizer;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The JSON part of a checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct Saved {
    /// The epoch the records were taken after (`totals.epochs_done`).
    pub epoch: usize,
    /// The trial's attempt id, kept across runs so its epochs.csv rows stay one attempt.
    pub attempt_id: String,
    pub started_at: String,
    pub totals: Totals,
    /// The trial's row when it paused after `epoch` (a halving rung): what a pruned trial's row
    /// is made of. `None` until then.
    #[serde(default)]
    pub row: Option<ResultRow>,
    /// Length of the trial's power series when the records were taken: a run killed later
    /// wrote more, which the next run cuts off (those epochs are trained again).
    #[serde(default)]
    pub power_bytes: Option<u64>,
    /// A command trial's checkpoint: no Burn records; the command keeps its own state in
    /// [`Checkpoints::command_dir`].
    #[serde(default)]
    pub command: bool,
}

pub(super) struct Checkpoints {
    dir: PathBuf,
}

impl Checkpoints {
    pub(super) fn new(out: &Path) -> Checkpoints {
        Checkpoints { dir: out.join("checkpoints") }
    }

    fn json(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// The model and optimizer records of `id` after `epoch`.
    pub(super) fn records(&self, id: &str, epoch: usize) -> (PathBuf, PathBuf) {
        (
            self.dir.join(format!("{id}.e{epoch}.model.bpk")),
            self.dir.join(format!("{id}.e{epoch}.optim.bpk")),
        )
    }

    /// The trial's checkpoint, if it has one whose records are there.
    pub(super) fn load(&self, id: &str) -> Result<Option<Saved>> {
        let path = self.json(id);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
        };
        let saved: Saved = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a wattsweep checkpoint", path.display()))?;
        let (model, optim) = self.records(id, saved.epoch);
        if saved.command {
            return Ok(Some(saved));
        }
        if !model.exists() || !optim.exists() {
            anyhow::bail!("{}: its records for epoch {} are missing", path.display(), saved.epoch);
        }
        Ok(Some(saved))
    }

    /// Save the state after `saved.epoch`, then drop the trial's older records.
    pub(super) fn save(
        &self,
        id: &str,
        saved: &Saved,
        model: &Model,
        optim: &ModuleOptimizer,
    ) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("{}: cannot create", self.dir.display()))?;
        let (m, o) = self.records(id, saved.epoch);
        crate::train::save_state(model, optim, &m, &o)?;
        self.update(id, saved)?;
        self.remove_records(id, Some(saved.epoch))
    }

    /// The folder a command trial may keep its own state in across rungs
    /// (`WATTSWEEP_CHECKPOINT_DIR`).
    pub(super) fn command_dir(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.command"))
    }

    /// Present while a command trial's rung runs: a later run finding it knows the command's
    /// state may be past the checkpoint.
    pub(super) fn command_marker(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.command.running"))
    }

    /// Save a command trial's sums after `saved.epoch` (it has no records of ours).
    pub(super) fn save_command(&self, id: &str, saved: &Saved) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("{}: cannot create", self.dir.display()))?;
        self.update(id, &Saved { command: true, ..saved.clone() })
    }

    /// Rewrite the JSON part only (the records of `saved.epoch` must be there).
    pub(super) fn update(&self, id: &str, saved: &Saved) -> Result<()> {
        write_atomic(&self.json(id), &serde_json::to_vec_pretty(saved)?)
    }

    /// Remove everything of `id`.
    pub(super) fn remove(&self, id: &str) -> Result<()> {
        let _ = std::fs::remove_file(self.command_marker(id));
        let own = self.command_dir(id);
        if own.exists() {
            std::fs::remove_dir_all(&own)
                .with_context(|| format!("{}: cannot remove", own.display()))?;
        }
        let json = self.json(id);
        if json.exists() {
            std::fs::remove_file(&json)
                .with_context(|| format!("{}: cannot remove", json.display()))?;
        }
        self.remove_records(id, None)
    }

    /// Remove the records of `id` except those of epoch `keep`.
    fn remove_records(&self, id: &str, keep: Option<usize>) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Ok(()) };
        let prefix = format!("{id}.e");
        let kept = keep.map(|e| format!("{id}.e{e}."));
        for path in entries.flatten().map(|e| e.path()) {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.starts_with(&prefix) && kept.as_ref().is_none_or(|k| !name.starts_with(k)) {
                std::fs::remove_file(&path)
                    .with_context(|| format!("{}: cannot remove", path.display()))?;
            }
        }
        Ok(())
    }

    /// Trial ids with a checkpoint JSON.
    pub(super) fn ids(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Vec::new() };
        let mut ids: Vec<String> = entries
            .flatten()
            .filter_map(|e| {
                e.file_name().to_str().and_then(|n| n.strip_suffix(".json")).map(String::from)
            })
            .collect();
        ids.sort();
        ids
    }

    /// Remove the directory if no checkpoint is left in it. Temporary files of writes that a
    /// kill cut short (`.<name>.tmp-<pid>`) belong to no checkpoint and go first.
    pub(super) fn remove_dir_if_empty(&self) {
        if !self.ids().is_empty() {
            return;
        }
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for path in entries.flatten().map(|e| e.path()) {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                if name.starts_with('.') && name.contains(".tmp-") && path.is_file() {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}

#[cfg(test)]
#[path = "tests/checkpoint.rs"]
mod tests;
