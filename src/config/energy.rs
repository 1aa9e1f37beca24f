//! The `[energy]` table of a grid (and its `[energy.ops]`): how energy is measured and
//! converted, each value checked with a message naming the key.

use super::grid::{BackgroundLoad, EnergySettings};
use super::walker::Walker;

const OPS_KEYS: [&str; 3] = ["mac_pj", "ac_pj", "memory_bits"];
const ENERGY_KEYS: [&str; 12] = [
    "ops",
    "gpus",
    "idle_every_s",
    "cooldown_s",
    "sample_hz",
    "idle_s",
    "cpu_tdp_w",
    "carbon_intensity_g_per_kwh",
    "vcpu_min_w",
    "vcpu_max_w",
    "max_other_cpu_share",
    "on_background_load",
];

pub(super) fn parse_energy(w: &mut Walker, t: &toml::Table) -> EnergySettings {
    let mut e = EnergySettings::default();
    for (k, v) in t {
        let at = format!("energy.{k}");
        if k == "ops" {
            if let Some(ops) = w.table(&at, v) {
                parse_ops(w, ops, &mut e.ops);
            }
            continue;
        }
        if k == "gpus" {
            match gpu_selection(v) {
                Ok(sel) => e.gpus = sel,
                Err(msg) => w.problem(format!("{at} = {v}"), msg),
            }
            continue;
        }
        if k == "on_background_load" {
            match v.as_str() {
                Some("warn") => e.on_background_load = BackgroundLoad::Warn,
                Some("rerun") => e.on_background_load = BackgroundLoad::Rerun,
                _ => w.problem(format!("{at} = {v}"), "must be \"warn\" or \"rerun\""),
            }
            continue;
        }
        let Some(x) = v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) else {
            if ENERGY_KEYS.contains(&k.as_str()) {
                w.problem(format!("{at} = {v}"), "must be a number");
            } else {
                w.unknown(&at, k, &ENERGY_KEYS);
            }
            continue;
        };
        let bad = |w: &mut Walker, msg: &str| w.problem(format!("{at} = {v}"), msg.to_string());
        match k.as_str() {
            "sample_hz" if x > 0.0 && x <= 1000.0 => e.sample_hz = x,
            "sample_hz" => bad(w, "must be in (0, 1000]"),
            "idle_s" if (0.0..=3600.0).contains(&x) => e.idle_s = x,
            "idle_s" => bad(w, "must be in [0, 3600]"),
            "idle_every_s" if x >= 0.0 && x.is_finite() => e.idle_every_s = x,
            "idle_every_s" => bad(w, "must be ≥ 0 (seconds; 0 = only at the start and the end)"),
            "cooldown_s" if (0.0..=86_400.0).contains(&x) => e.cooldown_s = x,
            "cooldown_s" => bad(w, "must be in [0, 86400] (seconds between trials)"),
            "cpu_tdp_w" if x > 0.0 && x < 10_000.0 => e.cpu_tdp_w = Some(x),
            "cpu_tdp_w" => bad(w, "must be > 0 (watts)"),
            "carbon_intensity_g_per_kwh" if x >= 0.0 && x.is_finite() => {
                e.carbon_intensity_g_per_kwh = x
            }
            "carbon_intensity_g_per_kwh" => bad(w, "must be ≥ 0"),
            "vcpu_min_w" if x > 0.0 && x < 1000.0 => e.vcpu_min_w = Some(x),
            "vcpu_max_w" if x > 0.0 && x < 1000.0 => e.vcpu_max_w = Some(x),
            "vcpu_min_w" | "vcpu_max_w" => bad(w, "must be > 0 (watts per vCPU)"),
            "max_other_cpu_share" if (0.0..=1.0).contains(&x) => e.max_other_cpu_share = x,
            "max_other_cpu_share" => {
                bad(w, "must be in [0, 1] (a share of the machine's busy CPU time)")
            }
            other => w.unknown(&at, other, &ENERGY_KEYS),
        }
    }
    if let (Some(lo), Some(hi)) = (e.vcpu_min_w, e.vcpu_max_w)
        && hi < lo
    {
        w.problem(
            format!("energy.vcpu_max_w = {hi}"),
            format!("must be ≥ energy.vcpu_min_w = {lo} (busy power cannot be below idle power)"),
        );
    }
    e
}

/// `[energy] gpus`: `"visible"`, `"all"`, `"none"`, or a non-empty list of indices (PCI bus
/// order), GPU UUIDs and MIG UUIDs.
fn gpu_selection(v: &toml::Value) -> Result<crate::energy::GpuSelection, String> {
    use crate::energy::GpuSelection;
    let usage = "must be \"visible\", \"all\", \"none\" or a list of GPU indices and UUIDs (\"GPU-…\", \"MIG-…\")";
    match v {
        toml::Value::String(s) => match s.as_str() {
            "visible" => Ok(GpuSelection::Visible),
            "all" => Ok(GpuSelection::All),
            "none" => Ok(GpuSelection::None),
            _ => Err(usage.into()),
        },
        toml::Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| match item {
                toml::Value::Integer(i) if *i >= 0 => Ok(i.to_string()),
                toml::Value::String(s) if s.starts_with("GPU-") || s.starts_with("MIG-") => {
                    Ok(s.clone())
                }
                other => Err(format!("{other} is not a GPU index (≥ 0) or UUID; {usage}")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(GpuSelection::List),
        _ => Err(usage.into()),
    }
}

/// `[energy.ops]`: picojoules per operation (≥ 0) and the memory word width in bits.
fn parse_ops(w: &mut Walker, t: &toml::Table, ops: &mut crate::energy::OpEnergies) {
    for (k, v) in t {
        let at = format!("energy.ops.{k}");
        let x = v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
        match (k.as_str(), x) {
            ("mac_pj" | "ac_pj", Some(x)) if x.is_finite() && x >= 0.0 => {
                if k == "mac_pj" {
                    ops.mac_pj = x
                } else {
                    ops.ac_pj = x
                }
            }
            ("mac_pj" | "ac_pj", _) => {
                w.problem(format!("{at} = {v}"), "must be a number ≥ 0 (picojoules per operation)")
            }
            ("memory_bits", Some(x)) if x.fract() == 0.0 && (1.0..=64.0).contains(&x) => {
                ops.memory_bits = x
            }
            ("memory_bits", _) => w.problem(
                format!("{at} = {v}"),
                "must be a whole number from 1 to 64 (bits per stored value)",
            ),
            (other, _) => w.unknown(&at, other, &OPS_KEYS),
        }
    }
}
