//! Where the machine facts of an export come from.

use super::*;

#[test]
fn machine_json_is_preferred_and_run_json_is_the_fallback() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(host(dir.path()), Host::default(), "nothing readable: empty cells");
    std::fs::write(
        dir.path().join("run.json"),
        r#"{"machine": {"os": "Debian 12", "cpu_model": "Xeon", "logical_cores": 4, "ram_mb": 8192}}"#,
    )
    .unwrap();
    assert_eq!(
        host(dir.path()),
        Host {
            os: Some("Debian 12".into()),
            cpu_model: Some("Xeon".into()),
            cpu_count: Some(4),
            ram_gib: Some(8.0)
        }
    );
    std::fs::write(
        dir.path().join("machine.json"),
        r#"{"os": "Debian 13", "cpu_model": "EPYC", "logical_cpus": 2, "memory_mb": 4096}"#,
    )
    .unwrap();
    assert_eq!(host(dir.path()).cpu_model.as_deref(), Some("EPYC"));
    assert_eq!(host(dir.path()).ram_gib, Some(4.0));
}

#[test]
fn a_folder_without_results_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let e = write_export(dir.path(), ExportFormat::OpenMetrics).unwrap_err().to_string();
    assert!(e.contains(&dir.path().display().to_string()) && e.contains("results.csv"), "{e}");
}
