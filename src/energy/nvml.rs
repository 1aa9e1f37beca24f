//! NVIDIA GPU energy through NVML (loaded at run time by nvml-wrapper via
//! libloading, so machines without the driver run fine), behind the
//! [`GpuDevice`] trait so tests use fakes.
//!
//! Two ways to get energy, chosen per device at start:
//! * Volta and newer: `nvmlDeviceGetTotalEnergyConsumption`, a millijoule
//!   counter since driver load; windows are counter differences (exact).
//! * Older GPUs: integrate `nvmlDeviceGetPowerUsage` with the trapezoid rule
//!   at every sample. Caveat: on Ampere and newer that power value is a
//!   1-second running average (NVML docs; ml-energy/zeus discussions), so
//!   windows shorter than a few seconds are smeared in time. The counter path
//!   does not have that problem, which is why it is preferred.

use std::ffi::OsStr;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use nvml_wrapper::Nvml;
use nvml_wrapper::error::NvmlError;

pub(crate) use super::device::{Board, GpuDevice, GpuError};
use super::limits;
use super::visible::{GpuId, GpuSelection, select_gpus};

/// What opening NVML gave: the GPUs to measure (in the order the selection names them), which
/// of them were reached through a MIG instance, the selection's errors (an explicit list naming
/// a GPU that is not here) and, when NVML is installed but would not start, its error.
#[derive(Default)]
pub(crate) struct LoadedGpus {
    pub gpus: Vec<Box<dyn GpuDevice>>,
    pub mig: Vec<bool>,
    pub errors: Vec<String>,
    pub problem: Option<String>,
}

impl From<Vec<Box<dyn GpuDevice>>> for LoadedGpus {
    /// Devices given directly (tests' fakes): all measured, none through MIG.
    fn from(gpus: Vec<Box<dyn GpuDevice>>) -> LoadedGpus {
        LoadedGpus { mig: vec![false; gpus.len()], gpus, ..LoadedGpus::default() }
    }
}

#[cfg(test)]
impl<G: GpuDevice + 'static> From<Vec<Box<G>>> for LoadedGpus {
    /// Fakes of one type, as tests build them.
    fn from(gpus: Vec<Box<G>>) -> LoadedGpus {
        gpus.into_iter().map(|g| g as Box<dyn GpuDevice>).collect::<Vec<_>>().into()
    }
}

/// Open NVML: `Ok(None)` when there is no NVIDIA driver (the library is not there, which is
/// normal and logged at debug level); `Err` with NVML's own error when the library is there
/// but will not start (a driver and library version mismatch, a container without the
/// `utility` capability, no permission), since a GPU trial would then be measured without
/// its GPU.
fn open_nvml() -> Result<Option<Arc<Nvml>>, String> {
    // nvml-wrapper's default name is `libnvidia-ml.so`, which only exists with
    // the driver's development package; the runtime ships `.so.1`, tried first.
    let nvml = match Nvml::builder().lib_path(OsStr::new("libnvidia-ml.so.1")).init() {
        Ok(n) => n,
        Err(first) => match Nvml::init() {
            Ok(n) => n,
            Err(second) => {
                let absent = |e: &NvmlError| matches!(e, NvmlError::LibloadingError(_));
                if absent(&first) && absent(&second) {
                    tracing::debug!(
                        "no NVIDIA GPU energy: no NVML library ({first}; libnvidia-ml.so: {second})"
                    );
                    return Ok(None);
                }
                return Err(format!(
                    "NVML is installed but did not start, so no GPU is measured: {}",
                    if absent(&first) { second } else { first }
                ));
            }
        },
    };
    Ok(Some(Arc::new(nvml)))
}

/// Every board NVML lists, with what the selection and the journal need of it.
fn all_boards(nvml: &Arc<Nvml>) -> Result<Vec<Board>, String> {
    let count = nvml
        .device_count()
        .map_err(|e| format!("NVML started but cannot count the GPUs, so none is measured: {e}"))?;
    let mut found: Vec<Board> = Vec::new();
    for index in 0..count {
        let device = match nvml.device_by_index(index) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!("NVML device {index} skipped: {e}");
                continue;
            }
        };
        let name = match device.name() {
            Ok(name) => name,
            Err(e) => {
                tracing::warn!("NVML device {index} skipped: {e}");
                continue;
            }
        };
        // The MIG instances on this board, so a `MIG-…` entry can find its board. Boards
        // without MIG answer 0 or "not supported".
        let mig = (0..device.mig_device_count().unwrap_or(0))
            .filter_map(|i| device.mig_device_by_index(i).ok()?.uuid().ok())
            .collect();
        let id = GpuId {
            name: name.clone(),
            uuid: device.uuid().ok(),
            pci_bus_id: device.pci_info().ok().map(|p| p.bus_id),
            mig,
        };
        let gpu = NvmlGpu {
            nvml: Arc::clone(nvml),
            index,
            name,
            uuid: id.uuid.clone(),
            pci_bus_id: id.pci_bus_id.clone(),
        };
        found.push((id, Box::new(gpu)));
    }
    Ok(found)
}

