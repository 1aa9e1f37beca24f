//! The machine id, the differences `compare` names, and the warning on resuming elsewhere.

use super::*;

fn machine() -> MachineInfo {
    MachineInfo {
        hostname: Some("node1".into()),
        cpu_model: Some("AMD EPYC 9R14".into()),
        microarchitecture: Some("EPYC Genoa".into()),
        logical_cpus: Some(2),
        memory_gib: Some(8),
        virtualised: Some(true),
        kernel: Some("6.1.0".into()),
        ..MachineInfo::default()
    }
    .with_id()
}

#[test]
fn the_id_follows_the_energy_fields_only() {
    let a = machine();
    let mut renamed = a.clone();
    renamed.hostname = Some("node2".into());
    renamed.kernel = Some("6.12.0".into());
    renamed.written_at = "later".into();
    assert_eq!(renamed.compute_id(), a.machine_id, "hostname and kernel are not in the id");
    let mut turbo = a.clone();
    turbo.turbo = Some(false);
    assert_ne!(turbo.compute_id(), a.machine_id);
    let mut zones = a.clone();
    zones.rapl_zones = vec!["package-0".into()];
    assert_ne!(zones.compute_id(), a.machine_id, "RAPL readable now: another measurement");
    assert_eq!(differences(&a, &renamed), []);
    let mut other = a.clone();
    other.logical_cpus = Some(4);
    other.turbo = Some(true);
    let d = differences(&a, &other);
    assert_eq!(d.iter().map(|d| d.field).collect::<Vec<_>>(), ["logical_cpus", "turbo"]);
    assert_eq!(d[0].to_string(), "logical_cpus: `2` vs `4`");
    assert_eq!(d[1].to_string(), "turbo: unknown vs `true`");
}

#[test]
fn machine_json_round_trips_and_resuming_elsewhere_warns() {
    let dir = tempfile::tempdir().unwrap();
    let a = machine();
    assert_eq!(record_machine(dir.path(), &a, []).unwrap(), None, "a new sweep");
    assert_eq!(read_machine(dir.path()).unwrap(), a);
    let id = a.machine_id.clone();
    assert_eq!(record_machine(dir.path(), &a, [id.as_str()]).unwrap(), None, "same machine");

    let mut b = a.clone();
    b.logical_cpus = Some(16);
    let b = b.with_id();
    let w = record_machine(dir.path(), &b, [id.as_str(), ""]).unwrap().unwrap();
    assert!(w.contains("another machine") && w.contains("logical_cpus: `2` vs `16`"), "{w}");
    assert_eq!(read_machine(dir.path()).unwrap().machine_id, b.machine_id, "rewritten");

    // No machine.json of the old run (written elsewhere, or deleted): the rows' ids say it.
    std::fs::remove_file(dir.path().join(MACHINE_FILE)).unwrap();
    let w = record_machine(dir.path(), &b, [id.as_str()]).unwrap().unwrap();
    assert!(w.contains(&id) && w.contains(&b.machine_id), "{w}");
    // Rows from before the column, without a machine.json, say nothing.
    std::fs::remove_file(dir.path().join(MACHINE_FILE)).unwrap();
    assert_eq!(record_machine(dir.path(), &a, ["", ""]).unwrap(), None);
    // A --fresh start (no rows left) does not compare with the machine.json it left behind.
    assert_eq!(record_machine(dir.path(), &b, []).unwrap(), None);
}
