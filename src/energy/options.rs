//! How energy is measured: where the powercap tree is, whether to look for GPUs, how often to
//! sample, the TDP for the estimate, which GPUs, and where power limits are journalled.

use std::path::PathBuf;

use super::visible::GpuSelection;

/// Sampler frequency when the grid does not set `[energy] sample_hz`.
pub(crate) const DEFAULT_SAMPLE_HZ: f64 = 10.0;

pub(crate) const DEFAULT_POWERCAP_ROOT: &str = "/sys/class/powercap";

/// Where `thermal/thermal_zone*/temp` and `hwmon/hwmon*/temp*_input` are.
const DEFAULT_THERMAL_ROOT: &str = "/sys/class";

/// `$WATTSWEEP_THERMAL_ROOT` (a fake tree, in tests), else `/sys/class`. An environment variable
/// rather than a flag so that a Slurm task, which inherits the environment, reads the same.
pub(crate) fn default_thermal_root() -> PathBuf {
    std::env::var_os("WATTSWEEP_THERMAL_ROOT")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_THERMAL_ROOT), PathBuf::from)
}

#[derive(Clone, Debug)]
pub(crate) struct EnergyOptions {
    pub powercap_root: PathBuf,
    pub use_nvml: bool,
    pub sample_hz: f64,
    pub cpu_tdp_w: Option<f64>,
    /// Per-vCPU idle / busy power for the estimate (`[energy] vcpu_min_w`, `vcpu_max_w`).
    pub vcpu_min_w: Option<f64>,
    pub vcpu_max_w: Option<f64>,
    /// `[energy] gpus`: which GPUs are measured and get power limits.
    pub gpus: GpuSelection,
    /// Where the power-limit journal lives (see `limits.rs`).
    pub state_dir: PathBuf,
    /// The sysfs class folder holding `thermal/` and `hwmon/` (temperatures).
    pub thermal_root: PathBuf,
}

impl Default for EnergyOptions {
    fn default() -> Self {
        EnergyOptions {
            powercap_root: PathBuf::from(DEFAULT_POWERCAP_ROOT),
            use_nvml: true,
            sample_hz: DEFAULT_SAMPLE_HZ,
            cpu_tdp_w: None,
            vcpu_min_w: None,
            vcpu_max_w: None,
            gpus: GpuSelection::Visible,
            state_dir: super::limits::default_state_dir(),
            thermal_root: default_thermal_root(),
        }
    }
}
