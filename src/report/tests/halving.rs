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
