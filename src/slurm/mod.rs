//! Slurm front end: `wattsweep slurm GRID` turns a grid into a job array of shards plus a merge
//! job, and `wattsweep merge OUT` combines the shards' CSVs.
//!
//! The design leans on what the runner already guarantees, so the cluster adds no new state:
//! - Task I of the array runs `wattsweep run GRID --shard I/N`; trials go to shards by id
//!   ([`crate::shard::Shard`]), so every trial is in exactly one shard and keeps it as the grid
//!   grows. Each shard writes only under `<out>/shards/I-of-N/`, with its own lock, so tasks on
//!   different nodes never write the same file.
//! - Resume is resubmission: a shard skips trials `ok` in any shard. `scancel` sends SIGCONT and
//!   SIGTERM, then SIGKILL after the cluster's KillWait (30 s by default); the runner turns the
//!   first SIGTERM into an `interrupted` row, so a cancelled task loses only its running trial.
//! - Nodes are held `--exclusive` by default: RAPL counts whole CPU packages, so another job on
//!   the package would be billed to our trial. `--shared` runs record `exclusive=false` in every
//!   row (the script passes `run --slurm-exclusive false`).
//! - The merge job depends `afterany` on the array, so it also runs after failed or cancelled
//!   tasks and lists what is missing.
//!
//! `settings` resolves flags and the grid's `[slurm]` table, `sbatch` writes the scripts,
//! `submit` calls `sbatch`, `merge` combines the shards, `cmd` holds the commands' entry points.

pub(crate) mod cmd;
pub(crate) mod merge;
pub(crate) mod sbatch;
pub(crate) mod settings;
pub(crate) mod submit;

pub(crate) use cmd::{SlurmRequest, merge_command, slurm_command};
pub(crate) use settings::SlurmFlags;

#[cfg(test)]
#[path = "tests/mod.rs"]
mod tests;
