//! `wattsweep sensors`: a human-readable list of every sensor found, readable
//! or not (with why, and how to fix), and the power each one measured over a
//! short interval.

use std::fmt::Write;
use std::time::Duration;

use super::meter::Meter;
use super::nvml::{GpuMode, LoadedGpus, load_nvml_gpus};
use super::options::EnergyOptions;
use super::rapl::{ZoneKind, ZoneStatus, permission_advice};
use super::sampler::{Probes, lock};

/// For `wattsweep sensors`: every sensor found, readable or not (why, how to fix), and its power over `over` (1 s in the CLI).
pub(crate) fn sensors_report(opts: &EnergyOptions, over: Duration) -> String {
    let gpus = if opts.use_nvml {
        load_nvml_gpus(&opts.gpus, &opts.state_dir)
    } else {
        LoadedGpus::default()
    };
    report_with(opts, gpus, Probes::system(), over)
}

fn role(kind: ZoneKind) -> &'static str {
    match kind {
        ZoneKind::Package => "CPU package, counted",
        ZoneKind::Dram => "DRAM, counted",
        ZoneKind::Subpart => "part of its package, not added",
        ZoneKind::Psys => "whole platform, recorded alone",
        ZoneKind::Other => "unknown zone, not added",
    }
}

pub(crate) fn report_with(
    opts: &EnergyOptions,
    gpus: impl Into<LoadedGpus>,
    probes: Probes,
    over: Duration,
) -> String {
    let meter = Meter::start_with_probes(opts.clone(), gpus, probes);
    let r0 = meter.read();
    std::thread::sleep(over);
    let r1 = meter.read();
    let dt_s = r1.at.saturating_duration_since(r0.at).as_secs_f64().max(1e-9);
    let power_w = |domain: &str| -> Option<f64> {
        Some(r1.energy_uj(domain)?.saturating_sub(r0.energy_uj(domain)?) as f64 / 1e6 / dt_s)
    };

    let mut out = String::new();
    let root = &opts.powercap_root;
    let _ = writeln!(out, "RAPL zones under {}:", root.display());
    if meter.zones().is_empty() {
        let _ = writeln!(
            out,
            "  none found (not Linux, no intel_rapl_msr driver loaded, or no /sys in this container)"
        );
    }
    let mut need_advice = false;
    for z in meter.zones() {
        let state = match &z.status {
            ZoneStatus::Active => match power_w(&z.label) {
                Some(w) => format!("{w:.2} W"),
                None => "active".into(),
            },
            ZoneStatus::Unreadable(msg) => {
                need_advice = true;
                format!("UNREADABLE: {msg}")
            }
            ZoneStatus::Garbled(msg) => format!("ERROR: {msg}"),
            ZoneStatus::Failed(msg) => format!("unusable: {msg}"),
            ZoneStatus::Mirror { of } => format!("same counter as {of}, not counted"),
        };
        let _ = writeln!(
            out,
            "  {:<20} {:<16} {:<12} ({}) {state}",
            z.id,
            z.name,
            z.label,
            role(z.kind)
        );
    }
    if need_advice {
        let _ = writeln!(out, "  fix: {}", permission_advice(root));
    }

    let sensors = lock(&meter.shared.sensors);
    let _ = writeln!(out, "NVIDIA GPUs (NVML):");
    for problem in meter.gpu_problems() {
        let _ = writeln!(out, "  ERROR: {problem}");
    }
    if sensors.gpus.is_empty() && meter.gpu_problems().is_empty() {
        let why = if opts.use_nvml {
            "none (no driver/libnvidia-ml.so.1, no devices, or none selected: CUDA_VISIBLE_DEVICES / [energy] gpus)"
        } else {
            "disabled (use_nvml = false)"
        };
        let _ = writeln!(out, "  {why}");
    }
    for g in &sensors.gpus {
        let how = match g.mode {
            GpuMode::Counter => "total-energy counter",
            GpuMode::PowerIntegration => {
                "power integration (1 s-averaged power on Ampere+: short windows smeared)"
            }
        };
        let w = power_w(&g.label).map(|w| format!("{w:.2} W")).unwrap_or_default();
        let mig = if g.mig { " (through a MIG instance: whole board, shared)" } else { "" };
        let uuid = g.uuid.as_deref().unwrap_or("");
        let _ = writeln!(out, "  {:<8} {:<28} {uuid} {how} {w}{mig}", g.label, g.name);
    }

    match &sensors.estimate {
        Some(e) => {
            let w = power_w("cpu-estimate").unwrap_or(0.0);
            let _ = writeln!(
                out,
                "CPU: ESTIMATE, estimate_method = {}: {}; off by tens of percent or more ({w:.2} W for this idle process)",
                e.model.method(),
                e.model.describe()
            );
        }
        None => {
            let _ = writeln!(out, "CPU: measured by RAPL package counters");
        }
    }
    let _ = writeln!(
        out,
        "energy source: {}; sample period {} ms",
        meter.source(),
        meter.sample_period().as_millis()
    );
    drop(sensors);
    out
}
