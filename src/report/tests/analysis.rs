//! Tests of analysis.rs: Pareto front (ties, dominated and non-finite points), the ranking,
//! and energy to target accuracy (attempt filtering, exact hits, missing energy).

use super::fixtures::{epoch, failed, row};
use super::*;

#[test]
fn pareto_front_keeps_undominated_points_and_ties() {
    // (accuracy, energy): b beats a on both; c and d are identical (a tie keeps both);
    // e is the most accurate; f costs more than e for less accuracy.
    let pts =
        [(0.90, 100.0), (0.95, 90.0), (0.96, 120.0), (0.96, 120.0), (0.99, 500.0), (0.98, 600.0)];
    assert_eq!(pareto_front(&pts), vec![false, true, true, true, true, false]);
}

#[test]
fn pareto_front_drops_a_point_tied_on_one_axis_and_worse_on_the_other() {
    // Same energy, lower accuracy: dominated. Same accuracy, more energy: dominated.
    let pts = [(0.95, 100.0), (0.94, 100.0), (0.95, 101.0)];
    assert_eq!(pareto_front(&pts), vec![true, false, false]);
}

#[test]
fn pareto_front_ignores_non_finite_points() {
    let pts = [(f64::NAN, 1.0), (0.9, 10.0), (0.99, f64::INFINITY)];
    assert_eq!(pareto_front(&pts), vec![false, true, false]);
}

#[test]
fn pareto_trials_uses_ok_trials_only_sorted_by_energy() {
    let mut cheap_but_failed = row("f", "mlp", Some(0.99), 1.0, Some(1.0));
    cheap_but_failed.status = "diverged".into();
    let rows = vec![
        row("b", "cnn", Some(0.99), 50.0, Some(900.0)),
        row("a", "mlp", Some(0.97), 10.0, Some(200.0)),
        row("c", "rnn", Some(0.96), 20.0, Some(400.0)),
        cheap_but_failed,
    ];
    let ids: Vec<&str> = pareto_trials(&rows).iter().map(|r| r.trial_id.as_str()).collect();
    assert_eq!(ids, vec!["a", "b"]);
}

#[test]
fn ranking_lists_ok_trials_by_joules_per_point_and_missing_energy_last() {
    let rows = vec![
        row("dear", "cnn", Some(0.99), 50.0, Some(990.0)), // 10 J/pt
        row("unmeasured", "rnn", Some(0.98), 5.0, None),   // no figure: last
        row("cheap", "mlp", Some(0.98), 10.0, Some(98.0)), // 1 J/pt
        failed("broken", "failed", "boom"),
    ];
    let ids: Vec<&str> = ranking(&rows).iter().map(|r| r.trial_id.as_str()).collect();
    assert_eq!(ids, vec!["cheap", "dear", "unmeasured"]);
}

#[test]
fn joules_per_point_falls_back_to_energy_over_accuracy() {
    let mut r = row("x", "mlp", Some(0.5), 10.0, Some(100.0));
    r.joules_per_accuracy_point = None;
    assert_eq!(joules_per_point(&r), Some(2.0));
    r.test_accuracy = Some(0.0);
    assert_eq!(joules_per_point(&r), None, "no division by a zero accuracy");
}

#[test]
fn energy_to_target_finds_the_first_epoch_reaching_each_target() {
    let r = row("t", "mlp", Some(0.985), 30.0, Some(300.0));
    let epochs = vec![
        epoch("t", "att-2", 2, 0.97, 20.0, Some(200.0)), // exactly 97 % counts
        epoch("t", "att-2", 1, 0.95, 10.0, Some(100.0)),
        epoch("t", "att-2", 3, 0.985, 30.0, Some(300.0)),
        epoch("other", "att-2", 1, 0.999, 1.0, Some(1.0)),
    ];
    let mine = attempt_epochs(&r, &epochs);
    assert_eq!(mine.iter().map(|e| e.epoch).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(
        energy_to_target(&mine, 0.97),
        Some(TargetHit { epoch: 2, energy_j: Some(200.0), time_s: 20.0 })
    );
    assert_eq!(energy_to_target(&mine, 0.98).map(|h| h.epoch), Some(3));
    assert_eq!(energy_to_target(&mine, 0.99), None, "not reached");
}

#[test]
fn energy_to_target_ignores_other_attempts_and_keeps_a_repeated_epochs_last_row() {
    let r = row("t", "mlp", Some(0.96), 30.0, Some(300.0)); // attempt att-2
    let epochs = vec![
        epoch("t", "att-1", 1, 0.995, 1.0, Some(5.0)), // an earlier attempt: must not count
        epoch("t", "att-2", 1, 0.90, 10.0, Some(100.0)),
        epoch("t", "att-2", 1, 0.93, 11.0, Some(110.0)), // rewritten epoch 1: the last row wins
    ];
    let mine = attempt_epochs(&r, &epochs);
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].cumulative_energy_j, Some(110.0));
    assert_eq!(energy_to_target(&mine, 0.97), None);
}

#[test]
fn energy_to_target_reports_missing_energy_as_none_not_zero() {
    let epochs = [epoch("t", "a", 1, 0.99, 5.0, None)];
    let refs: Vec<&EpochRow> = epochs.iter().collect();
    let hit = energy_to_target(&refs, 0.97).expect("reached");
    assert_eq!(hit.energy_j, None);
    assert_eq!(hit.time_s, 5.0);
}

#[test]
fn snn_trials_are_found_by_model_or_firing_rate() {
    let mut renamed = row("s2", "spiking-mlp", Some(0.9), 1.0, None);
    renamed.firing_rate = Some(0.1);
    assert!(is_snn(&row("s", "snn", None, 1.0, None)));
    assert!(is_snn(&renamed));
    assert!(!is_snn(&row("m", "mlp", None, 1.0, None)));
}
