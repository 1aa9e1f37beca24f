//! The [`Meter`]: discovers the sensors once, starts the sampler thread, and hands out
//! [`Reading`]s on demand.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::limits::{self, SavedLimit};
use super::nvml::{self, LoadedGpus};
use super::options::EnergyOptions;
use super::powerlog;
use super::rapl::{self, ZoneInfo};
use super::reading::Reading;
use super::receipts::Receipts;
use super::sampler::{self, Probes, Sensors, Shared, lock};

/// Owns the sensors and the sampler thread (stopped on drop). `Send + Sync`:
/// share it by reference or `Arc` between the training and control threads.
pub(crate) struct Meter {
    pub(super) shared: Arc<Shared>,
    zones: Vec<ZoneInfo>,
    gpu_names: Vec<String>,
    gpu_methods: Vec<&'static str>,
    /// NVML installed but not starting (its error), or an `[energy] gpus` entry naming no GPU.
    gpu_problems: Vec<String>,
    state_dir: PathBuf,
    /// The sampling receipts of the last power log closed.
    last_receipts: std::sync::Mutex<Option<Receipts>>,
    /// Where thermal zones and hwmon sensors are (`/sys/class`).
    thermal_root: PathBuf,
    /// This process's power-limit journal while limits are lowered.
    journal: std::sync::Mutex<Option<PathBuf>>,
    source: String,
    period: Duration,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Meter {
    /// Discover sensors (warnings logged once) and start the sampler thread.
    pub(crate) fn start(opts: EnergyOptions) -> Meter {
        let gpus = if opts.use_nvml {
            nvml::load_nvml_gpus(&opts.gpus, &opts.state_dir)
        } else {
            LoadedGpus::default()
        };
        Meter::start_with_probes(opts, gpus, Probes::system())
    }

    /// Same, with these GPU devices (`start` passes NVML's, or none without `use_nvml`) and
    /// these probes of the machine.
    pub(crate) fn start_with_probes(
        opts: EnergyOptions,
        gpus: impl Into<LoadedGpus>,
        probes: Probes,
    ) -> Meter {
        let gpus: LoadedGpus = gpus.into();
        let mut gpu_problems: Vec<String> = gpus.problem.iter().cloned().collect();
        gpu_problems.extend(gpus.errors.iter().cloned());
        let zones = rapl::discover(&opts.powercap_root, &probes.reader);
        if zones.is_empty() {
            tracing::debug!("no RAPL zones under {}", opts.powercap_root.display());
        }
        let sensors = Sensors::new(&opts, &zones, gpus, probes);
        rapl::log_discovery_problems(&opts.powercap_root, &zones, sensors.estimate.is_some());
        let period = sampler::sample_period(opts.sample_hz, &sensors.max_ranges_uj());
        let gpu_names = sensors.gpus.iter().map(|g| g.name.clone()).collect();
        let gpu_methods = sensors.gpus.iter().map(|g| g.method()).collect();
        let source = sensors.source.clone();
        tracing::debug!("energy source {source}, sample period {period:?}");
        let shared = Arc::new(Shared {
            sensors: std::sync::Mutex::new(sensors),
            log: std::sync::Mutex::new(None),
        });
        let (stop, thread) = sampler::spawn(Arc::clone(&shared), period);
        Meter {
            shared,
            zones,
            gpu_names,
            gpu_methods,
            gpu_problems,
            state_dir: opts.state_dir.clone(),
            journal: std::sync::Mutex::new(None),
            last_receipts: std::sync::Mutex::new(None),
            thermal_root: opts.thermal_root.clone(),
            source,
            period,
            stop: Some(stop),
            thread,
        }
    }

    /// Cumulative, wrap-corrected energy of every domain right now.
    pub(crate) fn read(&self) -> Reading {
        self.shared.read()
    }

    /// Energy source label for rows: "rapl", "nvml", "rapl+nvml", "estimate", "estimate+nvml".
    /// ("nvml" alone cannot occur: the CPU always has RAPL or the estimate.)
    pub(crate) fn source(&self) -> String {
        self.source.clone()
    }

    /// Whether every measured GPU accepts a power limit of `limit_w`: within its range, and
    /// settable by us (proved by setting the limit in force again, which changes nothing).
    pub(crate) fn check_gpu_power_limit(&self, limit_w: f64) -> Result<(), String> {
        let mut sensors = lock(&self.shared.sensors);
        if sensors.gpus.is_empty() {
            return Err("no NVIDIA GPU is measured here (NVML found none, or --no-nvml)".into());
        }
        let mw = (limit_w * 1000.0).round() as u32;
        for g in &mut sensors.gpus {
            let who = format!("{} ({})", g.label, g.name);
            let (lo, hi) = g.power_limit_range_mw().map_err(|e| format!("{who}: {e}"))?;
            if mw < lo || mw > hi {
                return Err(format!("{who} accepts {} to {} W", lo / 1000, hi / 1000));
            }
            let now = g.power_limit_mw().map_err(|e| format!("{who}: {e}"))?;
            g.set_power_limit_mw(now).map_err(|e| format!("{who}: {e}"))?;
        }
        Ok(())
    }

    /// Set every measured GPU's power limit to `limit_w`; returns the limits in force before, to
    /// hand to [`Meter::restore_gpu_power_limits`]. The limits before are journalled first (see
    /// `limits.rs`), so a killed sweep's successor puts them back; a board that refuses the new
    /// limit rolls back the ones already changed.
    pub(crate) fn set_gpu_power_limit(&self, limit_w: f64) -> Result<Vec<u32>, String> {
        let mut sensors = lock(&self.shared.sensors);
        let mw = (limit_w * 1000.0).round() as u32;
        let mut before = Vec::new();
        let mut saved = Vec::new();
        for g in &mut sensors.gpus {
            let who = format!("{} ({})", g.label, g.name);
            let now = g.power_limit_mw().map_err(|e| format!("{who}: {e}"))?;
            before.push(now);
            saved.push(SavedLimit {
                name: g.name.clone(),
                uuid: g.uuid.clone(),
                pci_bus_id: g.pci_bus_id.clone(),
                limit_mw: now,
            });
        }
        let mut journal = lock(&self.journal);
        if journal.is_none() {
            let path = limits::write(&self.state_dir, &saved)
                .map_err(|e| format!("{e:#}; no power limit was changed"))?;
            *journal = Some(path);
        }
        for i in 0..sensors.gpus.len() {
            let g = &mut sensors.gpus[i];
            if let Err(e) = g.set_power_limit_mw(mw) {
                let who = format!("{} ({})", g.label, g.name);
                for (done, &was) in sensors.gpus[..i].iter_mut().zip(&before) {
                    if let Err(e) = done.set_power_limit_mw(was) {
                        tracing::error!(
                            "{} ({}): could not roll its power limit back to {} W: {e}",
                            done.label,
                            done.name,
                            was / 1000
                        );
                        return Err(format!(
                            "{who}: {e}; rolling back failed, the journal {} keeps the limits to restore",
                            journal.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
                        ));
                    }
                }
                if let Some(path) = journal.take() {
                    limits::clear(&path);
                }
                return Err(format!("{who}: {e} (the GPUs already set were put back)"));
            }
        }
        Ok(before)
    }

    /// Put back the limits `set_gpu_power_limit` returned and remove the journal (a failure is
    /// logged and the journal kept, so the next start tries again).
    pub(crate) fn restore_gpu_power_limits(&self, before: &[u32]) {
        let mut sensors = lock(&self.shared.sensors);
        let mut all_back = true;
        for (g, &mw) in sensors.gpus.iter_mut().zip(before) {
            if let Err(e) = g.set_power_limit_mw(mw) {
                all_back = false;
                tracing::error!(
                    "{} ({}): could not restore its power limit of {} W: {e}",
                    g.label,
                    g.name,
                    mw / 1000
                );
            }
        }
        let mut journal = lock(&self.journal);
        if all_back && let Some(path) = journal.take() {
            limits::clear(&path);
        }
    }

    /// Where this meter journals power limits (the signal handler restores from there).
    pub(crate) fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// NVML that is installed but would not start (its error), and `[energy] gpus` entries
    /// naming no GPU here: a GPU trial cannot be measured.
    pub(crate) fn gpu_problems(&self) -> &[String] {
        &self.gpu_problems
    }

    /// The NVIDIA driver's version (the first measured GPU's NVML answer).
    pub(crate) fn gpu_driver(&self) -> Option<String> {
        lock(&self.shared.sensors).gpus.iter().find_map(|g| g.driver_version())
    }

    /// Each measured GPU's power limit now, W (`None` where NVML will not say).
    pub(crate) fn gpu_power_limits_w(&self) -> Vec<Option<f64>> {
        lock(&self.shared.sensors)
            .gpus
            .iter_mut()
            .map(|g| g.power_limit_mw().ok().map(|mw| mw as f64 / 1000.0))
            .collect()
    }

    /// `gpu_energy_method` per measured GPU: `counter` or `power-integral`.
    pub(crate) fn gpu_methods(&self) -> &[&'static str] {
        &self.gpu_methods
    }

    /// Per GPU, whether another process runs compute work on it now (see `GpuMeter::shared`).
    /// A trial on the GPU (`we_use_gpu`) runs on CUDA device 0, the first GPU measured: only
    /// there may an unrecognised pid be ours.
    pub(crate) fn gpus_shared(&self, we_use_gpu: bool) -> Vec<Option<bool>> {
        let own = std::process::id();
        lock(&self.shared.sensors)
            .gpus
            .iter_mut()
            .enumerate()
            .map(|(i, g)| g.shared(own, we_use_gpu && i == 0))
            .collect()
    }

    /// Per GPU, whether a process outside `ours` (a command trial's tree) runs compute work on
    /// it now.
    pub(crate) fn gpus_shared_outside(&self, ours: &[u32]) -> Vec<Option<bool>> {
        lock(&self.shared.sensors).gpus.iter_mut().map(|g| g.shared_outside(ours)).collect()
    }

    /// `tdp`, `vcpu-coefficients` or `user` when the CPU energy is the estimate.
    pub(crate) fn estimate_method(&self) -> Option<&'static str> {
        lock(&self.shared.sensors).estimate.as_ref().map(|e| e.model.method())
    }

