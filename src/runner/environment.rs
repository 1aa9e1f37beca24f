//! `<out>/run.json`: the resolved grid and the machine it ran on (CPU, cores, RAM, GPUs, OS,
//! versions, backend, Slurm ids), so any row can be traced back to where it was measured.

use crate::names::Named;
use crate::plan::Trial;
use serde::Serialize;
use sysinfo::System;

/// The Burn version this build pins (Cargo.toml `burn = "=0.22.1"`).
/// The Burn version this binary was built with, read from Cargo.lock by build.rs.
pub(super) const BURN_VERSION: &str = env!("WATTSWEEP_BURN_VERSION");

#[derive(Clone, Debug, Serialize)]
pub(super) struct Machine {
    pub hostname: String,
    pub cpu_model: String,
    pub logical_cores: usize,
    pub physical_cores: Option<usize>,
    pub ram_mb: u64,
    pub os: String,
    pub kernel: String,
    pub gpus: Vec<String>,
    pub slurm_job_id: Option<String>,
    pub slurm_array_task_id: Option<String>,
}

impl Machine {
    pub(super) fn probe(gpus: Vec<String>) -> Machine {
        let mut sys = System::new();
        sys.refresh_cpu_all();
        sys.refresh_memory();
        let cpu_model =
            sys.cpus().first().map(|c| c.brand().trim().to_string()).unwrap_or_default();
        Machine {
            hostname: hostname(),
            cpu_model,
            logical_cores: sys.cpus().len(),
            physical_cores: System::physical_core_count(),
            ram_mb: sys.total_memory() / (1024 * 1024),
            os: System::long_os_version().unwrap_or_default(),
            kernel: System::kernel_version().unwrap_or_default(),
            gpus,
            slurm_job_id: slurm_job_id(),
            slurm_array_task_id: std::env::var("SLURM_ARRAY_TASK_ID").ok(),
        }
    }
}

/// This machine as `machine.json` records it, with its `machine_id`: the host, the RAPL zones
/// `meter` sums, and the GPUs, driver and power limits it found (a sweep's machine.json, and the
/// `machine_id` of `wattsweep measure`'s row).
pub(super) fn machine_info(meter: &crate::energy::Meter) -> crate::machine::MachineInfo {
    let zones = meter.zones().iter().filter(|z| z.is_summed()).map(|z| z.label.clone()).collect();
    let mut machine = crate::machine::probe(std::path::Path::new("/"), zones, meter.gpu_names());
    machine.gpu_driver = meter.gpu_driver();
    machine.gpu_power_limits_w = meter.gpu_power_limits_w();
    machine.with_id()
}

pub(super) fn hostname() -> String {
    System::host_name().unwrap_or_else(|| "unknown".into())
}

/// `SLURM_JOB_ID`, or `ARRAYJOB_TASK` for array tasks (how `squeue` and `sacct` name them).
pub(super) fn slurm_job_id() -> Option<String> {
    let array = std::env::var("SLURM_ARRAY_JOB_ID").ok();
    let task = std::env::var("SLURM_ARRAY_TASK_ID").ok();
    match (array, task) {
        (Some(a), Some(t)) => Some(format!("{a}_{t}")),
        _ => std::env::var("SLURM_JOB_ID").ok(),
    }
}

#[derive(Serialize)]
struct TrialEntry<'a> {
    trial_id: &'a str,
    settings: String,
}

#[derive(Serialize)]
pub(super) struct RunInfo<'a> {
    pub wattsweep_version: &'static str,
    pub burn_version: &'static str,
    pub started_at: String,
    pub command: Vec<String>,
    pub grid_file: String,
    pub grid_text: &'a str,
    pub backends: Vec<&'static str>,
    pub energy_source: String,
    pub machine: Machine,
    pub data: Vec<serde_json::Value>,
    pub shard: Option<String>,
    trials: Vec<TrialEntry<'a>>,
}

impl<'a> RunInfo<'a> {
    pub(super) fn new(
        grid_file: String,
        grid_text: &'a str,
        trials: &'a [Trial],
        energy_source: String,
        machine: Machine,
        data: Vec<serde_json::Value>,
        shard: Option<String>,
    ) -> RunInfo<'a> {
        let mut backends: Vec<&'static str> =
            trials.iter().map(|t| t.spec.backend.name()).collect();
        backends.sort();
        backends.dedup();
        RunInfo {
            wattsweep_version: env!("CARGO_PKG_VERSION"),
            burn_version: BURN_VERSION,
            started_at: now_iso(),
            command: std::env::args().collect(),
            grid_file,
            grid_text,
            backends,
            energy_source,
            machine,
            data,
            shard,
            trials: trials
                .iter()
                .map(|t| TrialEntry { trial_id: &t.id, settings: t.spec.canonical() })
                .collect(),
        }
    }
}

/// Now, as ISO 8601 with the local zone offset (e.g. `2026-11-25T21:04:05+00:00`).
pub(super) fn now_iso() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}
