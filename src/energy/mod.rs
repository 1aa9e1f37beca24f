//! Energy measurement of training trials: the public face of the module.
//!
//! A [`Meter`] discovers the sensors once (RAPL zones in the powercap tree,
//! NVIDIA GPUs through NVML, else a TDP-based CPU estimate), keeps a
//! wrap-corrected cumulative energy per domain, and runs a background sampler
//! that keeps counters wrap-safe and writes per-trial power logs. Phase
//! energies come from [`Reading::since`]: counter differences taken at the
//! phase boundaries by [`Meter::read`], not integrals of samples.
//!
//! Files: `counter` (wrap correction), `rapl` (zone discovery), `dedupe`
//! (mirrored counters), `zone`
//! (counter reads, errors), `nvml` (GPUs), `estimate` (CPU fallback),
//! `sampler` (live sensors + thread), `powerlog` (CSV), `report` (`sensors`).

mod counter;
mod dedupe;
mod estimate;
mod nvml;
mod powerlog;
mod rapl;
mod report;
mod sampler;
#[cfg(test)]
mod tests;
mod zone;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

// The module's API surface; a binary crate need not use every item.
#[allow(unused_imports)]
pub use counter::{CounterDiff, CounterUpdate, MAX_ZONE_POWER_W, min_safe_interval};
#[allow(unused_imports)]
pub use estimate::{DEFAULT_TDP_W, TdpSource};
#[allow(unused_imports)]
pub use nvml::{GpuDevice, GpuError, GpuMode};
#[allow(unused_imports)]
pub use rapl::{ZoneInfo, ZoneKind, ZoneStatus};
pub use report::sensors_report;
#[allow(unused_imports)]
pub use sampler::DEFAULT_SAMPLE_HZ;
#[allow(unused_imports)]
pub use zone::RaplError;

use sampler::{Probes, Sensors, Shared, lock};

pub const DEFAULT_POWERCAP_ROOT: &str = "/sys/class/powercap";

#[derive(Clone, Debug)]
pub struct EnergyOptions {
    pub powercap_root: PathBuf,
    pub use_nvml: bool,
    pub sample_hz: f64,
    pub cpu_tdp_w: Option<f64>,
}

impl Default for EnergyOptions {
    fn default() -> Self {
        EnergyOptions {
            powercap_root: PathBuf::from(DEFAULT_POWERCAP_ROOT),
            use_nvml: true,
            sample_hz: DEFAULT_SAMPLE_HZ,
            cpu_tdp_w: None,
        }
    }
}

/// What a domain's energy means for the totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainKind {
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
pub struct DomainEnergy {
    /// e.g. `package-0`, `dram-0`, `psys`, `gpu-0`, `cpu-estimate`.
    pub domain: String,
    pub kind: DomainKind,
    /// Cumulative since the meter started.
    pub energy_uj: u64,
}

/// Cumulative energies of every domain at one instant.
#[derive(Clone, Debug)]
pub struct Reading {
    pub at: Instant,
    pub domains: Vec<DomainEnergy>,
    pub source: String,
}

/// Energy used between two readings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Window {
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
}

fn uj_to_j(uj: u64) -> f64 {
    uj as f64 / 1e6
}

impl Reading {
    pub fn energy_uj(&self, domain: &str) -> Option<u64> {
        self.domains.iter().find(|d| d.domain == domain).map(|d| d.energy_uj)
    }

    /// Energy per domain between `earlier` and `self`, summed by kind in
    /// integer microjoules (so sums are exact) and converted to joules last.
    pub fn since(&self, earlier: &Reading) -> Window {
        let sum = |kind: DomainKind| -> Option<u64> {
            let mut total = None;
            for d in self.domains.iter().filter(|d| d.kind == kind) {
                let before = earlier.energy_uj(&d.domain).unwrap_or(d.energy_uj);
                *total.get_or_insert(0) += d.energy_uj.saturating_sub(before);
            }
            total
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
        }
    }
}

