//! Tests of reading an output directory back, and of the CSV contract the report relies on
//! (None is an empty cell, never NaN or inf).

use super::*;
use crate::report::analysis::fixtures::row;
use crate::results::encode;

fn write(path: &Path, bytes: &[u8]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn keeps_the_last_row_per_trial_in_first_seen_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = row("a", "mlp", None, 1.0, None);
    first.status = "interrupted".into();
    let rows = vec![
        first,
        row("b", "cnn", Some(0.9), 2.0, Some(20.0)),
        row("a", "mlp", Some(0.95), 3.0, Some(30.0)),
    ];
    write(&dir.path().join("results.csv"), &encode(&rows, true).unwrap());
    let data = load_report_data(dir.path()).unwrap();
    let got: Vec<(&str, &str)> =
        data.results.iter().map(|r| (r.trial_id.as_str(), r.status.as_str())).collect();
    assert_eq!(got, vec![("a", "ok"), ("b", "ok")]);
    assert_eq!(data.results[0].test_accuracy, Some(0.95));
    assert!(data.epochs.is_empty() && data.power.is_empty(), "epochs.csv and power/ are optional");
    assert!(data.title.starts_with("wattsweep report — "), "{}", data.title);
}

#[test]
fn reads_power_files_by_trial_id_and_tolerates_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("results.csv"),
        &encode(&[row("t1", "mlp", Some(0.9), 1.0, Some(5.0))], true).unwrap(),
    );
    // The last line is torn (no newline): a sweep killed mid-write.
    write(
        &dir.path().join("power/t1.csv"),
        b"t_s,domain,power_w,energy_j\n0.1,package-0,20.5,2.05\n0.1,dram-0,3.0,0.3\n0.2,pack",
    );
    write(&dir.path().join("power/notes.txt"), b"not a power file");
    write(&dir.path().join("power/broken.csv"), b"t_s,domain,power_w,energy_j\nx,y,z,w\n");
    let mut data = load_report_data(dir.path()).unwrap();
    assert_eq!(data.power_files, vec!["broken", "t1"], "notes.txt is no power file");
    assert!(data.power.is_empty(), "series are read only for the trials drawn");
    data.load_power(&["t1".into(), "broken".into(), "absent".into()]);
    assert_eq!(
        data.power.keys().collect::<Vec<_>>(),
        vec!["t1"],
        "broken.csv skipped, notes.txt ignored"
    );
    let samples = &data.power["t1"];
    assert_eq!(samples.len(), 2);
    assert_eq!(
        samples[0],
        PowerSample { t_s: 0.1, domain: "package-0".into(), power_w: 20.5, energy_j: 2.05 }
    );
}

#[test]
fn a_directory_without_results_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_report_data(dir.path()).unwrap_err().to_string();
    assert!(err.contains("no results.csv"), "{err}");
}

#[test]
fn a_sharded_sweep_without_a_merge_says_to_run_merge() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("shards/0-of-2/results.csv"),
        &encode(&[row("t1", "mlp", Some(0.9), 1.0, Some(5.0))], true).unwrap(),
    );
    let err = load_report_data(dir.path()).unwrap_err().to_string();
    assert!(err.contains("wattsweep merge"), "{err}");
    assert!(err.contains(&dir.path().display().to_string()), "names the directory: {err}");
}

/// The CSV contract the report relies on: a `None` is an empty cell, never `NaN`, `inf` or 0.
#[test]
fn none_fields_round_trip_as_empty_cells_without_nan_or_inf() {
    let mut r = row("t", "mlp", None, 12.5, None);
    r.error = None;
    r.weight_decay = None;
    r.firing_rate = None;
    r.exclusive = None;
    let bytes = encode(std::slice::from_ref(&r), true).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    // The cells, not the header (whose `infer_…` columns contain "inf").
    let lower = text.lines().skip(1).collect::<Vec<_>>().join("\n").to_lowercase();
    assert!(!lower.contains("nan") && !lower.contains("inf"), "{text}");
    let mut rdr = csv::Reader::from_reader(bytes.as_slice());
    let header = rdr.headers().unwrap().clone();
    let record = rdr.records().next().unwrap().unwrap();
    for name in [
        "error",
        "weight_decay",
        "test_accuracy",
        "energy_j",
        "joules_per_accuracy_point",
        "firing_rate",
        "exclusive",
        "gpu_name",
    ] {
        let i = header.iter().position(|h| h == name).unwrap();
        assert_eq!(&record[i], "", "{name} should be an empty cell");
    }
    let i = header.iter().position(|h| h == "train_time_s").unwrap();
    assert_eq!(&record[i], "12.5");
    let back: Vec<ResultRow> =
        csv::Reader::from_reader(bytes.as_slice()).deserialize().collect::<Result<_, _>>().unwrap();
    assert_eq!(back, vec![r]);
}
