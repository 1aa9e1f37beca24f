//! What the report says about how sure it is.

use super::*;
use crate::report::analysis::fixtures::row;

fn trial(id: &str, config: &str, lr: f64, energy: f64) -> ResultRow {
    let mut r = row(id, "mlp", Some(0.95), energy / 10.0, Some(energy));
    r.config_id = config.into();
    r.learning_rate = lr;
    r
}

#[test]
fn with_one_trial_per_configuration_it_says_no_uncertainty_can_be_given() {
    let c = certainty(&[trial("a", "c1", 0.1, 100.0), trial("b", "c2", 0.01, 90.0)]);
    assert!(
        c.paragraphs[0].contains("no uncertainty can be given")
            && c.paragraphs[0].contains("repeats = 3"),
        "{:?}",
        c.paragraphs
    );
    assert_eq!(c.rows.len(), 2);
    assert_eq!(c.rows[0][1], "c2", "lowest J/pt first");
    assert_eq!(c.rows[1][8], "untested (n < 2)");
    assert!(
        config_audit_text(&[trial("a", "c1", 0.1, 100.0), trial("b", "c2", 0.01, 90.0)]).is_empty()
    );
}

#[test]
fn repeats_give_intervals_a_welch_verdict_and_outliers() {
    let mut rows = Vec::new();
    for (i, e) in [100.0, 101.0, 99.0, 100.5, 160.0].iter().enumerate() {
        rows.push(trial(&format!("a{i}"), "best", 0.1, *e));
    }
    for (i, e) in [150.0, 152.0, 149.0].iter().enumerate() {
        rows.push(trial(&format!("b{i}"), "worse", 0.01, *e));
    }
    for (i, e) in [101.0, 130.0].iter().enumerate() {
        rows.push(trial(&format!("c{i}"), "close", 0.001, *e));
    }
    let c = certainty(&rows);
    assert!(c.paragraphs[0].contains("Welch"), "{:?}", c.paragraphs);
    let by_id = |id: &str| c.rows.iter().find(|r| r[1] == id).unwrap().clone();
    assert_eq!(by_id("best")[8], "best");
    assert!(by_id("best")[4].contains(" ± "), "{:?}", by_id("best"));
    assert!(by_id("worse")[8].starts_with("yes (p = "), "{:?}", by_id("worse"));
    assert!(by_id("close")[8].starts_with("no (p = "), "{:?}", by_id("close"));
    assert!(
        c.paragraphs.iter().any(|p| p.starts_with("Outlier: trial a4 of configuration best")),
        "{:?}",
        c.paragraphs
    );
    let audit = config_audit_text(&rows);
    assert!(audit[0].contains("3 configurations") && audit[0].contains("bootstrap"), "{audit:?}");
}

#[test]
fn a_trial_whose_counter_stopped_reading_is_left_out_of_rankings() {
    let mut broken = trial("x", "cx", 0.5, 10.0); // would be the best by far
    broken.energy_complete = Some(false);
    broken.read_failures = Some(4);
    let rows = vec![trial("a", "c1", 0.1, 100.0), broken];
    let c = certainty(&rows);
    assert_eq!(c.rows.len(), 1, "{:?}", c.rows);
    assert_eq!(c.rows[0][1], "c1");
    assert_eq!(crate::report::analysis::ranking(&rows).len(), 1);
    let data = crate::report::read::ReportData { results: rows, ..Default::default() };
    let sections = crate::report::sections::sections(&data, &[]);
    let why =
        sections[0].paragraphs.iter().find(|p| p.starts_with("Left out of every ranking: trial x"));
    assert!(
        why.is_some_and(|p| p.contains("4 reads") && p.contains("undercount")),
        "{:?}",
        sections[0]
    );
}

#[test]
fn trials_under_background_load_or_on_a_shared_gpu_are_flagged() {
    let mut busy = trial("x", "c1", 0.1, 100.0);
    busy.other_cpu_share = Some(0.42);
    busy.background_load = Some(true);
    let mut gpu = trial("y", "c2", 0.1, 100.0);
    gpu.gpu_shared = Some("false;true".into());
    let quiet = trial("z", "c3", 0.1, 100.0);
    let data =
        crate::report::read::ReportData { results: vec![busy, gpu, quiet], ..Default::default() };
    let overview = &crate::report::sections::sections(&data, &[])[0];
    let flagged: Vec<&String> = overview
        .paragraphs
        .iter()
        .filter(|p| p.starts_with("Background load") || p.starts_with("Shared GPU"))
        .collect();
    assert_eq!(flagged.len(), 2, "{:?}", overview.paragraphs);
    assert!(flagged[0].contains("trial x") && flagged[0].contains("42.00 %"), "{}", flagged[0]);
    assert!(flagged[1].contains("trial y") && flagged[1].contains("false;true"), "{}", flagged[1]);
}

#[test]
fn configurations_that_differ_in_threads_are_labelled_apart() {
    let mut one = trial("a", "c1", 0.1, 100.0);
    one.threads = Some(1);
    let mut two = trial("b", "c2", 0.1, 90.0);
    two.threads = Some(2);
    let c = certainty(&[one, two]);
    assert!(
        c.rows[0][2].contains("threads=2") && c.rows[1][2].contains("threads=1"),
        "{:?}",
        c.rows
    );
}

#[test]
fn an_outlier_among_equal_energies_is_named() {
    // MAD = 0: before, nothing was scored, so nothing named.
    let rows: Vec<ResultRow> = [15.0, 15.0, 15.0, 40.0]
        .iter()
        .enumerate()
        .map(|(i, e)| trial(&format!("t{i}"), "c1", 0.1, *e))
        .collect();
    let c = certainty(&rows);
    let named: Vec<&String> = c.paragraphs.iter().filter(|p| p.starts_with("Outlier")).collect();
    assert_eq!(named.len(), 1, "{:?}", c.paragraphs);
    assert!(named[0].contains("trial t3") && named[0].contains("MAD = 0"), "{}", named[0]);
}

#[test]
fn background_load_under_the_estimate_does_not_blame_rapl() {
    let mut rapl = trial("x", "c1", 0.1, 100.0);
    rapl.other_cpu_share = Some(0.42);
    rapl.background_load = Some(true);
    let mut est = trial("y", "c2", 0.1, 100.0);
    est.energy_source = "estimate".into();
    est.other_cpu_share = Some(0.3);
    est.background_load = Some(true);
    let data = crate::report::read::ReportData { results: vec![rapl, est], ..Default::default() };
    let overview = &crate::report::sections::sections(&data, &[])[0];
    let line = |id: &str| {
        overview
            .paragraphs
            .iter()
            .find(|p| p.starts_with(&format!("Background load: while trial {id} ")))
            .unwrap_or_else(|| panic!("{:?}", overview.paragraphs))
            .clone()
    };
    assert!(line("x").contains("RAPL counts whole packages"), "{}", line("x"));
    let y = line("y");
    assert!(!y.contains("RAPL") && !y.contains("includes their work"), "{y}");
    assert!(y.contains("leaves their work out"), "{y}");
}
