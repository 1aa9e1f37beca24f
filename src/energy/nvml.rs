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
use std::sync::Arc;
use std::time::Instant;

use nvml_wrapper::Nvml;
use nvml_wrapper::error::NvmlError;

use super::visible::{GpuId, visible_gpus};

#[derive(Debug, thiserror::Error)]
pub(crate) enum GpuError {
    #[error("NVML {call} failed: {message}")]
    Nvml { call: &'static str, message: String },
    #[error("{0}")]
    Other(String),
}

/// One GPU as the meter sees it.
pub(crate) trait GpuDevice: Send {
    fn name(&self) -> String;
    /// Total energy since driver load in mJ; `Ok(None)` if the GPU has no such
    /// counter (pre-Volta).
    fn total_energy_mj(&mut self) -> Result<Option<u64>, GpuError>;
    /// Current board power in mW (a 1 s average on Ampere+).
    fn power_mw(&mut self) -> Result<u32, GpuError>;
    /// PIDs of the processes running compute work on the GPU now; `Ok(None)` when the driver
    /// cannot tell (NVML answers "not supported" on some boards and in some containers).
    fn compute_pids(&mut self) -> Result<Option<Vec<u32>>, GpuError> {
        Ok(None)
    }
    /// The power limit now in force, mW.
    fn power_limit_mw(&mut self) -> Result<u32, GpuError> {
        Err(GpuError::Other("power limits are not supported by this device".into()))
    }
    /// The lowest and highest power limit the board accepts, mW.
    fn power_limit_range_mw(&mut self) -> Result<(u32, u32), GpuError> {
        Err(GpuError::Other("power limits are not supported by this device".into()))
    }
    /// Set the power limit, mW (root only, as `nvidia-smi -pl`).
    fn set_power_limit_mw(&mut self, _mw: u32) -> Result<(), GpuError> {
        Err(GpuError::Other("power limits are not supported by this device".into()))
    }
}

/// Initialise NVML and wrap the GPUs this run may measure: those `CUDA_VISIBLE_DEVICES` names
/// (see `visible.rs`; all when it is unset). No NVIDIA driver (the library is not there) is
/// normal and logged at debug level; a library that is there but will not start (a driver and
/// library version mismatch, a container without the `utility` capability, no permission) is a
/// warning with NVML's own error, since a GPU trial would otherwise be measured without its GPU.
pub(super) fn load_nvml_gpus() -> Vec<Box<dyn GpuDevice>> {
    // nvml-wrapper's default name is `libnvidia-ml.so`, which only exists with
    // the driver's development package; the runtime ships `.so.1`.
    let nvml = match Nvml::init() {
        Ok(n) => n,
        Err(first) => match Nvml::builder().lib_path(OsStr::new("libnvidia-ml.so.1")).init() {
            Ok(n) => n,
            Err(second) => {
                let absent = |e: &NvmlError| matches!(e, NvmlError::LibloadingError(_));
                if absent(&first) && absent(&second) {
                    tracing::debug!(
                        "no NVIDIA GPU energy: no NVML library ({first}; with libnvidia-ml.so.1: {second})"
                    );
                } else {
                    tracing::warn!(
                        "NVML is installed but did not start, so no GPU is measured: {}",
                        if absent(&second) { first } else { second }
                    );
                }
                return Vec::new();
            }
        },
    };
    let nvml = Arc::new(nvml);
    let count = match nvml.device_count() {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("NVML started but cannot count the GPUs, so none is measured: {e}");
            return Vec::new();
        }
    };
    let mut found: Vec<(GpuId, NvmlGpu)> = Vec::new();
    for index in 0..count {
        let device = match nvml.device_by_index(index) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!("NVML device {index} skipped: {e}");
                continue;
            }
        };
        match device.name() {
            Ok(name) => {
                let id = GpuId {
                    name: name.clone(),
                    uuid: device.uuid().ok(),
                    pci_bus_id: device.pci_info().ok().map(|p| p.bus_id),
                };
                found.push((id, NvmlGpu { nvml: Arc::clone(&nvml), index, name }));
            }
            Err(e) => tracing::warn!("NVML device {index} skipped: {e}"),
        }
    }
    let ids: Vec<GpuId> = found.iter().map(|(id, _)| id.clone()).collect();
    let visible = std::env::var("CUDA_VISIBLE_DEVICES").ok();
    let order = std::env::var("CUDA_DEVICE_ORDER").ok();
    let (chosen, warnings) = visible_gpus(&ids, visible.as_deref(), order.as_deref());
    for w in warnings {
        tracing::warn!("{w}");
    }
    let mut slots: Vec<Option<NvmlGpu>> = found.into_iter().map(|(_, g)| Some(g)).collect();
    chosen
        .into_iter()
        .filter_map(|i| slots[i].take())
        .map(|g| Box::new(g) as Box<dyn GpuDevice>)
        .collect()
}

/// A device handle is borrowed from `Nvml`, so we keep the (shared) library
/// and look the handle up by index per call; that lookup is a cheap table read.
struct NvmlGpu {
    nvml: Arc<Nvml>,
    index: u32,
    name: String,
}

fn nvml_err(call: &'static str, e: NvmlError) -> GpuError {
    GpuError::Nvml { call, message: e.to_string() }
}

impl GpuDevice for NvmlGpu {
    fn name(&self) -> String {
        self.name.clone()
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

/// Cumulative energy of one GPU since the meter started.
pub(super) struct GpuMeter {
    pub label: String,
    pub name: String,
    pub mode: GpuMode,
    device: Box<dyn GpuDevice>,
    last_mj: Option<u64>,
    last_power: Option<(Instant, u32)>,
    /// Kept as f64 µJ so trapezoid slices do not lose sub-µJ parts.
    cumulative_uj: f64,
    failing: bool,
    /// Failed reads so far (the GPU's energy stood still during each).
    pub failures: u64,
}

impl GpuMeter {
    /// Probe the counter once to pick the mode; `now` starts the integration.
    pub(super) fn new(index: usize, mut device: Box<dyn GpuDevice>, now: Instant) -> GpuMeter {
        let name = device.name();
        let (mode, last_mj) = match device.total_energy_mj() {
            Ok(Some(mj)) => (GpuMode::Counter, Some(mj)),
            Ok(None) => (GpuMode::PowerIntegration, None),
            Err(e) => {
                tracing::warn!(
                    "GPU {index} ({name}): energy counter unusable ({e}); integrating power instead"
                );
                (GpuMode::PowerIntegration, None)
            }
        };
        let mut meter = GpuMeter {
            label: format!("gpu-{index}"),
            name,
            mode,
            device,
            last_mj,
            last_power: None,
            cumulative_uj: 0.0,
            failing: false,
            failures: 0,
        };
        if mode == GpuMode::PowerIntegration {
            meter.sample(now);
        }
        meter
    }

    pub(super) fn cumulative_uj(&self) -> u64 {
        self.cumulative_uj.round() as u64
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
    /// uses the GPU (`we_use_it`) and is not found by PID, one listed process is taken to be it.
    pub(super) fn shared(&mut self, own_pid: u32, we_use_it: bool) -> Option<bool> {
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
                    self.failing = false;
                    // The counter only resets on driver reload; count nothing across a reset.
                    if let Some(prev) = self.last_mj.filter(|&p| mj >= p) {
                        self.cumulative_uj += ((mj - prev) * 1000) as f64;
                    }
                    self.last_mj = Some(mj);
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
