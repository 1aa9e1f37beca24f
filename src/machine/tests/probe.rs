//! The machine read from fake procfs/sysfs trees: a KVM guest, a bare-metal host with
//! intel_pstate, and a root where nothing can be read.

use super::*;
use std::path::Path;

fn put(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn cpuinfo(model: &str, family: u32, number: u32, flags: &str, cpus: usize) -> String {
    (0..cpus)
        .map(|i| {
            format!(
                "processor\t: {i}\nvendor_id\t: GenuineIntel\ncpu family\t: {family}\nmodel\t\t: {number}\nmodel name\t: {model}\nstepping\t: 2\nphysical id\t: 0\nflags\t\t: fpu sse2 {flags}\n\n"
            )
        })
        .collect()
}

fn common(root: &Path) {
    put(root, "proc/meminfo", "MemTotal:        8029712 kB\nMemFree:  100 kB\n");
    put(root, "proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
    put(root, "proc/sys/kernel/hostname", "node7\n");
    put(
        root,
        "etc/os-release",
        "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    );
}

#[test]
fn a_kvm_guest_is_virtualised_without_cpufreq() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common(root);
    put(
        root,
        "proc/cpuinfo",
        &cpuinfo("Intel(R) Xeon(R) Platinum 8581C CPU @ 2.10GHz", 6, 207, "hypervisor avx512f", 2),
    );
    put(root, "sys/class/dmi/id/sys_vendor", "QEMU\n");
    std::fs::create_dir_all(root.join("sys/devices/system/cpu/cpu0")).unwrap();
    let m = probe(root, vec![], vec![]);
    assert_eq!(m.cpu_model.as_deref(), Some("Intel(R) Xeon(R) Platinum 8581C CPU @ 2.10GHz"));
    assert_eq!(m.microarchitecture.as_deref(), Some("Emerald Rapids"));
    assert_eq!((m.logical_cpus, m.cpu_packages), (Some(2), Some(1)));
    assert_eq!((m.memory_mb, m.memory_gib), (Some(7841), Some(8)), "7.66 GiB rounds to 8");
    assert_eq!(m.os.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
    assert_eq!(m.kernel.as_deref(), Some("6.1.0-28-amd64"));
    assert_eq!(m.hostname.as_deref(), Some("node7"));
    assert_eq!(m.virtualised, Some(true));
    assert_eq!(m.virtualisation.as_deref(), Some("hypervisor CPU flag"));
    assert_eq!(
        (m.scaling_governor.as_deref(), m.turbo),
        (None, None),
        "a VM without cpufreq: unknown"
    );
    assert_eq!(m.machine_id.len(), 12);
    assert_eq!(m.machine_id, m.compute_id());
    assert_eq!(m.machine_id_fields.len(), crate::machine::info::ID_FIELDS.len());
}

#[test]
fn a_bare_metal_host_reports_governor_and_turbo() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common(root);
    put(
        root,
        "proc/cpuinfo",
        &cpuinfo("Intel(R) Xeon(R) CPU E5-2680 v3 @ 2.50GHz", 6, 63, "avx2", 4),
    );
    put(root, "sys/class/dmi/id/sys_vendor", "Dell Inc.\n");
    put(root, "sys/class/dmi/id/product_name", "PowerEdge R630\n");
    for cpu in 0..4 {
        let gov = if cpu == 3 { "powersave" } else { "performance" };
        put(root, &format!("sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_governor"), gov);
        put(
            root,
            &format!("sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_driver"),
            "intel_pstate",
        );
    }
    put(root, "sys/devices/system/cpu/intel_pstate/no_turbo", "1\n");
    let m = probe(root, vec!["package-0".into(), "dram-0".into()], vec!["NVIDIA H200".into()]);
    assert_eq!(m.microarchitecture.as_deref(), Some("Haswell"));
    assert_eq!(m.virtualised, Some(false));
    assert!(m.virtualisation.as_deref().unwrap().contains("Dell Inc. PowerEdge R630"), "{m:?}");
    assert_eq!(m.scaling_governor.as_deref(), Some("performance;powersave"), "mixed: both");
    assert_eq!(m.scaling_driver.as_deref(), Some("intel_pstate"));
    assert_eq!(m.turbo, Some(false), "no_turbo = 1");
    assert_eq!(m.turbo_source.as_deref(), Some("/sys/devices/system/cpu/intel_pstate/no_turbo"));
    assert_eq!(m.field("rapl_zones"), "package-0+dram-0");
    assert_eq!(m.field("gpus"), "NVIDIA H200");

    // acpi-cpufreq / amd-pstate say it the other way round.
    std::fs::remove_file(root.join("sys/devices/system/cpu/intel_pstate/no_turbo")).unwrap();
    put(root, "sys/devices/system/cpu/cpufreq/boost", "1\n");
    assert_eq!(probe(root, vec![], vec![]).turbo, Some(true));
}

#[test]
fn a_dmi_name_alone_says_virtual_machine() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    put(root, "sys/class/dmi/id/sys_vendor", "Microsoft Corporation\n");
    put(root, "sys/class/dmi/id/product_name", "Virtual Machine\n");
    let m = probe(root, vec![], vec![]);
    assert_eq!(m.virtualised, Some(true), "{m:?}");
    put(root, "sys/hypervisor/type", "xen\n");
    let xen = probe(root, vec![], vec![]);
    assert_eq!(xen.virtualisation.as_deref(), Some("/sys/hypervisor/type: xen"));
}

#[test]
fn an_unreadable_root_gives_nulls_not_guesses() {
    let dir = tempfile::tempdir().unwrap();
    let m = probe(dir.path(), vec![], vec![]);
    assert_eq!(
        (m.cpu_model, m.microarchitecture, m.logical_cpus, m.memory_mb, m.virtualised, m.os),
        (None, None, None, None, None, None)
    );
    assert_eq!(m.machine_id.len(), 12, "an id all the same: of unknown fields");
}
