//! Rung arithmetic and decisions.

use super::*;

fn h(min_epochs: usize, eta: usize, objective: Objective) -> Halving {
    Halving { min_epochs, eta, objective, keep_within_noise: false, max_keep: None }
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
        accuracies: vec![accuracy],
        energies: vec![Some(energy_j)],
        test_images: 10_000,
        shape: "mlp".into(),
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
    assert!(text.starts_with("rung,epochs,config_id,trials,accuracy,energy_j,joules_per_accuracy_point,rank,decision,objective,margin,noise,within_noise,energy_pooled\n1,1,a,1,0.5,1.5,0.03,2,pruned,accuracy,"), "{text}");
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

fn noisy(objective: Objective) -> Halving {
    Halving { keep_within_noise: true, ..h(1, 3, objective) }
}

/// A configuration of `k` trials whose energies spread by ±`spread` (relative) around `energy`.
fn repeated(id: &str, accuracy: f64, energy: f64, k: usize, spread: f64, shape: &str) -> Standing {
    let energies: Vec<Option<f64>> =
        (0..k).map(|i| Some(energy * (1.0 + if i % 2 == 0 { spread } else { -spread }))).collect();
    Standing {
        trials: k,
        accuracies: vec![accuracy; k],
        energies,
        shape: shape.into(),
        ..st(id, accuracy, energy)
    }
}

#[test]
fn configurations_within_noise_both_go_on_and_a_clearly_worse_one_is_pruned() {
    // Six configurations of different shapes (no pooling), one trial each: the best two by
    // joules per point go on by the 1/eta rule; `c` is 3 % behind `b`, within the 2 % energy
    // noise floor of both (95 %: about ±5.5 % on the difference); `d`… are 30 % behind.
    let s = [
        repeated("a", 0.95, 9.0, 1, 0.0, "a"),
        repeated("b", 0.95, 10.0, 1, 0.0, "b"),
        repeated("c", 0.95, 10.3, 1, 0.0, "c"),
        repeated("d", 0.95, 13.0, 1, 0.0, "d"),
        repeated("e", 0.95, 14.0, 1, 0.0, "e"),
        repeated("f", 0.95, 15.0, 1, 0.0, "f"),
    ];
    let d = decide(1, &s, &noisy(Objective::JoulesPerAccuracyPoint));
    assert_eq!(by_decision(&d, "continue"), vec!["a", "b", "c"]);
    assert_eq!(by_decision(&d, "pruned"), vec!["d", "e", "f"]);
    assert_eq!(d[2].within_noise, Some(true));
    assert_eq!(d[1].within_noise, Some(true), "the cutoff's place rested on noise");
    assert_eq!(d[3].within_noise, Some(false));
    let (margin, noise) = (d[2].margin.unwrap(), d[2].noise.unwrap());
    assert!((margin - 0.03).abs() < 1e-9 && noise > margin && noise < 0.07, "{margin} {noise}");
    // The strict rule prunes `c` on the same numbers, and marks it.
    let d = decide(1, &s, &h(1, 3, Objective::JoulesPerAccuracyPoint));
    assert_eq!(by_decision(&d, "continue"), vec!["a", "b"]);
    assert_eq!(d[2].within_noise, Some(true), "pruned on a difference below the noise");
    // `max_keep` caps how far the rung widens.
    let capped = Halving { max_keep: Some(2), ..noisy(Objective::JoulesPerAccuracyPoint) };
    assert_eq!(by_decision(&decide(1, &s, &capped), "continue"), vec!["a", "b"]);
}

#[test]
fn repeats_narrow_the_interval_and_let_a_smaller_difference_decide() {
    let single = [
        repeated("a", 0.95, 10.0, 1, 0.0, "a"),
        repeated("b", 0.95, 10.4, 1, 0.0, "b"),
        repeated("c", 0.95, 13.0, 1, 0.0, "c"),
    ];
    // 3 configurations / eta 3: `a` goes on by the rule; `b` is compared with it.
    let d = decide(1, &single, &noisy(Objective::JoulesPerAccuracyPoint));
    assert_eq!(d[1].decision, "continue", "4 % is within one trial's noise");
    // Nine repeats each, spread ±0.5 %: the noise of a mean is a third of the floor.
    let nine = [
        repeated("a", 0.95, 10.0, 9, 0.005, "a"),
        repeated("b", 0.95, 10.4, 9, 0.005, "b"),
        repeated("c", 0.95, 13.0, 9, 0.005, "c"),
    ];
    let d = decide(1, &nine, &noisy(Objective::JoulesPerAccuracyPoint));
    assert_eq!(by_decision(&d, "continue"), vec!["a"]);
    assert!(d[1].noise.unwrap() < 0.03, "{:?}", d[1].noise);
}

#[test]
fn energies_of_the_same_arithmetic_are_pooled_and_accuracy_decides() {
    // Same shape: `b` spent 5 % less by chance and would win on joules per point; pooled, the
    // more accurate `a` wins and `b` (1 point behind, far beyond the accuracy noise) is pruned.
    let s = [
        repeated("a", 0.97, 10.5, 1, 0.0, "mlp"),
        repeated("b", 0.96, 10.0, 1, 0.0, "mlp"),
        repeated("c", 0.50, 10.2, 1, 0.0, "mlp"),
    ];
    let d = decide(1, &s, &noisy(Objective::JoulesPerAccuracyPoint));
    assert_eq!(by_decision(&d, "continue"), vec!["a"]);
    assert_eq!(d[0].rank, Some(1));
    assert!(d.iter().all(|x| x.energy_pooled == Some(true)));
    assert_eq!(d[1].within_noise, Some(false));
    // Strictly, `b`'s luck decides.
    let d = decide(1, &s, &h(1, 3, Objective::JoulesPerAccuracyPoint));
    assert_eq!(by_decision(&d, "continue"), vec!["b"]);
    // An energy far outside the shape's spread is not pooled: it really differs.
    let s = [
        repeated("a", 0.97, 10.0, 1, 0.0, "mlp"),
        repeated("b", 0.96, 10.1, 1, 0.0, "mlp"),
        repeated("c", 0.96, 9.9, 1, 0.0, "mlp"),
        repeated("d", 0.97, 20.0, 1, 0.0, "mlp"),
    ];
    let d = decide(1, &s, &noisy(Objective::JoulesPerAccuracyPoint));
    assert_eq!(d[3].energy_pooled, Some(false));
    assert_eq!(d[0].energy_pooled, Some(true));
}

#[test]
fn pareto_keeps_what_no_kept_configuration_beats_beyond_the_noise() {
    // `b` is 1 % less accurate and 1 % cheaper than `a`: neither beats the other beyond noise.
    let s = [
        repeated("a", 0.950, 10.0, 1, 0.0, "a"),
        repeated("b", 0.949, 9.9, 1, 0.0, "b"),
        repeated("c", 0.800, 20.0, 1, 0.0, "c"),
    ];
    let d = decide(1, &s, &noisy(Objective::Pareto));
    assert_eq!(by_decision(&d, "continue"), vec!["a", "b"]);
    assert_eq!(by_decision(&d, "pruned"), vec!["c"]);
}
