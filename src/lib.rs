//! wattsweep: which neural-network architecture gives the most accuracy per joule?
//!
//! A TOML grid (`config`) expands into trials (`plan`, `trial`); each trial trains a Burn model
//! (`models`, `train`, `backend`, `optimizer`) on MNIST-like data (`data`), or runs the grid's
//! `[command]` under a supervisor (`process`), while `energy` measures it from RAPL and NVML
//! counters (or says it estimates); `runner` orchestrates a crash-safe, resumable sweep whose
//! rows `results` stores; `report` turns them into summaries and plots. `deploy` classifies with a
//! trained model's weights packed for the CPU (evaluation and inference at deployment speed). `shard` and `slurm`
//! spread a sweep over a cluster; `bench` times the models; `commands` is the glue behind the
//! `cli`. docs/architecture.md gives the order in which modules may depend on each other.
//!
//! The library is the binary's body: only `cli`, `commands` and what the integration tests
//! need are public.

#![warn(unreachable_pub)]

pub(crate) mod backend;
pub(crate) mod bench;
pub mod cli;
pub mod commands;
pub(crate) mod config;
pub(crate) mod data;
pub(crate) mod deploy;
pub(crate) mod energy;
pub(crate) mod kernels;
pub(crate) mod machine;
pub(crate) mod memory;
pub(crate) mod models;
pub(crate) mod names;
pub(crate) mod optimizer;
pub(crate) mod plan;
pub(crate) mod process;
pub(crate) mod report;
pub(crate) mod results;
pub(crate) mod runner;
pub(crate) mod schedule;
pub(crate) mod shard;
pub(crate) mod slurm;
pub(crate) mod train;
pub(crate) mod trial;
pub(crate) mod value;

/// For the integration tests: MNIST-like IDX files and the output-directory lock.
pub use data::{encode_idx_images, encode_idx_labels, synthetic};
pub use runner::OutputLock;
