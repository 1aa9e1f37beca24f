//! Rung arithmetic and decisions.

use super::*;

fn h(min_epochs: usize, eta: usize, objective: Objective) -> Halving {
    Halving { min_epochs, eta, objective }
}

fn st(id: &str, accuracy: f64, energy_j: f64) -> Standing {
    Standing {
        config_id: id.into(),
        epochs: 1,
        full_epochs: 9,
        trials: 1,
        accuracy,
        energy_j: Some(energy_j),
        able: true,
    }
}

fn by_decision<'d>(ds: &'d [Decision], what: &str) -> Vec<&'d str> {
    ds.iter().filter(|d| d.decision == what).map(|d| d.config_id.as_str()).collect()
}

#[test]
fn rungs_multiply_by_eta_up_to_the_epochs() {
    let a = h(1, 3, Objective::Accuracy);
    let at = |e| (0..5).map(|r| rung_epochs(&a, r, e)).collect::<Vec<_>>();
    assert_eq!(at(9), vec![1, 3, 9, 9, 9]);
    assert_eq!(at(10), vec![1, 3, 9, 10, 10]);
    assert_eq!(at(5), vec![1, 3, 5, 5, 5]);
    assert_eq!(rung_epochs(&h(2, 2, Objective::Accuracy), 2, 100), 8);
    assert_eq!(
        rung_epochs(&h(4, 2, Objective::Accuracy), 0, 4),
        4,
        "min_epochs = epochs: one rung"
    );
    assert_eq!(rung_epochs(&h(1, usize::MAX, Objective::Accuracy), 3, 7), 7, "no overflow");
}

#[test]
fn the_best_third_goes_on_and_ties_keep_the_plan_order() {
    let s = [
        st("a", 0.5, 1.0),
        st("b", 0.9, 1.0),
        st("c", 0.7, 1.0),
        st("d", 0.9, 1.0),
        st("e", 0.1, 1.0),
        st("f", 0.2, 1.0),
    ];
    let d = decide(1, &s, &h(1, 3, Objective::Accuracy));
    assert_eq!(by_decision(&d, "continue"), vec!["b", "d"], "6/3 = 2 go on; b before d on a tie");
    assert_eq!(by_decision(&d, "pruned"), vec!["a", "c", "e", "f"]);
    assert_eq!(d[1].rank, Some(1));
    assert_eq!(d[3].rank, Some(2));
    assert_eq!(d[4].rank, Some(6));
    // Fewer than eta configurations: still one goes on.
    let d = decide(2, &s[..2], &h(1, 3, Objective::Accuracy));
    assert_eq!(by_decision(&d, "continue"), vec!["b"]);
}

#[test]
fn joules_per_point_prefers_the_cheap_and_pareto_keeps_the_front() {
    // a: accurate and costly; b: cheap and nearly as good; c: dominated by b; d: cheapest, poor.
    let s = [st("a", 0.95, 100.0), st("b", 0.90, 20.0), st("c", 0.85, 30.0), st("d", 0.30, 5.0)];
    let d = decide(1, &s, &h(1, 2, Objective::JoulesPerAccuracyPoint));
    assert_eq!(by_decision(&d, "continue"), vec!["b", "d"], "{d:#?}");
    let jpap = d[1].joules_per_accuracy_point.unwrap();
    assert!((jpap - 20.0 / 90.0).abs() < 1e-12);
    let d = decide(1, &s, &h(1, 2, Objective::Pareto));
    // Front: a, b, d (none dominated); c is behind b. Within the front, by accuracy: a, b.
    assert_eq!(by_decision(&d, "continue"), vec!["a", "b"], "{d:#?}");
    assert_eq!(d[2].rank, Some(4), "the dominated configuration ranks last");
    let d = decide(1, &s, &h(1, 2, Objective::Accuracy));
    assert_eq!(by_decision(&d, "continue"), vec!["a", "b"]);
}

#[test]
fn a_failed_configuration_is_out_and_a_finished_one_is_done() {
    let mut s = vec![st("a", 0.99, 1.0), st("b", 0.5, 1.0), st("c", 0.4, 1.0)];
    s[0].able = false;
    s[2].epochs = 9; // reached its own epochs at this rung
    let d = decide(1, &s, &h(1, 3, Objective::Accuracy));
    assert_eq!(d[0].decision, "out");
    assert_eq!(d[0].rank, None);
    assert_eq!(d[0].accuracy, None, "an out configuration's numbers are not judged");
    assert_eq!(d[1].decision, "continue");
    assert_eq!(d[2].decision, "done");
}

#[test]
fn decisions_round_trip_through_halving_csv() {
    let dir = tempfile::tempdir().unwrap();
    assert!(read_decisions(dir.path()).unwrap().is_empty());
    let d = decide(1, &[st("a", 0.5, 1.5), st("b", 0.6, 2.0)], &h(1, 2, Objective::Accuracy));
    write_decisions(dir.path(), &d).unwrap();
    assert_eq!(read_decisions(dir.path()).unwrap(), d);
    let text = std::fs::read_to_string(decisions_path(dir.path())).unwrap();
    assert!(text.starts_with("rung,epochs,config_id,trials,accuracy,energy_j,joules_per_accuracy_point,rank,decision,objective\n"), "{text}");
}

#[test]
fn finished_configurations_do_not_take_the_places_of_racing_ones() {
    // An `epochs` axis: a 3-epoch configuration is done at rung 2 (3 epochs) while the 9-epoch
    // ones race on; the done one ranks first but must not use up the one place that goes on.
    let mut s =
        vec![st("short", 0.99, 1.0), st("a", 0.8, 1.0), st("b", 0.7, 1.0), st("c", 0.6, 1.0)];
    for x in &mut s {
        x.epochs = 3;
    }
    s[0].full_epochs = 3;
    let d = decide(2, &s, &h(1, 3, Objective::Accuracy));
    assert_eq!(by_decision(&d, "done"), vec!["short"]);
    assert_eq!(by_decision(&d, "continue"), vec!["a"], "3 racing / 3 = 1 goes on");
    assert_eq!(by_decision(&d, "pruned"), vec!["b", "c"]);
}