/// Owns the sensors and the sampler thread (stopped on drop). `Send + Sync`:
/// share it by reference or `Arc` between the training and control threads.
pub struct Meter {
    shared: Arc<Shared>,
    zones: Vec<ZoneInfo>,
    gpu_names: Vec<String>,
    source: String,
    period: Duration,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Meter {
    /// Discover sensors (warnings logged once) and start the sampler thread.
    pub fn start(opts: EnergyOptions) -> Meter {
        let gpus = if opts.use_nvml { nvml::load_nvml_gpus() } else { Vec::new() };
        Meter::start_with_gpus(opts, gpus)
    }

    /// Same, with injected GPU devices (tests) — real code calls start() which loads NVML.
    pub fn start_with_gpus(opts: EnergyOptions, gpus: Vec<Box<dyn GpuDevice>>) -> Meter {
        Meter::start_with_probes(opts, gpus, Probes::system())
    }

    pub(crate) fn start_with_probes(
        opts: EnergyOptions,
        gpus: Vec<Box<dyn GpuDevice>>,
        probes: Probes,
    ) -> Meter {
        let zones = rapl::discover(&opts.powercap_root, &probes.reader);
        if zones.is_empty() {
            tracing::debug!("no RAPL zones under {}", opts.powercap_root.display());
        }
        let sensors = Sensors::new(&opts, &zones, gpus, probes);
        zone::log_discovery_problems(&opts.powercap_root, &zones, sensors.estimate.is_some());
        let period = sampler::sample_period(opts.sample_hz, &sensors.max_ranges_uj());
        let gpu_names = sensors.gpus.iter().map(|g| g.name.clone()).collect();
        let source = sensors.source.clone();
        tracing::debug!("energy source {source}, sample period {period:?}");
        let shared = Arc::new(Shared {
            sensors: std::sync::Mutex::new(sensors),
            log: std::sync::Mutex::new(None),
        });
        let (stop, thread) = sampler::spawn(Arc::clone(&shared), period);
        Meter { shared, zones, gpu_names, source, period, stop: Some(stop), thread }
    }

    /// Cumulative, wrap-corrected energy of every domain right now.
    pub fn read(&self) -> Reading {
        self.shared.read()
    }

    /// Energy source label for rows: "rapl", "nvml", "rapl+nvml", "estimate", "estimate+nvml".
    /// ("nvml" alone cannot occur: the CPU always has RAPL or the estimate.)
    pub fn source(&self) -> String {
        self.source.clone()
    }

    pub fn gpu_names(&self) -> Vec<String> {
        self.gpu_names.clone()
    }

    /// Every RAPL zone found, with its status (active, unreadable, mirror...).
    pub fn zones(&self) -> &[ZoneInfo] {
        &self.zones
    }

    /// The sampler period actually used (see `sampler::sample_period`).
    pub fn sample_period(&self) -> Duration {
        self.period
    }

    /// Start writing the power time series of one trial to `path` (parent
    /// directories are created). A log still open is closed first, with a
    /// warning, so one forgotten `end_power_log` cannot break later trials.
    pub fn begin_power_log(&self, path: &Path) -> anyhow::Result<()> {
        let log = powerlog::PowerLog::create(path, self.read())?;
        let previous = lock(&self.shared.log).replace(log);
        if let Some(prev) = previous {
            tracing::warn!("power log {} was still open; closed it", prev.path().display());
            prev.finish()?;
        }
        Ok(())
    }

    /// Stop the current power log: append rows for a fresh reading, flush,
    /// and return the number of data rows written (one per domain per sample).
    /// Errors if no log is open or if writing failed.
    pub fn end_power_log(&self) -> anyhow::Result<u64> {
        let Some(mut log) = lock(&self.shared.log).take() else {
            anyhow::bail!("end_power_log: no power log is open");
        };
        log.append(&self.read());
        log.finish()
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        // Dropping the sender wakes the sampler's select! and ends its loop.
        drop(self.stop.take());
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::warn!("energy sampler thread panicked");
        }
        if let Some(log) = lock(&self.shared.log).take()
            && let Err(e) = log.finish()
        {
            tracing::warn!("{e:#}");
        }
    }
}
