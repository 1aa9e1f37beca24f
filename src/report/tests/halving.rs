//! The energy-saved arithmetic.

use super::*;

fn row(status: &str, epochs: usize, trained: usize, energy: f64, time: f64) -> ResultRow {
    ResultRow {
        status: status.into(),
        epochs,
        epochs_trained: Some(trained),
        energy_j: Some(energy),
        train_time_s: time,
        ..Default::default()
    }
}

#[test]
fn pruned_trials_are_extrapolated_from_their_own_epochs() {
    let rows = [
        row("ok", 9, 9, 90.0, 9.0),
        row("pruned", 9, 1, 12.0, 2.0),
        row("pruned", 9, 3, 30.0, 3.0),
        ResultRow { status: "failed".into(), energy_j: None, ..Default::default() },
    ];
    let s = savings(&rows);
    assert_eq!(s.spent_j, 90.0 + 12.0 + 30.0);
    assert_eq!(s.full_j, 90.0 + 12.0 * 9.0 + 30.0 * 3.0);
    assert_eq!(s.spent_s, 14.0);
    assert_eq!(s.full_s, 9.0 + 18.0 + 9.0);
    assert_eq!(s.unknown, 1);
}

#[test]
fn a_grid_sweep_has_no_halving_section() {
    let data = ReportData { results: vec![row("ok", 2, 2, 1.0, 1.0)], ..Default::default() };
    assert!(halving_text(&data).is_none());
    let data = ReportData {
        results: vec![row("ok", 9, 9, 90.0, 9.0), row("pruned", 9, 1, 10.0, 1.0)],
        ..Default::default()
    };
    let t = halving_text(&data).expect("pruned rows: a section");
    assert!(t.paragraphs[0].contains("would have spent about 180.0 J"), "{}", t.paragraphs[0]);
    assert!(t.paragraphs[0].contains("saved 80.00 J (44.44 %)"), "{}", t.paragraphs[0]);
}

#[test]
fn decisions_on_noise_are_told_apart() {
    let d = |id: &str, decision: &str, within: Option<bool>, pooled: bool| Decision {
        rung: 1,
        epochs: 1,
        config_id: id.into(),
        trials: 1,
        decision: decision.into(),
        objective: "joules_per_accuracy_point".into(),
        margin: within.map(|_| 0.01),
        noise: within.map(|_| 0.05),
        within_noise: within,
        energy_pooled: Some(pooled),
        ..Default::default()
    };
    let data = ReportData {
        results: vec![row("ok", 9, 9, 90.0, 9.0), row("pruned", 9, 1, 10.0, 1.0)],
        decisions: vec![
            d("a", "continue", Some(true), true),
            d("b", "continue", Some(true), true),
            d("c", "pruned", Some(false), false),
        ],
        ..Default::default()
    };
    let t = halving_text(&data).unwrap();
    let all = t.paragraphs.join("\n");
    assert!(all.contains("2 configuration-rungs went on because they were within noise"), "{all}");
    assert!(all.contains("2 configuration-rungs do the same arithmetic"), "{all}");
    assert!(!all.contains("pruned on a difference below the noise"), "{all}");
    assert_eq!(t.rows[0][9], "1.000 / 5.000");
    assert_eq!(t.rows[0][10], "within noise of the cutoff; energy pooled: accuracy decided");
    assert_eq!(t.rows[2][10], "");
    // Strict decisions on noise are marked as such.
    let strict =
        ReportData { decisions: vec![d("c", "pruned", Some(true), false)], ..data.clone() };
    let t = halving_text(&strict).unwrap();
    assert!(
        t.paragraphs
            .join("\n")
            .contains("1 configuration-rungs were pruned on a difference below the noise")
    );
    assert_eq!(t.rows[0][10], "pruned on a difference below the noise");
}
