//! Comparing two sweeps configuration by configuration.

use super::*;
use crate::report::analysis::fixtures::row;

fn trial(id: &str, config: &str, energy: f64, time: f64, acc: f64) -> ResultRow {
    let mut r = row(id, "mlp", Some(acc), time, Some(energy));
    r.config_id = config.into();
    r
}

fn sweep(prefix: &str, config: &str, energies: &[f64], time: f64) -> Vec<ResultRow> {
    energies
        .iter()
        .enumerate()
        .map(|(i, e)| trial(&format!("{prefix}{i}"), config, *e, time + i as f64 * 0.1, 0.95))
        .collect()
}

#[test]
fn a_clear_saving_is_lower_noise_is_indistinguishable() {
    let mut a = sweep("a", "c1", &[100.0, 104.0, 98.0, 101.0], 10.0);
    a.extend(sweep("x", "c2", &[100.0, 110.0, 95.0], 10.0));
    a.extend(sweep("o", "only-a", &[50.0], 5.0));
    let mut b = sweep("b", "c1", &[90.0, 93.0, 88.0, 91.0], 10.0);
    b.extend(sweep("y", "c2", &[101.0, 108.0, 99.0], 10.0));
    b.extend(sweep("n", "only-b", &[60.0, 61.0], 6.0));
    let c = compare(&a, &b, Machines::default());
    assert_eq!(c.lines.len(), 2);
    let l = &c.lines[0];
    assert_eq!((l.config_id.as_str(), l.n_a, l.n_b), ("c1", 4, 4));
    let e = &l.measures[0];
    assert_eq!(e.name, "energy_j");
    assert_eq!(e.verdict, Verdict::Lower);
    let ci = e.ci.unwrap();
    // numpy/scipy on the same formula: 0.898263, [0.861596, 0.936614], p = 0.000843506
    assert!((ci.ratio - 0.8982630272952854).abs() < 1e-12);
    assert!((ci.low.unwrap() - 0.8615960836952781).abs() < 1e-6, "{ci:?}");
    assert!((ci.high.unwrap() - 0.9366139311480205).abs() < 1e-6, "{ci:?}");
    assert!((ci.p - 0.0008435059215147058).abs() < 1e-8, "{ci:?}");
    assert_eq!(l.measures[1].verdict, Verdict::Indistinguishable, "same times");
    assert_eq!(l.accuracy_diff.map(|d| d.0), None, "no spread in accuracy: untested");
    assert_eq!((l.accuracy_a, l.accuracy_b), (Some(0.95), Some(0.95)));
    assert_eq!(c.lines[1].measures[0].verdict, Verdict::Indistinguishable);
    let sides: Vec<(&str, &str)> =
        c.one_side.iter().map(|o| (o.config_id.as_str(), o.side)).collect();
    assert_eq!(sides, [("only-a", "A"), ("only-b", "B")]);
}

#[test]
fn a_single_trial_gives_a_ratio_without_an_interval() {
    let a = sweep("a", "c1", &[100.0], 10.0);
    let b = sweep("b", "c1", &[80.0], 10.0);
    let c = compare(&a, &b, Machines::default());
    let e = &c.lines[0].measures[0];
    assert_eq!((e.ratio, e.ci, e.verdict), (Some(0.8), None, Verdict::Untested));
}

#[test]
fn machines_are_the_same_only_with_one_known_id_on_both_sides() {
    let m = |a: &[&str], b: &[&str]| Machines {
        a: a.iter().map(|s| s.to_string()).collect(),
        b: b.iter().map(|s| s.to_string()).collect(),
        differences: vec![],
    };
    assert!(m(&["x"], &["x"]).same());
    assert!(!m(&["x"], &["y"]).same() && !m(&["x"], &["y"]).unknown());
    assert!(!m(&["x", "y"], &["x", "y"]).same(), "a sweep of two machines is no baseline");
    assert!(m(&[], &["x"]).unknown());
}
