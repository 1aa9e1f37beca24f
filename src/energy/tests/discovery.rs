//! Zone discovery: sysfs layouts, labels, mirrors.

use super::super::Meter;
use super::super::rapl::{ZoneKind, ZoneStatus, default_reader, discover};
use super::*;

#[test]
fn single_socket_tree_finds_each_zone_once() {
    let t = single_socket();
    let zones = discover(&t.root, &default_reader());
    let s = |id: &str, label: &str, kind| (id.to_string(), label.to_string(), kind, true);
    assert_eq!(
        summary(&zones),
        vec![
            s("intel-rapl:0", "package-0", ZoneKind::Package),
            s("intel-rapl:0:0", "core-0", ZoneKind::Subpart),
            s("intel-rapl:0:1", "uncore-0", ZoneKind::Subpart),
            s("intel-rapl:0:2", "dram-0", ZoneKind::Dram),
            s("intel-rapl:1", "psys", ZoneKind::Psys),
        ]
    );
    assert_eq!(zones[3].name_path, "package-0/dram");
    assert_eq!(zones[3].max_energy_range_uj, MAX);
}

#[test]
fn two_sockets_sum_packages_and_dram_exactly() {
    let t = FakeTree::new();
    t.zone("intel-rapl:0", "package-0", 10, MAX)
        .zone("intel-rapl:0:0", "dram", 20, MAX)
        .zone("intel-rapl:1", "package-1", 30, MAX)
        .zone("intel-rapl:1:0", "dram", 40, MAX);
    let (p, _) = probes(default_reader());
    let m = Meter::start_with_probes(t.opts(), LoadedGpus::default(), p);
    let labels: Vec<&str> = m.zones().iter().map(|z| z.label.as_str()).collect();
    assert_eq!(labels, ["package-0", "dram-0", "package-1", "dram-1"]);
    let r0 = m.read();
    t.set("intel-rapl:0", 10 + 1_000_001);
    t.set("intel-rapl:1", 30 + 2_000_002);
    t.set("intel-rapl:0:0", 20 + 7);
    t.set("intel-rapl:1:0", 40 + 500_000);
    let w = m.read().since(&r0);
    assert_eq!(w.cpu_energy_j, Some(3.000003));
    assert_eq!(w.dram_energy_j, Some(0.500007));
    assert_eq!(w.energy_j, 3.50001);
    assert_eq!((w.gpu_energy_j, w.psys_energy_j, w.source.as_str()), (None, None, "rapl"));
}

#[test]
fn flat_entries_and_copies_are_not_double_counted() {
    // Only flat top-level directories: hierarchy comes from the ids.
    let t = FakeTree::new();
    t.flat("intel-rapl:0", "package-0", 1, MAX).flat("intel-rapl:0:0", "core", 1, MAX).flat(
        "intel-rapl:0:1",
        "dram",
        1,
        MAX,
    );
    let zones = discover(&t.root, &default_reader());
    let labels: Vec<&str> = zones.iter().map(|z| z.label.as_str()).collect();
    assert_eq!(labels, ["package-0", "core-0", "dram-0"]);

    // Nested tree plus real-directory copies at top level (different canonical
    // paths, same ids): still one zone per id.
    let t = FakeTree::new();
    t.zone("intel-rapl:0", "package-0", 1, MAX).zone("intel-rapl:0:0", "dram", 1, MAX);
    for (id, name) in [("intel-rapl:0", "package-0"), ("intel-rapl:0:0", "dram")] {
        std::fs::remove_file(t.root.join(id)).unwrap();
        FakeTree::fill(&t.root.join(id), name, 1, MAX);
    }
    assert!(!t.root.join("intel-rapl:0").is_symlink());
    let zones = discover(&t.root, &default_reader());
    let labels: Vec<&str> = zones.iter().map(|z| z.label.as_str()).collect();
    assert_eq!(labels, ["package-0", "dram-0"], "{:?}", summary(&zones));
}

#[test]
fn mmio_package_is_a_mirror_unless_msr_is_unreadable() {
    let t = FakeTree::new();
    t.zone("intel-rapl:0", "package-0", 100, MAX).zone("intel-rapl:0:0", "core", 100, MAX).zone(
        "intel-rapl-mmio:0",
        "package-0",
        100,
        MAX,
    );
    let zones = discover(&t.root, &default_reader());
    let mmio = zones.iter().find(|z| z.id == "intel-rapl-mmio:0").unwrap();
    assert_eq!(mmio.status, ZoneStatus::Mirror { of: "intel-rapl:0".into() });
    let (p, _) = probes(default_reader());
    let m = Meter::start_with_probes(t.opts(), LoadedGpus::default(), p);
    let r0 = m.read();
    t.set("intel-rapl:0", 1_100);
    t.set("intel-rapl-mmio:0", 1_100);
    assert_eq!(m.read().since(&r0).cpu_energy_j, Some(0.001));

    // MSR counter denied, MMIO readable: MMIO is used (once).
    let zones = discover(&t.root, &denying("intel-rapl/intel-rapl:0"));
    let active: Vec<&str> =
        zones.iter().filter(|z| z.status == ZoneStatus::Active).map(|z| z.id.as_str()).collect();
    assert_eq!(active, ["intel-rapl-mmio:0"]);
}

#[test]
fn amd_mirrored_die_counters_count_once() {
    let t = FakeTree::new();
    t.zone("intel-rapl:0", "package-0-die-0", 5_000, MAX)
        .zone("intel-rapl:0:0", "core", 7, MAX)
        .zone("intel-rapl:1", "package-0-die-1", 5_000, MAX)
        .zone("intel-rapl:1:0", "core", 7, MAX)
        .zone("intel-rapl:2", "package-1-die-0", 9_000, MAX)
        .zone("intel-rapl:3", "package-1-die-1", 1_234, MAX);
    let zones = discover(&t.root, &default_reader());
    let st = |id: &str| zones.iter().find(|z| z.id == id).unwrap().status.clone();
    assert_eq!(st("intel-rapl:1"), ZoneStatus::Mirror { of: "intel-rapl:0".into() });
    assert_eq!(st("intel-rapl:1:0"), ZoneStatus::Mirror { of: "intel-rapl:0".into() });
    // Distinct per-die counters (Intel multi-die) stay counted.
    assert_eq!(st("intel-rapl:3"), ZoneStatus::Active);
    assert_eq!(zones.iter().find(|z| z.id == "intel-rapl:1:0").unwrap().label, "core-0-die-1");
}
