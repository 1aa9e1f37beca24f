//! wattsweep: which neural-network architecture gives the most accuracy per joule?
//!
//! A TOML grid (`config`) expands into trials (`plan`, `trial`); each trial trains a Burn model
//! (`models`, `train`, `backend`) on MNIST-like data (`data`) while `energy` measures it from RAPL
//! and NVML counters (or says it estimates); `runner` orchestrates a crash-safe, resumable sweep
//! and `report` writes the CSVs, summaries and plots. `shard` and `slurm` spread a sweep over a
//! cluster; `bench` times the models.

pub mod backend;
pub mod bench;
pub mod cli;
pub mod config;
pub mod data;
pub mod energy;
pub mod kernels;
pub mod memory;
pub mod models;
pub mod plan;
pub mod report;
pub mod runner;
pub mod shard;
pub mod slurm;
pub mod train;
pub mod trial;

/// Now, as ISO 8601 with the local zone offset (e.g. `2026-11-25T21:04:05+00:00`).
pub fn now_iso() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}
