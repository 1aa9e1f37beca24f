//! Merge rules on in-memory sources, then `merge_dir` on real files: duplicates, conflicts,
//! missing trials, torn shard tails, a non-sharded run as one more source, idempotence.

use crate::results::{EpochRow, ResultRow};
use crate::results::{encode, read_tolerant};
use crate::slurm::merge::{PlanEntry, Source, merge, merge_dir};
use std::path::{Path, PathBuf};

fn row(trial: &str, attempt: &str, status: &str, started: &str, finished: &str) -> ResultRow {
    ResultRow {
        trial_id: trial.into(),
        status: status.into(),
        attempt_id: attempt.into(),
        started_at: started.into(),
        finished_at: finished.into(),
        test_accuracy: (status == "ok").then_some(0.9),
        energy_j: Some(attempt.len() as f64),
        ..Default::default()
    }
}

fn epoch(trial: &str, attempt: &str, n: usize) -> EpochRow {
    EpochRow { trial_id: trial.into(), attempt_id: attempt.into(), epoch: n, ..Default::default() }
}

fn plan(ids: &[&str]) -> Vec<PlanEntry> {
    ids.iter()
        .map(|i| PlanEntry { trial_id: i.to_string(), settings: format!("model=mlp id={i}") })
        .collect()
}

fn source(label: &str, results: Vec<ResultRow>, epochs: Vec<EpochRow>, ids: &[&str]) -> Source {
    Source {
        label: label.into(),
        dir: PathBuf::from(label),
        results,
        epochs,
        plan: plan(ids),
        torn: vec![],
    }
}

const T0: &str = "2026-01-01T10:00:00+00:00";
const T1: &str = "2026-01-01T10:05:00+00:00";
const T2: &str = "2026-01-01T10:10:00+00:00";

#[test]
fn each_trial_once_and_clean_exit() {
    let a = source(
        "shards/0-of-2",
        vec![row("aa", "a1", "ok", T0, T1)],
        vec![epoch("aa", "a1", 1)],
        &["aa"],
    );
    let b = source(
        "shards/1-of-2",
        vec![row("bb", "b1", "ok", T1, T2)],
        vec![epoch("bb", "b1", 1)],
        &["bb"],
    );
    let m = merge(&[a, b]);
    assert_eq!(m.results.iter().map(|r| r.trial_id.as_str()).collect::<Vec<_>>(), ["aa", "bb"]);
    assert_eq!(m.report.planned, 2);
    assert_eq!(m.report.ok, 2);
    assert_eq!(m.report.exit_code(), 0);
    assert_eq!(m.epochs.len(), 2);
}

#[test]
fn the_same_attempt_twice_is_a_duplicate_not_a_conflict() {
    // An earlier merge left a copy of the shard's row in <out>/results.csv.
    let shard = source(
        "shards/0-of-1",
        vec![row("aa", "a1", "ok", T0, T1)],
        vec![epoch("aa", "a1", 1)],
        &["aa"],
    );
    let top = source(".", vec![row("aa", "a1", "ok", T0, T1)], vec![epoch("aa", "a1", 1)], &[]);
    let m = merge(&[shard, top]);
    assert_eq!(m.results.len(), 1);
    assert_eq!(m.report.duplicates, 1);
    assert!(m.report.conflicts.is_empty());
    assert_eq!(m.epochs.len(), 1, "the epoch is not doubled either");
    assert_eq!(m.kept_from[0].1, PathBuf::from("shards/0-of-1"), "the shard's original is used");
    assert_eq!(m.report.exit_code(), 0);
}

#[test]
fn two_different_ok_attempts_are_a_reported_conflict() {
    let a = source(
        "shards/0-of-2",
        vec![row("aa", "late", "ok", T1, T2)],
        vec![epoch("aa", "late", 1)],
        &["aa"],
    );
    let b = source(
        "shards/1-of-4",
        vec![row("aa", "early", "ok", T0, T1)],
        vec![epoch("aa", "early", 1)],
        &["aa"],
    );
    let m = merge(&[a, b]);
    assert_eq!(m.results.len(), 1);
    assert_eq!(m.results[0].attempt_id, "early", "the first to finish is kept");
    assert_eq!(m.report.conflicts.len(), 1);
    let c = &m.report.conflicts[0];
    assert_eq!(c.trial_id, "aa");
    assert_eq!(c.attempts.iter().map(|a| a.1.as_str()).collect::<Vec<_>>(), ["early", "late"]);
    assert_eq!(m.conflict_rows.len(), 2, "both attempts are kept in conflicts.csv");
    assert_eq!(m.epochs.iter().map(|e| e.attempt_id.as_str()).collect::<Vec<_>>(), ["early"]);
    assert_eq!(m.report.exit_code(), 1);
}

