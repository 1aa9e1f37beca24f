//! Cumulative energy per domain at one instant, and the window between two readings: phase
//! energies are differences of counters read at the phase boundaries, not integrals of samples.

use std::time::Instant;

/// What a domain's energy means for the totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DomainKind {
    /// RAPL `package-*`: summed into `cpu_energy_j`.
    CpuPackage,
    /// RAPL `dram`: summed into `dram_energy_j`.
    Dram,
    /// RAPL `core`/`uncore`: inside its package; never added.
    CpuSubpart,
    /// RAPL `psys`: whole platform; recorded alone.
    Psys,
    /// Other RAPL zones: never added.
    Other,
    Gpu,
    /// TDP-based estimate (`cpu-estimate`), used when no package is readable.
    CpuEstimate,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DomainEnergy {
    /// e.g. `package-0`, `dram-0`, `psys`, `gpu-0`, `cpu-estimate`.
    pub domain: String,
    pub kind: DomainKind,
    /// Cumulative since the meter started.
    pub energy_uj: u64,
    /// Counter wraps corrected since the meter started.
    pub wraps: u64,
    /// Failed reads since the meter started.
    pub failures: u64,
    /// The read that made this reading failed (its energy stood still): a window starting here
    /// counts it, or a failure at a window's start would fall between two windows' counts.
    pub failed: bool,
}

/// Cumulative energies of every domain at one instant.
#[derive(Clone, Debug)]
pub(crate) struct Reading {
    pub at: Instant,
    pub domains: Vec<DomainEnergy>,
    pub source: String,
}

/// Energy used between two readings.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Window {
    pub duration_s: f64,
    /// RAPL packages, or the estimate; None only if neither exists.
    pub cpu_energy_j: Option<f64>,
    /// None when no dram zone.
    pub dram_energy_j: Option<f64>,
    /// None when no GPU.
    pub gpu_energy_j: Option<f64>,
    /// Whole platform; recorded alone, never added.
    pub psys_energy_j: Option<f64>,
    /// cpu + dram + gpu.
    pub energy_j: f64,
    pub source: String,
    /// The domains summed into `energy_j`, e.g. `package-0+dram-0+gpu-0`.
    pub zones: Vec<String>,
    /// Counter wraps corrected in the window, over those domains.
    pub counter_wraps: u64,
    /// Failed reads in the window, over those domains: each may hide energy (an undercount).
    pub read_failures: u64,
}

fn uj_to_j(uj: u64) -> f64 {
    uj as f64 / 1e6
}

impl Reading {
    pub(crate) fn energy_uj(&self, domain: &str) -> Option<u64> {
        self.domains.iter().find(|d| d.domain == domain).map(|d| d.energy_uj)
    }

    /// Energy per domain between `earlier` and `self`, summed by kind in
    /// integer microjoules (so sums are exact) and converted to joules last.
    pub(crate) fn since(&self, earlier: &Reading) -> Window {
        let sum = |kind: DomainKind| -> Option<u64> {
            let mut total = None;
            for d in self.domains.iter().filter(|d| d.kind == kind) {
                let before = earlier.energy_uj(&d.domain).unwrap_or(d.energy_uj);
                *total.get_or_insert(0) += d.energy_uj.saturating_sub(before);
            }
            total
        };
        let cpu_kind = if self.domains.iter().any(|d| d.kind == DomainKind::CpuPackage) {
            DomainKind::CpuPackage
        } else {
            DomainKind::CpuEstimate
        };
        let summed: Vec<&DomainEnergy> = self
            .domains
            .iter()
            .filter(|d| [cpu_kind, DomainKind::Dram, DomainKind::Gpu].contains(&d.kind))
            .collect();
        let delta = |f: fn(&DomainEnergy) -> u64| -> u64 {
            summed
                .iter()
                .map(|d| {
                    let before =
                        earlier.domains.iter().find(|e| e.domain == d.domain).map_or(f(d), f);
                    f(d).saturating_sub(before)
                })
                .sum()
        };
        let cpu = sum(DomainKind::CpuPackage).or_else(|| sum(DomainKind::CpuEstimate));
        let (dram, gpu, psys) =
            (sum(DomainKind::Dram), sum(DomainKind::Gpu), sum(DomainKind::Psys));
        let total = cpu.unwrap_or(0) + dram.unwrap_or(0) + gpu.unwrap_or(0);
        Window {
            duration_s: self.at.saturating_duration_since(earlier.at).as_secs_f64(),
            cpu_energy_j: cpu.map(uj_to_j),
            dram_energy_j: dram.map(uj_to_j),
            gpu_energy_j: gpu.map(uj_to_j),
            psys_energy_j: psys.map(uj_to_j),
            energy_j: uj_to_j(total),
            source: self.source.clone(),
            zones: summed.iter().map(|d| d.domain.clone()).collect(),
            counter_wraps: delta(|d| d.wraps),
            read_failures: delta(|d| d.failures)
                + earlier
                    .domains
                    .iter()
                    .filter(|e| e.failed && summed.iter().any(|d| d.domain == e.domain))
                    .count() as u64,
        }
    }
}
