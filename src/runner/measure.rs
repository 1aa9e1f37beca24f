//! `wattsweep measure [--out FILE.csv] … -- CMD ARGS…`: one command measured like a command
//! trial (the same supervisor, sensors and event protocol), with no grid. The command's output
//! passes through; a one-line summary goes to stderr, a row to FILE.csv when asked; the exit code
//! is the command's own.

use super::budget::BudgetState;
use super::environment::{hostname, machine_info, slurm_job_id};
use super::idle::measure_idle;
use super::interrupt::Interrupt;
use super::launch::{self, Launch, Stop, Watch};
use crate::config::Budget;
use crate::energy::{EnergyOptions, Meter};
use crate::results::{CsvLog, ResultRow, one_line};
use anyhow::{Context, Result};
use std::path::PathBuf;

pub(crate) struct MeasureOptions {
    pub argv: Vec<String>,
    pub out: Option<PathBuf>,
    pub idle_s: f64,
    pub energy: EnergyOptions,
}

/// Run and measure; returns the command's exit code (128 + signal when a signal ended it, 130
/// after Ctrl-C, 127 when it could not be started).
pub(crate) fn measure(opts: &MeasureOptions) -> Result<u8> {
    let log = match &opts.out {
        Some(path) => {
            let (log, repair) = CsvLog::<ResultRow>::open(path)?;
            if repair.cut_bytes > 0 {
                tracing::warn!("{}: cut a torn last line", path.display());
            }
            Some(log)
        }
        None => None,
    };
    let meter = Meter::start(opts.energy.clone());
    let interrupt = Interrupt::install(meter.state_dir().to_path_buf())?;
    let idle_power_w = measure_idle(&meter, opts.idle_s, &interrupt);
    let budget = BudgetState::new(Budget::default());
    let tmp = std::env::temp_dir();
    let l = Launch {
        argv: opts.argv.clone(),
        env: vec![("PYTHONUNBUFFERED".into(), "1".into())],
        workdir: std::env::current_dir().context("the current folder")?,
        timeout: None,
        regexes: Vec::new(),
        log: None,
        log_cap: 0,
        log_append: false,
        echo: true,
        status_file: tmp.join(format!("wattsweep-measure-{}.json", std::process::id())),
        pid_file: None,
    };
    let started_at = super::environment::now_iso();
    let watch = Watch { meter: &meter, interrupt: Some(&interrupt), budget: Some(&budget) };
    let ran = launch::run(&l, &watch, &mut |_| {})?;
    let e = &ran.train;
    let t = ran.train_time_s;
    let code: u8 = match &ran.stop {
        Stop::Exited(c) => u8::try_from(*c).unwrap_or(1),
        Stop::Signaled(s) => u8::try_from(128 + s).unwrap_or(255),
        Stop::SpawnFailed(_) => 127,
        Stop::Interrupted | Stop::Budget(_) | Stop::Timeout(_) => 130,
    };
    let mut line = format!(
        "wattsweep: {:.3} J in {:.3} s ({:.2} W mean), energy source {}",
        e.total_j,
        t,
        if t > 0.0 { e.total_j / t } else { 0.0 },
        meter.source()
    );
    if let Some(m) = meter.estimate_method() {
        line += &format!(" ({m})");
    }
    if !ran.phases_seen.is_empty() {
        line += " — train phases only";
    }
    if let Some(a) = ran.test_accuracy {
        line += &format!(", test_accuracy {a}");
    }
    if let Stop::SpawnFailed(why) = &ran.stop {
        line += &format!("; {why}");
    }
    eprintln!("{line}");
    if let Some(log) = log {
        let row = ResultRow {
            trial_id: format!("measure-{}", std::process::id()),
            status: if code == 0 { "ok".into() } else { "failed".into() },
            error: (code != 0).then(|| one_line(&format!("{:?}", ran.stop))),
            model: opts.argv.join(" "),
            backend: "command".into(),
            train_images: ran.train_images.unwrap_or(0),
            test_accuracy: ran.test_accuracy,
            train_time_s: t,
            eval_time_s: ran.eval_last.as_ref().map(|w| w.duration_s),
            eval_energy_j: ran.eval_last.as_ref().map(|w| w.energy_j),
            energy_j: Some(e.total_j),
            energy_source: meter.source(),
            estimate_method: meter.estimate_method().map(String::from),
            energy_zones: Some(e.zones.join("+")).filter(|z| !z.is_empty()),
            cpu_energy_j: e.cpu_j,
            dram_energy_j: e.dram_j,
            gpu_energy_j: e.gpu_j,
            psys_energy_j: e.psys_j,
            counter_wraps: Some(e.counter_wraps),
            read_failures: Some(e.read_failures),
            energy_complete: Some(e.read_failures == 0),
            mean_power_w: (t > 0.0).then(|| e.total_j / t),
            idle_power_w,
            net_energy_j: idle_power_w.map(|p| e.total_j - p * t),
            other_cpu_share: ran.load.other_cpu_share(),
            joules_per_accuracy_point: ran
                .test_accuracy
                .filter(|a| *a > 0.0)
                .map(|a| e.total_j / (a * 100.0)),
            peak_rss_mb: ran.status.as_ref().map(|s| s.max_rss_mb).filter(|m| *m > 0.0),
            command_phases: Some(ran.phases_text()),
            command_cpu_s: ran.status.as_ref().map(|s| s.cpu_s),
            hostname: hostname(),
            slurm_job_id: slurm_job_id(),
            machine_id: Some(machine_info(&meter).machine_id),
            started_at,
            finished_at: super::environment::now_iso(),
            wattsweep_version: env!("CARGO_PKG_VERSION").into(),
            ..Default::default()
        };
        log.append(&row)?;
    }
    Ok(code)
}