/// Open NVML, put back power limits a killed wattsweep left lowered (see `limits.rs`), and
/// wrap the GPUs `selection` names (see `visible.rs`).
pub(super) fn load_nvml_gpus(selection: &GpuSelection, state_dir: &Path) -> LoadedGpus {
    // NVML installed but failing: said now, and kept for `sensors` and the tch-cuda check.
    let failed = |problem: String| {
        tracing::warn!("{problem}");
        LoadedGpus { problem: Some(problem), ..LoadedGpus::default() }
    };
    let nvml = match open_nvml() {
        Ok(Some(n)) => n,
        Ok(None) => return LoadedGpus::default(),
        Err(problem) => return failed(problem),
    };
    let mut found = match all_boards(&nvml) {
        Ok(f) => f,
        Err(problem) => return failed(problem),
    };
    for dir in limits::recovery_dirs(state_dir) {
        limits::recover(&dir, &mut found);
    }
    let ids: Vec<GpuId> = found.iter().map(|(id, _)| id.clone()).collect();
    let visible = std::env::var("CUDA_VISIBLE_DEVICES").ok();
    let order = std::env::var("CUDA_DEVICE_ORDER").ok();
    let chosen = select_gpus(&ids, selection, visible.as_deref(), order.as_deref());
    for w in &chosen.warnings {
        tracing::warn!("{w}");
    }
    let mut slots: Vec<Option<Box<dyn GpuDevice>>> =
        found.into_iter().map(|(_, g)| Some(g)).collect();
    let mut loaded = LoadedGpus { errors: chosen.errors, ..LoadedGpus::default() };
    for i in chosen.gpus {
        if let Some(g) = slots[i].take() {
            loaded.gpus.push(g);
            loaded.mig.push(chosen.mig.contains(&i));
        }
    }
    loaded
}

/// Put back the power limits this process's journal holds, through a fresh NVML handle (the
/// second Ctrl-C and SIGTERM call this from the signal thread, while the meter's lock may be
/// held by a training thread). Returns how many boards were restored.
pub(crate) fn restore_own_limits(state_dir: &Path) -> Result<usize, String> {
    let path = limits::journal_path(state_dir, std::process::id());
    if !path.exists() {
        return Ok(0);
    }
    let nvml = open_nvml()?.ok_or("NVML is gone")?;
    let mut boards = all_boards(&nvml)?;
    limits::restore_from(&path, &mut boards).map_err(|p| p.join("; "))
}

/// A device handle is borrowed from `Nvml`, so we keep the (shared) library
/// and look the handle up by index per call; that lookup is a cheap table read.
struct NvmlGpu {
    nvml: Arc<Nvml>,
    index: u32,
    name: String,
    uuid: Option<String>,
    pci_bus_id: Option<String>,
}

fn nvml_err(call: &'static str, e: NvmlError) -> GpuError {
    GpuError::Nvml { call, message: e.to_string() }
}

impl GpuDevice for NvmlGpu {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn uuid(&self) -> Option<String> {
        self.uuid.clone()
    }

    fn pci_bus_id(&self) -> Option<String> {
        self.pci_bus_id.clone()
    }

    fn driver_version(&self) -> Option<String> {
        self.nvml.sys_driver_version().ok()
    }

    fn total_energy_mj(&mut self) -> Result<Option<u64>, GpuError> {
        let device = self
            .nvml
            .device_by_index(self.index)
            .map_err(|e| nvml_err("nvmlDeviceGetHandleByIndex", e))?;
        match device.total_energy_consumption() {
            Ok(mj) => Ok(Some(mj)),
            // Old GPU, or a driver too old to export the symbol.
            Err(NvmlError::NotSupported) | Err(NvmlError::FailedToLoadSymbol(_)) => Ok(None),
            Err(e) => Err(nvml_err("nvmlDeviceGetTotalEnergyConsumption", e)),
        }
    }

    fn power_mw(&mut self) -> Result<u32, GpuError> {
        let device = self
            .nvml
            .device_by_index(self.index)
            .map_err(|e| nvml_err("nvmlDeviceGetHandleByIndex", e))?;
        device.power_usage().map_err(|e| nvml_err("nvmlDeviceGetPowerUsage", e))
    }

    fn power_limit_mw(&mut self) -> Result<u32, GpuError> {
        let device = self
            .nvml
            .device_by_index(self.index)
            .map_err(|e| nvml_err("nvmlDeviceGetHandleByIndex", e))?;
        device
            .power_management_limit()
            .map_err(|e| nvml_err("nvmlDeviceGetPowerManagementLimit", e))
    }

