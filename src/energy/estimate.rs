//! CPU energy estimate used when no RAPL package counter is readable. Two models, both as
//! cumulative counters so windows are plain differences (`estimate_method` names the one used):
//!
//! ```text
//! tdp:                cpu_energy_J = TDP_W × process_cpu_s / logical_cpus_of_one_package
//! vcpu-coefficients:  cpu_energy_J = vCPUs × min_W × wall_s + (max_W − min_W) × process_cpu_s
//! ```
//!
//! `tdp` (bare metal) charges the process the share of one package's TDP that its CPU time
//! occupies. `vcpu-coefficients` (a virtual machine: the `hypervisor` CPU flag) is the Cloud
//! Carbon Footprint model, per-vCPU power = min + utilisation × (max − min) with CCF's
//! coefficients by microarchitecture, applied to the whole VM at the utilisation this process
//! gives it (utilisation = process_cpu_s / (wall_s × vCPUs)); `user` is the same model with
//! `[energy] vcpu_min_w` / `vcpu_max_w` from the grid. `process_cpu_s` is user + system time
//! of all threads (`getrusage(RUSAGE_SELF)`, microsecond resolution).
//!
//! Known error: `tdp` ignores idle/static package power, uncore and DRAM, assumes power grows
//! linearly with utilisation up to TDP (turbo exceeds it; light loads stay below) and counts
//! SMT siblings as full CPUs; the CCF coefficients are fleet averages from SPECpower results of
//! whole servers divided per vCPU, so a given instance can be off by a factor of two. Either way
//! it is labelled `estimate` everywhere.

use std::io;

use super::cpuinfo::{CpuInfo, UNKNOWN_MICROARCH, microarch};

/// Used when neither `cpu_tdp_w` nor the table gives a value: the most common
/// desktop TDP class.
pub(super) const DEFAULT_TDP_W: f64 = 65.0;

/// Model-name substrings (matched case-insensitively, first hit wins, so
/// more specific entries come first) and their TDP / base power in watts.
const TDP_TABLE: &[(&str, f64)] = &[
    ("i9-14900k", 125.0),
    ("i9-13900k", 125.0),
    ("i7-13700k", 125.0),
    ("i7-12700k", 125.0),
    ("i5-13600k", 125.0),
    ("i5-12400", 65.0),
    ("i7-1165g7", 28.0),
    ("i5-1135g7", 28.0),
    ("i7-1260p", 28.0),
    ("xeon(r) platinum 8480", 350.0),
    ("xeon(r) platinum 8380", 270.0),
    ("xeon(r) gold 6248", 150.0),
    ("ryzen 9 7950x", 170.0),
    ("ryzen 9 5950x", 105.0),
    ("ryzen 7 5800x", 105.0),
    ("ryzen 5 5600x", 65.0),
    ("ryzen 7 7840u", 28.0),
    ("epyc 9654", 360.0),
    ("epyc 7763", 280.0),
];

/// Where the TDP came from, for `wattsweep sensors`.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum TdpSource {
    Option,
    Table(&'static str),
    Default,
}

pub(super) fn resolve_tdp(option_w: Option<f64>, cpu_model: &str) -> (f64, TdpSource) {
    if let Some(w) = option_w.filter(|w| w.is_finite() && *w > 0.0) {
        return (w, TdpSource::Option);
    }
    let model = cpu_model.to_lowercase();
    match TDP_TABLE.iter().find(|(key, _)| model.contains(key)) {
        Some((key, w)) => (*w, TdpSource::Table(key)),
        None => (DEFAULT_TDP_W, TdpSource::Default),
    }
}

/// Cumulative CPU time of this process in µs.
pub(super) type CpuClock = Box<dyn FnMut() -> io::Result<u64> + Send>;

/// CPU time of this process and of the processes it started: the children it has reaped
/// (`RUSAGE_CHILDREN`, which holds a command trial's whole tree once its supervisor has ended)
/// and the command trial's tree while it runs (`process::tree::tracked_cpu_us`). A built-in
/// trial starts no process, so for it this is its own time.
pub(super) fn process_cpu_clock() -> CpuClock {
    Box::new(|| {
        let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
        let mut total = 0;
        // Children before the running tree: a tree reaped in between is then missed for one
        // sample (the estimate keeps its maximum), never counted twice.
        for who in [libc::RUSAGE_SELF, libc::RUSAGE_CHILDREN] {
            // SAFETY: getrusage only writes into the zeroed struct we pass.
            let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
            if unsafe { libc::getrusage(who, &mut ru) } != 0 {
                return Err(io::Error::last_os_error());
            }
            total += us(ru.ru_utime) + us(ru.ru_stime);
        }
        Ok(total + crate::process::tree::tracked_cpu_us())
    })
}

/// Which estimate model applies, with its inputs.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum EstimateModel {
    /// Bare metal: one package's TDP shared by its logical CPUs.
    Tdp { tdp_w: f64, source: TdpSource, cpus_per_package: usize },
    /// A VM (or coefficients from the grid): per-vCPU idle and busy power.
    Vcpu { min_w: f64, max_w: f64, vcpus: usize, microarch: &'static str, user: bool },
}

