//! The machine record (`machine.json`), its id and how two records differ.
//!
//! `machine_id` hashes the fields that change a trial's joules ([`ID_FIELDS`]): the CPU (model,
//! microarchitecture, logical CPUs), memory (rounded to GiB, since MemTotal moves by a few MiB
//! between kernels), whether it is virtualised, the frequency governor and turbo, the RAPL
//! zones summed into `energy_j` (a machine whose counters became unreadable measures something
//! else: the estimate) and the GPUs. Left out on purpose: the hostname (two identical nodes of
//! a cluster are one machine for comparing joules, and a renamed box is the same box), the OS
//! and kernel (updates; recorded, and `compare` mentions them) and wattsweep's version.

use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::results::write_atomic;

/// The file in a sweep's output directory.
pub(crate) const MACHINE_FILE: &str = "machine.json";

/// The fields `machine_id` hashes, in hash order.
pub(crate) const ID_FIELDS: [&str; 10] = [
    "cpu_model",
    "microarchitecture",
    "logical_cpus",
    "memory_gib",
    "virtualised",
    "scaling_governor",
    "turbo",
    "rapl_zones",
    "gpus",
    "gpu_power_limits_w",
];

/// `machine.json`. Every field the machine did not let us read is `null`, never a guess.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct MachineInfo {
    /// 12 hex digits: SHA-256 of [`ID_FIELDS`].
    pub machine_id: String,
    /// The fields the id hashes (so a reader of the file knows what it vouches for).
    pub machine_id_fields: Vec<String>,
    pub hostname: Option<String>,
    /// `/proc/cpuinfo` `model name`.
    pub cpu_model: Option<String>,
    /// `GenuineIntel`, `AuthenticAMD`, …
    pub cpu_vendor: Option<String>,
    pub cpu_family: Option<u32>,
    pub cpu_model_number: Option<u32>,
    pub cpu_stepping: Option<u32>,
    /// From the CPUID family and model (`unknown` when not in wattsweep's table).
    pub microarchitecture: Option<String>,
    pub logical_cpus: Option<u64>,
    /// Distinct `physical id`s.
    pub cpu_packages: Option<u64>,
    /// `MemTotal`, MiB.
    pub memory_mb: Option<u64>,
    /// `MemTotal` rounded to whole GiB (what the id uses).
    pub memory_gib: Option<u64>,
    /// `/etc/os-release` `PRETTY_NAME`.
    pub os: Option<String>,
    /// `/proc/sys/kernel/osrelease`.
    pub kernel: Option<String>,
    /// A virtual machine: the `hypervisor` CPU flag, `/sys/hypervisor/type` or a hypervisor's
    /// DMI vendor/product; `null` where none of them can be read.
    pub virtualised: Option<bool>,
    /// What said so (`hypervisor CPU flag`, `DMI: QEMU …`), or what was looked at.
    pub virtualisation: Option<String>,
    /// cpufreq governors of all CPUs, `;`-separated when they differ.
    pub scaling_governor: Option<String>,
    pub scaling_driver: Option<String>,
    /// Turbo/boost allowed (`intel_pstate/no_turbo` = 0, or `cpufreq/boost` = 1).
    pub turbo: Option<bool>,
    /// The file `turbo` was read from.
    pub turbo_source: Option<String>,
    /// RAPL domains summed into `energy_j` (`package-0`, `dram-0`, …); empty: none readable.
    pub rapl_zones: Vec<String>,
    /// GPU names as NVML gives them (the measured ones).
    pub gpus: Vec<String>,
    /// The NVIDIA driver's version (NVML); `null` without GPUs. Not in the id: a driver
    /// update alone does not make two sweeps incomparable.
    pub gpu_driver: Option<String>,
    /// Each measured GPU's power limit in force when the sweep started, W (`null` where NVML
    /// would not say): a lowered board draws less for the same work, so it is in the id.
    pub gpu_power_limits_w: Vec<Option<f64>>,
    pub wattsweep_version: String,
    /// When it was written, ISO 8601 with zone.
    pub written_at: String,
}

