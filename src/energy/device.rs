//! One GPU as the meter sees it: the [`GpuDevice`] trait NVML's boards implement (and tests'
//! fakes), and its errors.

use super::visible::GpuId;

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
    /// `GPU-…`, what the power-limit journal finds the board by.
    fn uuid(&self) -> Option<String> {
        None
    }
    /// The NVIDIA driver's version, for machine.json.
    fn driver_version(&self) -> Option<String> {
        None
    }
    /// `00000000:3B:00.0`, the journal's second way to find the board.
    fn pci_bus_id(&self) -> Option<String> {
        None
    }
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

/// A board NVML lists: what finds it (selection, journal) and the device.
pub(crate) type Board = (GpuId, Box<dyn GpuDevice>);