impl EstimateModel {
    /// The model for this CPU: `vcpu_min_w`/`vcpu_max_w` from the grid win (a missing one comes
    /// from the table); then a given `cpu_tdp_w`; then the hypervisor flag picks CCF's
    /// coefficients; bare metal uses the TDP.
    pub(super) fn choose(
        cpu_tdp_w: Option<f64>,
        vcpu_min_w: Option<f64>,
        vcpu_max_w: Option<f64>,
        cpu: &CpuInfo,
    ) -> EstimateModel {
        let arch = microarch(cpu);
        let vcpus = cpu.logical_cpus.max(1);
        if vcpu_min_w.is_some() || vcpu_max_w.is_some() {
            return EstimateModel::Vcpu {
                min_w: vcpu_min_w.unwrap_or(arch.min_w),
                max_w: vcpu_max_w.unwrap_or(arch.max_w),
                vcpus,
                microarch: arch.name,
                user: true,
            };
        }
        if cpu.hypervisor && cpu_tdp_w.is_none() {
            return EstimateModel::Vcpu {
                min_w: arch.min_w,
                max_w: arch.max_w,
                vcpus,
                microarch: arch.name,
                user: false,
            };
        }
        let (tdp_w, source) = resolve_tdp(cpu_tdp_w, &cpu.model_name);
        EstimateModel::Tdp { tdp_w, source, cpus_per_package: cpu.cpus_per_package() }
    }

    /// The `estimate_method` column: `tdp`, `vcpu-coefficients` or `user`.
    pub(super) fn method(&self) -> &'static str {
        match self {
            EstimateModel::Tdp { .. } => "tdp",
            EstimateModel::Vcpu { user: true, .. } => "user",
            EstimateModel::Vcpu { .. } => "vcpu-coefficients",
        }
    }

    /// The model and its inputs in words, for `wattsweep sensors`.
    pub(super) fn describe(&self) -> String {
        match self {
            EstimateModel::Tdp { tdp_w, source, cpus_per_package } => {
                let from = match source {
                    TdpSource::Option => "from cpu_tdp_w".to_string(),
                    TdpSource::Table(k) => format!("table entry `{k}`"),
                    TdpSource::Default => "default; set cpu_tdp_w for your CPU".to_string(),
                };
                format!(
                    "TDP {tdp_w} W ({from}) × process CPU-seconds / {cpus_per_package} logical CPUs of one package"
                )
            }
            EstimateModel::Vcpu { min_w, max_w, vcpus, microarch, user } => {
                let from = if *user {
                    "from [energy] vcpu_min_w / vcpu_max_w".to_string()
                } else if *microarch == UNKNOWN_MICROARCH.name {
                    "Cloud Carbon Footprint's average: this CPU's microarchitecture is not in its table".to_string()
                } else {
                    format!("Cloud Carbon Footprint's coefficients for {microarch}")
                };
                format!(
                    "{vcpus} vCPUs × ({min_w} W + utilisation × ({max_w} − {min_w}) W) ({from})"
                )
            }
        }
    }

    /// Energy in µJ after `cpu_us` of process CPU time and `wall_us` of wall time.
    fn energy_uj(&self, cpu_us: f64, wall_us: f64) -> f64 {
        match self {
            EstimateModel::Tdp { tdp_w, cpus_per_package, .. } => {
                tdp_w * cpu_us / (*cpus_per_package).max(1) as f64
            }
            EstimateModel::Vcpu { min_w, max_w, vcpus, .. } => {
                *vcpus as f64 * min_w * wall_us + (max_w - min_w).max(0.0) * cpu_us
            }
        }
    }
}

/// Wall time in µs since some fixed start.
pub(super) type WallClock = Box<dyn FnMut() -> u64 + Send>;

pub(super) fn wall_clock() -> WallClock {
    let start = std::time::Instant::now();
    Box::new(move || start.elapsed().as_micros() as u64)
}

/// The estimate as a cumulative energy counter (domain `cpu-estimate`).
pub(super) struct CpuEstimate {
    pub model: EstimateModel,
    clock: CpuClock,
    wall: WallClock,
    /// CPU and wall time at the start; `None` until the CPU clock first answers.
    base_us: Option<(u64, u64)>,
    pub cumulative_uj: u64,
    failing: bool,
}

impl CpuEstimate {
    pub(super) fn new(
        model: EstimateModel,
        mut clock: CpuClock,
        mut wall: WallClock,
    ) -> CpuEstimate {
        let base_us = clock().ok().map(|c| (c, wall()));
        CpuEstimate { model, clock, wall, base_us, cumulative_uj: 0, failing: false }
    }

    /// Recompute from the clocks; recomputing from the base (rather than adding slices) keeps
    /// the value exact and monotonic.
    pub(super) fn sample(&mut self) {
        match (self.clock)() {
            Ok(cpu_us) => {
                let wall_us = (self.wall)();
                let (cpu0, wall0) = *self.base_us.get_or_insert((cpu_us, wall_us));
                let uj = self.model.energy_uj(
                    cpu_us.saturating_sub(cpu0) as f64,
                    wall_us.saturating_sub(wall0) as f64,
                );
                self.cumulative_uj = self.cumulative_uj.max(uj.round() as u64);
                self.failing = false;
            }
            Err(e) if !self.failing => {
                tracing::warn!("CPU time unavailable for the energy estimate: {e}");
                self.failing = true;
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
#[path = "tests/estimate.rs"]
mod tests;