#[test]
fn finish_times_compare_across_time_zones() {
    // 11:00+02:00 is 09:00 UTC: earlier than 10:05 UTC although it sorts later as text.
    let a = source("shards/0-of-2", vec![row("aa", "utc", "ok", T0, T1)], vec![], &["aa"]);
    let b = source(
        "shards/1-of-2",
        vec![row("aa", "cest", "ok", "2026-01-01T10:30:00+02:00", "2026-01-01T11:00:00+02:00")],
        vec![],
        &["aa"],
    );
    assert_eq!(merge(&[a, b]).results[0].attempt_id, "cest");
}

#[test]
fn ok_wins_over_other_statuses_and_otherwise_the_latest_attempt() {
    let a = source(
        "shards/0-of-2",
        vec![row("aa", "a-ok", "ok", T0, T1), row("bb", "b-old", "failed", T0, T1)],
        vec![],
        &["aa", "bb"],
    );
    let b = source(
        "shards/1-of-2",
        vec![row("aa", "a-int", "interrupted", T1, T2), row("bb", "b-new", "interrupted", T1, T2)],
        vec![],
        &["aa", "bb"],
    );
    let m = merge(&[a, b]);
    let kept: Vec<(&str, &str)> =
        m.results.iter().map(|r| (r.trial_id.as_str(), r.attempt_id.as_str())).collect();
    assert_eq!(kept, [("aa", "a-ok"), ("bb", "b-new")]);
    assert!(m.report.conflicts.is_empty());
    assert_eq!(m.report.not_ok, vec![("bb".to_string(), "interrupted".to_string())]);
    assert_eq!(m.report.exit_code(), 1);
}

#[test]
fn planned_trials_without_rows_are_missing_and_extra_rows_are_kept() {
    let a = source(
        "shards/0-of-2",
        vec![row("aa", "a1", "ok", T0, T1), row("old", "o1", "ok", T0, T0)],
        vec![],
        &["aa", "cc"],
    );
    let b = source("shards/1-of-2", vec![], vec![], &["bb"]);
    let m = merge(&[a, b]);
    assert_eq!(m.report.planned, 3);
    assert_eq!(
        m.report.missing.iter().map(|p| p.trial_id.as_str()).collect::<Vec<_>>(),
        ["cc", "bb"]
    );
    assert_eq!(m.report.missing[0].settings, "model=mlp id=cc");
    assert_eq!(m.report.outside_plan, 1);
    assert_eq!(m.results.len(), 2, "the row outside the plan stays");
    assert_eq!(m.report.exit_code(), 1);
}

#[test]
fn epochs_are_those_of_the_kept_attempt_in_order() {
    let epochs = vec![
        epoch("aa", "old", 1),
        epoch("aa", "new", 2),
        epoch("aa", "new", 1),
        epoch("bb", "b1", 1),
    ];
    let a = source(
        "shards/0-of-1",
        vec![row("aa", "old", "interrupted", T0, T1), row("aa", "new", "ok", T1, T2)],
        epochs,
        &["aa"],
    );
    let m = merge(&[a]);
    let got: Vec<(&str, usize)> =
        m.epochs.iter().map(|e| (e.attempt_id.as_str(), e.epoch)).collect();
    assert_eq!(got, [("new", 1), ("new", 2)]);
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn run_json(ids: &[&str], shard: Option<&str>) -> Vec<u8> {
    let trials: Vec<_> = ids
        .iter()
        .map(|i| serde_json::json!({"trial_id": i, "settings": format!("id={i}")}))
        .collect();
    serde_json::to_vec(&serde_json::json!({"trials": trials, "shard": shard})).unwrap()
}

#[test]
fn merge_dir_tolerates_a_torn_shard_tail_and_counts_a_non_sharded_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let s0 = out.join("shards/0-of-2");
    let mut bytes = encode(&[row("aa", "a1", "ok", T0, T1)], true).unwrap();
    let whole = bytes.len();
    bytes.extend_from_slice(b"bb,ok,,mlp,mni"); // a row cut by SIGKILL
    write(&s0.join("results.csv"), &bytes);
    write(
        &s0.join("epochs.csv"),
        &encode(&[epoch("aa", "a1", 1), epoch("zz", "x", 1)], true).unwrap(),
    );
    write(&s0.join("run.json"), &run_json(&["aa", "bb"], Some("0/2")));
    write(&s0.join("power/aa.csv"), b"t_s,w\n0,1\n");
    // A non-sharded run in <out> itself, and a shard directory a task never got far in.
    write(&out.join("results.csv"), &encode(&[row("cc", "c1", "ok", T1, T2)], true).unwrap());
    write(&out.join("run.json"), &run_json(&["cc"], None));
    std::fs::create_dir_all(out.join("shards/1-of-2")).unwrap();

    let report = merge_dir(out).unwrap();
    assert_eq!(report.sources, ["shards/0-of-2", "shards/1-of-2", "."]);
    assert_eq!(report.trials, 2);
    assert_eq!(report.missing.iter().map(|p| p.trial_id.as_str()).collect::<Vec<_>>(), ["bb"]);
    assert_eq!(report.torn, vec![s0.join("results.csv")]);
    assert_eq!(
        std::fs::read(s0.join("results.csv")).unwrap().len(),
        whole + 14,
        "merge never repairs a shard's file"
    );
    let (rows, torn) = read_tolerant::<ResultRow>(&out.join("results.csv")).unwrap();
    assert!(!torn);
    assert_eq!(rows.iter().map(|r| r.trial_id.as_str()).collect::<Vec<_>>(), ["aa", "cc"]);
    let (epochs, _) = read_tolerant::<EpochRow>(&out.join("epochs.csv")).unwrap();
    assert_eq!(epochs, vec![epoch("aa", "a1", 1)]);
    assert_eq!(std::fs::read(out.join("power/aa.csv")).unwrap(), b"t_s,w\n0,1\n");
    assert!(!out.join("conflicts.csv").exists());

    // Merging again reads its own output as a source: same result, nothing new reported.
    let again = merge_dir(out).unwrap();
    assert_eq!(again.trials, 2);
    assert_eq!(again.duplicates, 1, "aa's copy in <out>/results.csv");
    assert!(again.conflicts.is_empty());
    assert_eq!(read_tolerant::<ResultRow>(&out.join("results.csv")).unwrap().0, rows);
}