    fn power_limit_range_mw(&mut self) -> Result<(u32, u32), GpuError> {
        let device = self
            .nvml
            .device_by_index(self.index)
            .map_err(|e| nvml_err("nvmlDeviceGetHandleByIndex", e))?;
        let c = device
            .power_management_limit_constraints()
            .map_err(|e| nvml_err("nvmlDeviceGetPowerManagementLimitConstraints", e))?;
        Ok((c.min_limit, c.max_limit))
    }

    fn set_power_limit_mw(&mut self, mw: u32) -> Result<(), GpuError> {
        let mut device = self
            .nvml
            .device_by_index(self.index)
            .map_err(|e| nvml_err("nvmlDeviceGetHandleByIndex", e))?;
        device.set_power_management_limit(mw).map_err(|e| match e {
            NvmlError::NoPermission => GpuError::Other(
                "setting a power limit needs root (as `nvidia-smi -pl` does): run as root or drop gpu_power_limit_w".into(),
            ),
            e => nvml_err("nvmlDeviceSetPowerManagementLimit", e),
        })
    }

    fn compute_pids(&mut self) -> Result<Option<Vec<u32>>, GpuError> {
        let device = self
            .nvml
            .device_by_index(self.index)
            .map_err(|e| nvml_err("nvmlDeviceGetHandleByIndex", e))?;
        match device.running_compute_processes() {
            Ok(list) => Ok(Some(list.into_iter().map(|p| p.pid).collect())),
            Err(NvmlError::NotSupported) | Err(NvmlError::FailedToLoadSymbol(_)) => Ok(None),
            Err(e) => Err(nvml_err("nvmlDeviceGetComputeRunningProcesses", e)),
        }
    }
}

/// How one GPU's energy is obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum GpuMode {
    Counter,
    PowerIntegration,
}

impl GpuMode {
    /// `gpu_energy_method` in results.csv.
    pub(super) fn name(self) -> &'static str {
        match self {
            GpuMode::Counter => "counter",
            GpuMode::PowerIntegration => "power-integral",
        }
    }
}

/// Reads tried before a GPU's energy counter is given up for power integration, or a board
/// that cannot report power is left out: one failed read at start (a busy driver) should not
/// decide a whole sweep.
const PROBE_TRIES: u32 = 3;
const PROBE_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// Cumulative energy of one GPU since the meter started.
pub(super) struct GpuMeter {
    pub label: String,
    pub name: String,
    pub uuid: Option<String>,
    pub pci_bus_id: Option<String>,
    pub mode: GpuMode,
    /// Reached through a MIG instance: the board's energy includes the other instances' work.
    pub mig: bool,
    device: Box<dyn GpuDevice>,
    last_mj: Option<u64>,
    last_power: Option<(Instant, u32)>,
    /// Kept as f64 µJ so trapezoid slices do not lose sub-µJ parts.
    cumulative_uj: f64,
    /// The last read failed.
    pub failing: bool,
    /// Failed reads so far (the GPU's energy stood still during each), a counter that went
    /// backwards among them.
    pub failures: u64,
}

impl GpuMeter {
    /// Probe the counter (up to [`PROBE_TRIES`] reads) to pick the mode; `now` starts the
    /// integration. `None`, with a warning, for a board whose energy can be read neither way.
    pub(super) fn new(
        index: usize,
        mut device: Box<dyn GpuDevice>,
        mig: bool,
        now: Instant,
    ) -> Option<GpuMeter> {
        let name = device.name();
        let mut probe = Err(GpuError::Other("not read".into()));
        for attempt in 0..PROBE_TRIES {
            if attempt > 0 {
                std::thread::sleep(PROBE_PAUSE);
            }
            probe = device.total_energy_mj();
            if probe.is_ok() {
                break;
            }
        }
        let (mode, last_mj) = match probe {
            Ok(Some(mj)) => (GpuMode::Counter, Some(mj)),
            Ok(None) => (GpuMode::PowerIntegration, None),
            Err(e) => {
                tracing::warn!(
                    "GPU {index} ({name}): energy counter unusable after {PROBE_TRIES} reads ({e}); integrating power instead"
                );
                (GpuMode::PowerIntegration, None)
            }
        };
        let mut meter = GpuMeter {
            label: format!("gpu-{index}"),
            name,
            uuid: device.uuid(),
            pci_bus_id: device.pci_bus_id(),
            mode,
            mig,
            device,
            last_mj,
            last_power: None,
            cumulative_uj: 0.0,
            failing: false,
            failures: 0,
        };
        if mode == GpuMode::PowerIntegration {
            let mut last = None;
            for attempt in 0..PROBE_TRIES {
                if attempt > 0 {
                    std::thread::sleep(PROBE_PAUSE);
                }
                match meter.device.power_mw() {
                    Ok(mw) => {
                        meter.last_power = Some((now, mw));
                        break;
                    }
                    Err(e) => last = Some(e),
                }
            }
            if meter.last_power.is_none() {
                tracing::warn!(
                    "GPU {index} ({}): neither its energy counter nor its power can be read ({}); left out: its energy is not measured",
                    meter.name,
                    last.map(|e| e.to_string()).unwrap_or_default()
                );
                return None;
            }
        }
        Some(meter)
    }

