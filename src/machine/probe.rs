//! Reading the machine from procfs and sysfs under a root (`/` for real, a temporary tree in
//! tests, as the powercap code takes its root): `proc/cpuinfo`, `proc/meminfo`,
//! `proc/sys/kernel/{osrelease,hostname}`, `etc/os-release`, `sys/class/dmi/id/{sys_vendor,
//! product_name}`, `sys/hypervisor/type`, `sys/devices/system/cpu/cpu*/cpufreq/
//! {scaling_governor,scaling_driver}`, `sys/devices/system/cpu/intel_pstate/no_turbo` and
//! `sys/devices/system/cpu/cpufreq/boost`. A file that cannot be read leaves its field `null`.

use std::collections::BTreeSet;
use std::path::Path;

use crate::energy::{microarch_name, parse_cpuinfo};
use crate::machine::info::MachineInfo;

/// DMI vendor or product names that only hypervisors report (lower case).
const HYPERVISOR_DMI: [&str; 12] = [
    "qemu",
    "kvm",
    "vmware",
    "virtualbox",
    "innotek",
    "xen",
    "bochs",
    "bhyve",
    "parallels",
    "openstack",
    "google compute engine",
    "virtual machine", // Hyper-V: "Microsoft Corporation" / "Virtual Machine"
];

fn read(root: &Path, rel: &str) -> Option<String> {
    let text = std::fs::read_to_string(root.join(rel)).ok()?;
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// `MemTotal` of `/proc/meminfo`, kB.
fn mem_total_kb(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `PRETTY_NAME` of `/etc/os-release`, unquoted.
fn pretty_name(os_release: &str) -> Option<String> {
    let line = os_release.lines().find(|l| l.starts_with("PRETTY_NAME="))?;
    Some(line["PRETTY_NAME=".len()..].trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
}

/// The cpufreq governors and drivers of every CPU that has them, distinct, `;`-joined.
fn cpufreq(root: &Path, file: &str) -> Option<String> {
    let dir = root.join("sys/devices/system/cpu");
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name
            .strip_prefix("cpu")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            && let Ok(v) = std::fs::read_to_string(entry.path().join("cpufreq").join(file))
            && !v.trim().is_empty()
        {
            seen.insert(v.trim().to_string());
        }
    }
    (!seen.is_empty()).then(|| seen.into_iter().collect::<Vec<_>>().join(";"))
}

/// Turbo allowed, and the file that says so: intel_pstate's `no_turbo` (1 = off), else
/// cpufreq's `boost` (acpi-cpufreq, amd-pstate: 1 = on).
fn turbo(root: &Path) -> (Option<bool>, Option<String>) {
    for (rel, on) in [
        ("sys/devices/system/cpu/intel_pstate/no_turbo", "0"),
        ("sys/devices/system/cpu/cpufreq/boost", "1"),
    ] {
        if let Some(v) = read(root, rel) {
            return (Some(v == on), Some(format!("/{rel}")));
        }
    }
    (None, None)
}

/// Virtualised, and why: the `hypervisor` CPU flag (x86 guests), `/sys/hypervisor/type` (Xen)
/// or a hypervisor's DMI vendor/product. `None` when no flags line and no DMI could be read.
fn virtualisation(root: &Path, flag: bool, has_flags: bool) -> (Option<bool>, Option<String>) {
    if flag {
        return (Some(true), Some("hypervisor CPU flag".into()));
    }
    if let Some(t) = read(root, "sys/hypervisor/type") {
        return (Some(true), Some(format!("/sys/hypervisor/type: {t}")));
    }
    let vendor = read(root, "sys/class/dmi/id/sys_vendor");
    let product = read(root, "sys/class/dmi/id/product_name");
    let dmi = [vendor.clone(), product.clone()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    if HYPERVISOR_DMI.iter().any(|h| dmi.to_lowercase().contains(h)) {
        return (Some(true), Some(format!("DMI: {dmi}")));
    }
    match (has_flags, dmi.is_empty()) {
        (false, true) => (None, None),
        (true, true) => (Some(false), Some("no hypervisor CPU flag".into())),
        _ => (Some(false), Some(format!("no hypervisor CPU flag or DMI name ({dmi})"))),
    }
}

/// The machine under `root`, with the RAPL domains the meter sums and the GPU names it
/// measures; `machine_id` filled in.
pub(crate) fn probe(root: &Path, rapl_zones: Vec<String>, gpus: Vec<String>) -> MachineInfo {
    let cpuinfo_text = read(root, "proc/cpuinfo").unwrap_or_default();
    let cpu = parse_cpuinfo(&cpuinfo_text);
    let has_flags = cpuinfo_text.lines().any(|l| l.starts_with("flags"));
    let mem_kb = read(root, "proc/meminfo").as_deref().and_then(mem_total_kb);
    let (virtualised, why) = virtualisation(root, cpu.hypervisor, has_flags);
    let (turbo, turbo_source) = turbo(root);
    let known = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    MachineInfo {
        hostname: read(root, "proc/sys/kernel/hostname"),
        cpu_model: known(&cpu.model_name),
        cpu_vendor: known(&cpu.vendor),
        cpu_family: cpu.family,
        cpu_model_number: cpu.model,
        cpu_stepping: cpu.stepping,
        microarchitecture: (!cpuinfo_text.is_empty()).then(|| microarch_name(&cpu).to_string()),
        logical_cpus: (cpu.logical_cpus > 0).then_some(cpu.logical_cpus as u64),
        cpu_packages: (cpu.logical_cpus > 0).then_some(cpu.packages as u64),
        memory_mb: mem_kb.map(|kb| kb / 1024),
        memory_gib: mem_kb.map(|kb| (kb as f64 / 1_048_576.0).round() as u64),
        os: read(root, "etc/os-release").as_deref().and_then(pretty_name),
        kernel: read(root, "proc/sys/kernel/osrelease"),
        virtualised,
        virtualisation: why,
        scaling_governor: cpufreq(root, "scaling_governor"),
        scaling_driver: cpufreq(root, "scaling_driver"),
        turbo,
        turbo_source,
        rapl_zones,
        gpus,
        wattsweep_version: env!("CARGO_PKG_VERSION").to_string(),
        written_at: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        ..MachineInfo::default()
    }
    .with_id()
}

#[cfg(test)]
#[path = "tests/probe.rs"]
mod tests;
