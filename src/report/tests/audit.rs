//! Tests of the time-proxy audit on hand-made rows: average ranks for ties, Spearman's ρ,
//! discordant pairs, and the degenerate sweeps (one trial, all diverged, equal times, estimates).

use super::*;
use crate::report::analysis::fixtures::{failed, row};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn ties_get_average_ranks() {
    assert_eq!(average_ranks(&[10.0, 20.0, 20.0, 5.0]), vec![2.0, 3.5, 3.5, 1.0]);
    assert_eq!(average_ranks(&[7.0, 7.0, 7.0]), vec![2.0, 2.0, 2.0]);
}

#[test]
fn spearman_is_one_for_any_increasing_relation_and_minus_one_for_decreasing() {
    let x = [1.0, 2.0, 3.0, 4.0];
    assert!(close(spearman(&x, &[10.0, 100.0, 1000.0, 1e6]).unwrap(), 1.0));
    assert!(close(spearman(&x, &[4.0, 3.0, 2.0, 1.0]).unwrap(), -1.0));
}

#[test]
fn spearman_with_ties_matches_pearson_on_average_ranks() {
    // x ranks 1,2,3,4,5; y = [1,2,2,3,5] ranks 1,2.5,2.5,4,5; both mean 3. Deviations
    // (-2,-1,0,1,2) and (-2,-0.5,-0.5,1,2): sxy = 9.5, sxx = 10, syy = 9.5.
    let rho = spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1.0, 2.0, 2.0, 3.0, 5.0]).unwrap();
    assert!(close(rho, 9.5 / (10.0f64 * 9.5).sqrt()), "rho = {rho}");
}

#[test]
fn spearman_is_undefined_for_one_pair_or_a_constant_side() {
    assert_eq!(spearman(&[1.0], &[2.0]), None);
    assert_eq!(spearman(&[3.0, 3.0, 3.0], &[1.0, 2.0, 3.0]), None);
    assert_eq!(spearman(&[1.0, f64::NAN], &[1.0, 2.0]), None);
}

#[test]
fn audit_finds_pairs_that_time_orders_differently_from_energy() {
    let rows = vec![
        row("slow-cool", "mlp", Some(0.97), 100.0, Some(1000.0)), // 10 W
        row("fast-hot", "cnn", Some(0.98), 50.0, Some(2500.0)),   // 50 W
        row("mid", "rnn", Some(0.96), 70.0, Some(900.0)),         // 12.9 W
    ];
    let a = audit(&rows);
    assert_eq!(a.pairs, 3);
    // fast-hot is faster than both others yet uses more energy than both.
    assert_eq!(a.discordant.len(), 2);
    let worst = &a.discordant[0];
    // Worst first: against mid, 2500/900 J, the biggest energy ratio, for 70/50 s.
    assert_eq!(
        (worst.faster.trial_id.as_str(), worst.slower.trial_id.as_str()),
        ("fast-hot", "mid")
    );
    assert!(close(worst.energy_ratio, 2500.0 / 900.0) && close(worst.time_ratio, 1.4));
    assert_eq!(a.evidence, Evidence::Measured);
    let text = audit_text(&a).join(" ");
    assert!(text.contains("2 of 3 pairs"), "{text}");
    assert!(text.contains("genuinely tests"), "{text}");
    let cnn = a.model_power.iter().find(|m| m.model == "cnn").unwrap();
    assert!(close(cnn.mean_w, 50.0));
}

#[test]
fn one_trial_gives_no_correlation_and_says_why() {
    let rows = [row("only", "mlp", Some(0.9), 10.0, Some(100.0))];
    let a = audit(&rows);
    assert_eq!((a.rho, a.pairs, a.discordant.len()), (None, 0, 0));
    assert!(audit_text(&a).join(" ").contains("at least two"));
}

#[test]
fn all_diverged_leaves_nothing_to_audit() {
    let rows = [failed("a", "diverged", "nan"), failed("b", "diverged", "nan")];
    let a = audit(&rows);
    assert!(a.trials.is_empty());
    assert_eq!(a.evidence, Evidence::None);
    assert!(audit_text(&a).join(" ").contains("nothing to audit"));
}

#[test]
fn equal_times_make_the_correlation_undefined_not_zero() {
    let rows = vec![
        row("a", "mlp", Some(0.9), 10.0, Some(100.0)),
        row("b", "cnn", Some(0.9), 10.0, Some(300.0)),
        row("c", "rnn", Some(0.9), 10.0, Some(200.0)),
    ];
    let a = audit(&rows);
    assert_eq!(a.rho, None);
    assert!(a.discordant.is_empty(), "a tie in time is not a contradiction");
    assert!(audit_text(&a).join(" ").contains("undefined"));
}

#[test]
fn an_estimate_is_called_uninformative_before_anything_else() {
    let rows: Vec<ResultRow> = (1..=3)
        .map(|i| {
            let mut r = row(&format!("t{i}"), "mlp", Some(0.9), i as f64, Some(10.0 * i as f64));
            r.energy_source = "estimate".into();
            r
        })
        .collect();
    let a = audit(&rows);
    assert_eq!(a.evidence, Evidence::Estimated);
    let text = audit_text(&a);
    assert!(
        text[0].contains("proportional to training time by construction")
            && text[0].contains("uninformative"),
        "{text:?}"
    );
    assert!(
        !text.join(" ").contains("faithful stand-in"),
        "must not vouch for time on estimated energy"
    );
}

#[test]
fn estimate_plus_nvml_and_mixed_sources_get_their_own_caution() {
    let mut gpu = row("g", "cnn", Some(0.9), 10.0, Some(100.0));
    gpu.energy_source = "estimate+nvml".into();
    let measured = row("m", "mlp", Some(0.9), 20.0, Some(150.0));
    assert_eq!(audit(std::slice::from_ref(&gpu)).evidence, Evidence::PartlyEstimated);
    let rows = [gpu, measured];
    let a = audit(&rows);
    assert_eq!(a.evidence, Evidence::Mixed);
    assert!(audit_text(&a)[0].contains("mix measured and estimated"));
}