impl MachineInfo {
    /// The value of an id field as the hash and `compare` see it (`""` for unknown).
    pub(crate) fn field(&self, name: &str) -> String {
        let opt = |x: Option<String>| x.unwrap_or_default();
        match name {
            "cpu_model" => opt(self.cpu_model.clone()),
            "microarchitecture" => opt(self.microarchitecture.clone()),
            "logical_cpus" => opt(self.logical_cpus.map(|n| n.to_string())),
            "memory_gib" => opt(self.memory_gib.map(|n| n.to_string())),
            "virtualised" => opt(self.virtualised.map(|b| b.to_string())),
            "scaling_governor" => opt(self.scaling_governor.clone()),
            "turbo" => opt(self.turbo.map(|b| b.to_string())),
            "rapl_zones" => self.rapl_zones.join("+"),
            "gpus" => self.gpus.join(";"),
            "gpu_power_limits_w" => self
                .gpu_power_limits_w
                .iter()
                .map(|w| w.map(|w| format!("{w:.0}")).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(";"),
            "kernel" => opt(self.kernel.clone()),
            "os" => opt(self.os.clone()),
            "hostname" => opt(self.hostname.clone()),
            _ => String::new(),
        }
    }

    /// The id of these fields: the first 6 bytes of SHA-256 over `field=value;` in
    /// [`ID_FIELDS`] order, as hex.
    pub(crate) fn compute_id(&self) -> String {
        let text: String = ID_FIELDS.iter().map(|f| format!("{f}={};", self.field(f))).collect();
        hex::encode(&Sha256::digest(text.as_bytes())[..6])
    }

    /// Fill in `machine_id` and the list of fields it hashes.
    pub(crate) fn with_id(mut self) -> MachineInfo {
        self.machine_id = self.compute_id();
        self.machine_id_fields = ID_FIELDS.map(String::from).to_vec();
        self
    }
}

/// One field two machines differ in.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Difference {
    pub field: &'static str,
    pub a: String,
    pub b: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: &str| if v.is_empty() { "unknown".to_string() } else { format!("`{v}`") };
        write!(f, "{}: {} vs {}", self.field, show(&self.a), show(&self.b))
    }
}

/// The id fields in which `a` and `b` differ, in [`ID_FIELDS`] order.
pub(crate) fn differences(a: &MachineInfo, b: &MachineInfo) -> Vec<Difference> {
    ID_FIELDS
        .iter()
        .map(|&field| Difference { field, a: a.field(field), b: b.field(field) })
        .filter(|d| d.a != d.b)
        .collect()
}

/// `<out>/machine.json`, if there is a readable one.
pub(crate) fn read_machine(out: &Path) -> Option<MachineInfo> {
    let path = out.join(MACHINE_FILE);
    let bytes = std::fs::read(&path).ok()?;
    match serde_json::from_slice(&bytes) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!("{}: cannot read ({e}); it will be rewritten", path.display());
            None
        }
    }
}

/// Write `machine` to `<out>/machine.json` at the start of a sweep, first warning when the
/// results already there (`earlier_ids`: the `machine_id` of each row, empty for rows written
/// before the column) were measured on another machine, as the `machine.json` they left says
/// (naming the fields that changed) or else their rows' ids. The warning is returned too.
pub(crate) fn record_machine<'a>(
    out: &Path,
    machine: &MachineInfo,
    earlier_ids: impl IntoIterator<Item = &'a str>,
) -> Result<Option<String>> {
    let earlier: Vec<&str> = earlier_ids.into_iter().collect();
    let mut others: Vec<&str> =
        earlier.iter().copied().filter(|id| !id.is_empty() && *id != machine.machine_id).collect();
    others.sort_unstable();
    others.dedup();
    // Without earlier rows there is nothing to compare with (a --fresh start keeps the old file).
    let old = read_machine(out).filter(|m| {
        !earlier.is_empty() && !m.machine_id.is_empty() && m.machine_id != machine.machine_id
    });
    let warning = match (&old, others.is_empty()) {
        (None, true) => None,
        (Some(old), _) => Some(format!(
            "resuming on another machine: results.csv holds trials measured on machine {} and this is machine {} ({}); their joules are not comparable with the new trials'",
            old.machine_id,
            machine.machine_id,
            differences(old, machine).iter().map(|d| d.to_string()).collect::<Vec<_>>().join("; ")
        )),
        (None, false) => Some(format!(
            "resuming on another machine: results.csv holds trials measured on machine {} and this is machine {}; their joules are not comparable with the new trials'",
            others.join(", "),
            machine.machine_id
        )),
    };
    if let Some(w) = &warning {
        tracing::warn!("{w}");
    }
    write_atomic(&out.join(MACHINE_FILE), &serde_json::to_vec_pretty(machine)?)?;
    Ok(warning)
}

#[cfg(test)]
#[path = "tests/info.rs"]
mod tests;
