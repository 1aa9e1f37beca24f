//! The settings table is the one list: every entry must reach every place a setting shows.

use super::*;
use crate::models::ModelKind;
use crate::trial::spec::text_value;
use std::collections::BTreeSet;

/// A trial with every setting at its table example (`model` first: it resets model settings).
fn example_spec() -> TrialSpec {
    let mut spec = TrialSpec::defaults(ModelKind::Mlp);
    for s in &SETTINGS {
        (s.set)(&mut spec, &(s.example)()).unwrap_or_else(|e| panic!("{}: example: {e}", s.key));
    }
    spec
}

/// Header → cell of one CSV record.
fn record(bytes: &[u8]) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_reader(bytes);
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let row = r.records().next().expect("one row").unwrap();
    header.into_iter().zip(row.iter().map(String::from)).collect()
}

/// Cells equal as numbers when both are numbers (the csv crate writes `150.0` as `150.0`, Rust's
/// `to_string` as `150`), as text otherwise.
fn same_cell(a: &str, b: &str) -> bool {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

#[test]
fn keys_are_unique_and_id_ranks_a_permutation() {
    let keys: BTreeSet<&str> = SETTINGS.iter().map(|s| s.key).collect();
    assert_eq!(keys.len(), SETTINGS.len());
    let ranks: BTreeSet<u8> = SETTINGS.iter().map(|s| s.id_rank).collect();
    assert_eq!(ranks, (0..SETTINGS.len() as u8).collect());
    assert_eq!(SETTING_KEYS.to_vec(), SETTINGS.iter().map(|s| s.key).collect::<Vec<_>>());
}

#[test]
fn every_example_is_accepted_and_shows_in_its_cell() {
    let spec = example_spec();
    for s in &SETTINGS {
        assert!(same_cell(&(s.cell)(&spec), &text_value(&(s.example)())), "{}", s.key);
    }
}

#[test]
fn every_setting_is_a_results_column_written_and_read_back() {
    let spec = example_spec();
    let mut row = ResultRow::default();
    for s in &SETTINGS {
        (s.to_row)(&spec, &mut row);
    }
    let cells = record(&crate::results::encode(&[row.clone()], true).unwrap());
    for s in &SETTINGS {
        let want = (s.cell)(&spec);
        assert!(!want.is_empty(), "{}: example leaves the cell empty", s.key);
        assert_eq!((s.of_row)(&row), want, "{}: of_row does not read what to_row wrote", s.key);
        let (_, csv) = cells
            .iter()
            .find(|(k, _)| k == s.key)
            .unwrap_or_else(|| panic!("{} is not a results.csv column", s.key));
        assert!(same_cell(csv, &want), "{}: results.csv has {csv:?}, want {want:?}", s.key);
    }
}

#[test]
fn every_setting_is_a_plan_column_and_the_configuration_ones_summary_columns() {
    let spec = example_spec();
    let plan: Vec<&str> = spec.setting_cells().iter().map(|(k, _)| *k).collect();
    let mut row = ResultRow { config_id: "c".into(), ..Default::default() };
    for s in &SETTINGS {
        (s.to_row)(&spec, &mut row);
    }
    let configs = crate::report::configs::configurations(std::slice::from_ref(&row));
    let summary = record(&crate::report::configs::summary_csv(&configs).unwrap());
    for s in &SETTINGS {
        assert!(plan.contains(&s.key), "{} is not a plan column", s.key);
        let in_summary = summary.iter().find(|(k, _)| k == s.key);
        match (s.per_trial, in_summary) {
            (true, None) => {}
            (true, Some(_)) => panic!("{} varies within a configuration", s.key),
            (false, None) => panic!("{} is not a summary.csv column", s.key),
            (false, Some((_, v))) => assert!(same_cell(v, &(s.cell)(&spec)), "{}", s.key),
        }
    }
}

#[test]
fn per_trial_settings_are_left_out_of_the_configuration_only() {
    let spec = example_spec();
    let config = spec.config_canonical();
    for s in &SETTINGS {
        let part = (s.canonical)(&spec).map(|v| format!("{}={v}", s.key)).unwrap();
        assert!(spec.canonical().split(';').any(|p| p == part), "{}", s.key);
        assert_eq!(config.split(';').any(|p| p == part), !s.per_trial, "{}", s.key);
    }
}

#[test]
fn the_canonical_form_keeps_its_order_and_omissions() {
    // The form trial ids hash: this order and these omissions predate the table.
    let spec = example_spec();
    assert!(
        spec.canonical().starts_with(
            "dataset=fashion-mnist;model=cnn;optimizer=sgd;learning_rate=0.05;momentum=0.9;\
             weight_decay=0.001;batch_size=32;epochs=3;train_limit=100;test_limit=50;\
             backend=flex;seed=7;threads=3;gpu_power_limit_w=150.0;repeat=2;models.cnn."
        ),
        "{}",
        spec.canonical()
    );
    let defaults = TrialSpec::defaults(ModelKind::Mlp).canonical();
    assert!(
        defaults.starts_with(
            "dataset=mnist;model=mlp;optimizer=adam;learning_rate=0.001;momentum=0.0;\
             weight_decay=default;batch_size=64;epochs=1;train_limit=all;test_limit=all;\
             backend=flex;seed=0;models.mlp."
        ),
        "{defaults}"
    );
}

#[test]
fn the_grid_reference_lists_every_setting_with_its_default() {
    let docs = include_str!("../../../docs/grid.md");
    for s in &SETTINGS {
        let row = docs
            .lines()
            .find(|l| l.starts_with(&format!("| `{}`", s.key)))
            .unwrap_or_else(|| panic!("docs/grid.md has no row for `{}`", s.key));
        assert!(
            row.contains(s.default),
            "docs/grid.md's `{}` row does not say {}",
            s.key,
            s.default
        );
    }
}

#[test]
fn the_report_label_follows_the_table() {
    let spec = example_spec();
    let mut row = ResultRow::default();
    for s in &SETTINGS {
        (s.to_row)(&spec, &mut row);
    }
    row.backend = "tch".into();
    assert_eq!(
        crate::report::fmt::setting_label(&row),
        "cnn sgd lr=0.05 bs=32 [tch] threads=3 gpu_power_limit=150 W"
    );
}