    /// How its energy is obtained (`gpu_energy_method`).
    pub(super) fn method(&self) -> &'static str {
        self.mode.name()
    }

    pub(super) fn cumulative_uj(&self) -> u64 {
        self.cumulative_uj.round() as u64
    }

    /// The NVIDIA driver's version.
    pub(super) fn driver_version(&self) -> Option<String> {
        self.device.driver_version()
    }

    /// The power limit now in force, mW.
    pub(super) fn power_limit_mw(&mut self) -> Result<u32, GpuError> {
        self.device.power_limit_mw()
    }

    /// The accepted range of power limits, mW.
    pub(super) fn power_limit_range_mw(&mut self) -> Result<(u32, u32), GpuError> {
        self.device.power_limit_range_mw()
    }

    /// Set the power limit, mW.
    pub(super) fn set_power_limit_mw(&mut self, mw: u32) -> Result<(), GpuError> {
        self.device.set_power_limit_mw(mw)
    }

    /// Whether a process other than this one (`own_pid`) runs compute work on the GPU now;
    /// `None` when NVML cannot tell. In a container NVML lists host PIDs, so when this process
    /// uses this GPU (`we_use_it`: the trial runs on it) and is not found by PID, one listed
    /// process is taken to be it. A board reached through a MIG instance is always shared.
    pub(super) fn shared(&mut self, own_pid: u32, we_use_it: bool) -> Option<bool> {
        if self.mig {
            return Some(true);
        }
        let pids = match self.device.compute_pids() {
            Ok(p) => p?,
            Err(e) => {
                tracing::debug!(
                    "{} ({}): cannot list compute processes: {e}",
                    self.label,
                    self.name
                );
                return None;
            }
        };
        let ours = usize::from(pids.contains(&own_pid) || (we_use_it && !pids.is_empty()));
        Some(pids.len() > ours)
    }

    /// Whether a process outside `ours` (a command trial's process tree) runs compute work on
    /// this GPU now; `None` when the list cannot be read.
    pub(super) fn shared_outside(&mut self, ours: &[u32]) -> Option<bool> {
        if self.mig {
            return Some(true);
        }
        let pids = self.device.compute_pids().ok()??;
        Some(pids.iter().any(|p| !ours.contains(p)))
    }

    fn note_error(&mut self, e: GpuError) {
        self.failures += 1;
        if !self.failing {
            tracing::warn!(
                "{} ({}): {e}; energy not updated until it reads again",
                self.label,
                self.name
            );
            self.failing = true;
        }
    }

    /// Take one reading at `now` and update the cumulative energy.
    pub(super) fn sample(&mut self, now: Instant) {
        match self.mode {
            GpuMode::Counter => match self.device.total_energy_mj() {
                Ok(Some(mj)) => {
                    // The counter only goes back on a driver reload: the energy since the last
                    // reading is lost, so the reading counts as a failure.
                    let back = self.last_mj.is_some_and(|p| mj < p);
                    if let Some(prev) = self.last_mj.filter(|&p| mj >= p) {
                        self.cumulative_uj += ((mj - prev) * 1000) as f64;
                    }
                    self.last_mj = Some(mj);
                    if back {
                        self.note_error(GpuError::Other(
                            "energy counter went backwards (driver reloaded?)".into(),
                        ));
                    } else {
                        self.failing = false;
                    }
                }
                Ok(None) => self
                    .note_error(GpuError::Other("energy counter stopped being supported".into())),
                Err(e) => self.note_error(e),
            },
            GpuMode::PowerIntegration => match self.device.power_mw() {
                Ok(mw) => {
                    self.failing = false;
                    if let Some((t0, mw0)) = self.last_power {
                        let dt_us = now.saturating_duration_since(t0).as_secs_f64() * 1e6;
                        // mW × µs = nJ; /1000 -> µJ.
                        self.cumulative_uj += (mw0 as f64 + mw as f64) / 2.0 * dt_us / 1000.0;
                    }
                    self.last_power = Some((now, mw));
                }
                Err(e) => self.note_error(e),
            },
        }
    }
}