#[test]
fn merge_dir_writes_conflicts_and_removes_a_stale_conflicts_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    write(
        &out.join("shards/0-of-2/results.csv"),
        &encode(&[row("aa", "a1", "ok", T0, T1)], true).unwrap(),
    );
    write(
        &out.join("shards/1-of-2/results.csv"),
        &encode(&[row("aa", "a2", "ok", T1, T2)], true).unwrap(),
    );
    let report = merge_dir(out).unwrap();
    assert_eq!(report.conflicts.len(), 1);
    let (rows, _) = read_tolerant::<ResultRow>(&out.join("conflicts.csv")).unwrap();
    assert_eq!(rows.len(), 2);

    std::fs::remove_dir_all(out.join("shards/1-of-2")).unwrap();
    std::fs::remove_file(out.join("results.csv")).unwrap();
    assert!(merge_dir(out).unwrap().conflicts.is_empty());
    assert!(!out.join("conflicts.csv").exists());
}

#[test]
fn merge_dir_without_epoch_rows_writes_an_epochs_file_with_its_header() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let mut failed = row("aa", "a1", "failed", T0, T1);
    failed.error = Some("panic: before the first epoch".into());
    write(&out.join("shards/0-of-1/results.csv"), &encode(&[failed], true).unwrap());
    merge_dir(out).unwrap();
    let text = std::fs::read_to_string(out.join("epochs.csv")).unwrap();
    assert!(
        text.starts_with("trial_id,epoch,"),
        "a header, so the file names its columns: {text:?}"
    );
    assert_eq!(text.lines().count(), 1, "{text:?}");
}

#[test]
fn merge_dir_with_nothing_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(merge_dir(tmp.path()).is_err());
    write(&tmp.path().join("shards/0-of-1/run.json"), b"{not json");
    assert!(merge_dir(tmp.path()).is_err());
}

#[test]
fn machine_json_is_copied_up_when_every_shard_ran_on_one_machine_only() {
    let machine = |cpu: &str| {
        let m = crate::machine::MachineInfo {
            hostname: Some("node".into()),
            cpu_model: Some(cpu.into()),
            ..Default::default()
        };
        m.with_id()
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let (a, b) = (machine("CPU A"), machine("CPU B"));
    assert_ne!(a.machine_id, b.machine_id);
    for (shard, trial, m) in [("0-of-2", "aa", &a), ("1-of-2", "bb", &a)] {
        let dir = out.join("shards").join(shard);
        write(&dir.join("results.csv"), &encode(&[row(trial, trial, "ok", T0, T1)], true).unwrap());
        write(&dir.join("machine.json"), &serde_json::to_vec(m).unwrap());
    }
    let report = merge_dir(out).unwrap();
    assert_eq!(report.machines, vec![a.machine_id.clone()]);
    assert_eq!(crate::machine::read_machine(out), Some(a.clone()), "one machine: copied up");

    // A shard from another machine: the ids are reported, and no machine.json speaks for both.
    std::fs::remove_file(out.join("machine.json")).unwrap();
    write(&out.join("shards/1-of-2/machine.json"), &serde_json::to_vec(&b).unwrap());
    let report = merge_dir(out).unwrap();
    let mut ids = vec![a.machine_id.clone(), b.machine_id.clone()];
    ids.sort();
    assert_eq!(report.machines, ids);
    assert!(!out.join("machine.json").exists(), "two machines: none copied up");
    let text = crate::slurm::cmd::describe(&report, out);
    assert!(text.contains("the shards ran on 2 machines"), "{text}");
}
