//! Tests of the outputs' list and of write_report on a real directory (all files written,
//! stale plots removed, no temporary files left).

use super::*;
use crate::report::analysis::fixtures::sample_data;
use crate::results::encode;

#[test]
fn the_outputs_have_distinct_names_and_index_html_comes_last() {
    let names: Vec<&str> = OUTPUTS.iter().map(|o| o.name()).collect();
    assert_eq!(names, ["plots/", "summary.csv", "summary.md", "index.html"]);
}

#[test]
fn write_report_writes_every_file_and_removes_stale_plots() {
    let dir = tempfile::tempdir().unwrap();
    let data = sample_data();
    std::fs::write(dir.path().join("results.csv"), encode(&data.results, true).unwrap()).unwrap();
    std::fs::write(dir.path().join("epochs.csv"), encode(&data.epochs, true).unwrap()).unwrap();
    let written = write_report(dir.path()).unwrap();
    let names: Vec<String> =
        written.iter().map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string()).collect();
    assert!(names.contains(&"plots/adam-vs-sgd.svg".to_string()), "{names:?}");
    assert_eq!(names.last().map(String::as_str), Some("index.html"));
    for p in &written {
        assert!(std::fs::metadata(p).unwrap().len() > 0, "{}", p.display());
    }

    // Without SGD trials the bar chart is no longer drawn: its old file must go.
    let adam_only: Vec<_> = data.results.iter().filter(|r| r.optimizer != "sgd").cloned().collect();
    std::fs::write(dir.path().join("results.csv"), encode(&adam_only, true).unwrap()).unwrap();
    write_report(dir.path()).unwrap();
    assert!(!dir.path().join("plots/adam-vs-sgd.svg").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .chain(std::fs::read_dir(dir.path().join("plots")).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.contains("no ok SGD trials"), "the skipped plot is explained");
}
