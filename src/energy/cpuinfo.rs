//! What the estimate needs to know about the CPU, from `/proc/cpuinfo` (parsed from text, so
//! tests feed any machine): model name, vendor, family/model/stepping, whether we run under a
//! hypervisor (the `hypervisor` flag that x86 guests see), logical CPUs and packages.

/// The CPU as `/proc/cpuinfo` describes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct CpuInfo {
    pub model_name: String,
    /// `GenuineIntel`, `AuthenticAMD`, …
    pub vendor: String,
    pub family: Option<u32>,
    pub model: Option<u32>,
    pub stepping: Option<u32>,
    /// The `hypervisor` CPU flag: a virtual machine.
    pub hypervisor: bool,
    /// `processor` entries.
    pub logical_cpus: usize,
    /// Distinct `physical id`s (1 when the kernel gives none, as many VMs do).
    pub packages: usize,
}

impl CpuInfo {
    /// Logical CPUs of one package: the share of one package's TDP a busy CPU stands for.
    pub(crate) fn cpus_per_package(&self) -> usize {
        (self.logical_cpus / self.packages.max(1)).max(1)
    }
}

/// Parse the text of `/proc/cpuinfo` (x86 layout; other layouts give what they have).
pub(crate) fn parse_cpuinfo(text: &str) -> CpuInfo {
    let mut info = CpuInfo::default();
    let mut packages = std::collections::BTreeSet::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else { continue };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "processor" => info.logical_cpus += 1,
            "model name" if info.model_name.is_empty() => info.model_name = value.to_string(),
            "vendor_id" if info.vendor.is_empty() => info.vendor = value.to_string(),
            "cpu family" if info.family.is_none() => info.family = value.parse().ok(),
            "model" if info.model.is_none() => info.model = value.parse().ok(),
            "stepping" if info.stepping.is_none() => info.stepping = value.parse().ok(),
            "flags" => info.hypervisor |= value.split_whitespace().any(|f| f == "hypervisor"),
            "physical id" => {
                packages.insert(value.to_string());
            }
            _ => {}
        }
    }
    info.packages = packages.len().max(1);
    info
}

/// This machine's CPU: `/proc/cpuinfo`, else sysinfo's model name and CPU count.
pub(super) fn read_cpuinfo() -> CpuInfo {
    let mut info =
        std::fs::read_to_string("/proc/cpuinfo").map(|t| parse_cpuinfo(&t)).unwrap_or_default();
    if info.logical_cpus == 0 || info.model_name.is_empty() {
        use sysinfo::{CpuRefreshKind, RefreshKind, System};
        let sys =
            System::new_with_specifics(RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing()));
        if info.model_name.is_empty() {
            info.model_name =
                sys.cpus().first().map(|c| c.brand().trim().to_string()).unwrap_or_default();
        }
        if info.logical_cpus == 0 {
            info.logical_cpus = sys.cpus().len().max(1);
        }
        info.packages = info.packages.max(1);
    }
    info
}

/// Per-vCPU power of a microarchitecture: idle (`min_w`) and fully busy (`max_w`), watts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Microarch {
    pub name: &'static str,
    pub min_w: f64,
    pub max_w: f64,
}

/// Cloud Carbon Footprint's per-vCPU coefficients (ccf-coefficients, `coefficients-aws-use.csv`;
/// Haswell, Broadwell, Granite Rapids and EPYC 5th generation from its later tables), and its
/// average over all microarchitectures for the rest.
const HASWELL: Microarch = Microarch { name: "Haswell", min_w: 1.86, max_w: 5.60 };
const BROADWELL: Microarch = Microarch { name: "Broadwell", min_w: 0.71, max_w: 3.69 };
const GRANITE_RAPIDS: Microarch = Microarch { name: "Granite Rapids", min_w: 0.58, max_w: 2.53 };
const EPYC_TURIN: Microarch = Microarch { name: "EPYC Turin", min_w: 3.68, max_w: 8.96 };
const SKYLAKE: Microarch = Microarch { name: "Skylake", min_w: 0.61, max_w: 4.10 };
const CASCADE_LAKE: Microarch = Microarch { name: "Cascade Lake", min_w: 0.69, max_w: 4.06 };
const ICE_LAKE: Microarch = Microarch { name: "Ice Lake", min_w: 0.77, max_w: 3.76 };
const SAPPHIRE_RAPIDS: Microarch = Microarch { name: "Sapphire Rapids", min_w: 1.04, max_w: 4.16 };
const EMERALD_RAPIDS: Microarch = Microarch { name: "Emerald Rapids", min_w: 0.81, max_w: 4.48 };
const EPYC_ROME: Microarch = Microarch { name: "EPYC Rome", min_w: 0.47, max_w: 1.69 };
const EPYC_MILAN: Microarch = Microarch { name: "EPYC Milan", min_w: 0.46, max_w: 1.96 };
const EPYC_GENOA: Microarch = Microarch { name: "EPYC Genoa", min_w: 0.74, max_w: 2.28 };
pub(super) const UNKNOWN_MICROARCH: Microarch =
    Microarch { name: "unknown", min_w: 0.74, max_w: 3.5 };

/// The name of the microarchitecture (`unknown` outside the table), for `machine.json`.
pub(crate) fn microarch_name(info: &CpuInfo) -> &'static str {
    microarch(info).name
}

/// The microarchitecture from the CPUID family/model (and stepping, which alone tells Cascade
/// Lake from Skylake-SP: both are model 85).
pub(super) fn microarch(info: &CpuInfo) -> Microarch {
    match (info.vendor.as_str(), info.family, info.model) {
        ("GenuineIntel", Some(6), Some(85)) => match info.stepping {
            Some(s) if s <= 4 => SKYLAKE,
            Some(5..=7) => CASCADE_LAKE,
            _ => UNKNOWN_MICROARCH,
        },
        ("GenuineIntel", Some(6), Some(60 | 63 | 69 | 70)) => HASWELL,
        ("GenuineIntel", Some(6), Some(61 | 71 | 79 | 86)) => BROADWELL,
        ("GenuineIntel", Some(6), Some(78 | 94)) => SKYLAKE,
        ("GenuineIntel", Some(6), Some(106 | 108 | 125 | 126)) => ICE_LAKE,
        ("GenuineIntel", Some(6), Some(143)) => SAPPHIRE_RAPIDS,
        ("GenuineIntel", Some(6), Some(207)) => EMERALD_RAPIDS,
        ("GenuineIntel", Some(6), Some(173 | 174)) => GRANITE_RAPIDS,
        ("AuthenticAMD", Some(23), Some(49)) => EPYC_ROME,
        ("AuthenticAMD", Some(25), Some(1)) => EPYC_MILAN,
        ("AuthenticAMD", Some(25), Some(17)) => EPYC_GENOA,
        // Zen 5 server parts: models 0x00–0x0F (Turin), 0x10–0x1F (Turin dense); the client
        // Zen 5 parts (Strix, Granite Ridge) are models 0x20 and up.
        ("AuthenticAMD", Some(26), Some(0..=31)) => EPYC_TURIN,
        _ => UNKNOWN_MICROARCH,
    }
}

#[cfg(test)]
#[path = "tests/cpuinfo.rs"]
mod tests;