    pub(crate) fn gpu_names(&self) -> Vec<String> {
        self.gpu_names.clone()
    }

    /// Every RAPL zone found, with its status (active, unreadable, mirror...).
    pub(crate) fn zones(&self) -> &[ZoneInfo] {
        &self.zones
    }

    /// The sampler period actually used (see `sampler::sample_period`).
    pub(crate) fn sample_period(&self) -> Duration {
        self.period
    }

    /// Start writing the power time series of one trial to `path` (parent
    /// directories are created). A log still open is closed first, with a
    /// warning, so one forgotten `end_power_log` cannot break later trials.
    pub(crate) fn begin_power_log(&self, path: &Path) -> anyhow::Result<()> {
        self.open_power_log(powerlog::PowerLog::create(path, self.read())?)
    }

    /// Like [`begin_power_log`](Self::begin_power_log), but append to the series already in
    /// `path` (a trial continued from a checkpoint).
    pub(crate) fn continue_power_log(&self, path: &Path) -> anyhow::Result<()> {
        self.open_power_log(powerlog::PowerLog::continue_at(path, self.read())?)
    }

    fn open_power_log(&self, log: powerlog::PowerLog) -> anyhow::Result<()> {
        let previous = lock(&self.shared.log).replace(log);
        if let Some(prev) = previous {
            tracing::warn!("power log {} was still open; closed it", prev.path().display());
            prev.finish()?;
        }
        Ok(())
    }

    /// Flush the open power log; its length in bytes and the rows written since it was opened.
    pub(crate) fn power_log_mark(&self) -> anyhow::Result<(u64, u64)> {
        match lock(&self.shared.log).as_mut() {
            Some(log) => log.mark(),
            None => anyhow::bail!("power_log_mark: no power log is open"),
        }
    }

    /// Stop the current power log: append rows for a fresh reading, flush,
    /// and return the number of data rows written (one per domain per sample).
    /// Errors if no log is open or if writing failed.
    pub(crate) fn end_power_log(&self) -> anyhow::Result<u64> {
        let Some(mut log) = lock(&self.shared.log).take() else {
            anyhow::bail!("end_power_log: no power log is open");
        };
        log.append(&self.read());
        *lock(&self.last_receipts) = Some(log.receipts());
        log.finish()
    }

    /// The sampling receipts of the power log closed last (taken once).
    pub(crate) fn take_receipts(&self) -> Option<Receipts> {
        lock(&self.last_receipts).take()
    }

    /// The hottest temperature sensor now, °C (`None` where none is readable).
    pub(crate) fn max_temp_c(&self) -> Option<f64> {
        super::thermal::max_temp_c(&self.thermal_root)
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
