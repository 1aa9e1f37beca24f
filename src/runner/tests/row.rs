//! The quality verdict and attributed energy from sums and a baseline.

use super::*;
use crate::energy::Receipts;

fn baseline() -> Baseline {
    Baseline {
        idle_power_w: Some(10.0),
        idle_drift: Some(0.02),
        idle_busy: false,
        sample_period_ms: 100.0,
    }
}

fn row() -> ResultRow {
    ResultRow {
        energy_source: "rapl".into(),
        energy_j: Some(100.0),
        train_time_s: 4.0,
        net_energy_j: Some(60.0),
        other_cpu_share: Some(0.25),
        ..Default::default()
    }
}

fn sums(gap_ms: f64, stalls: u64, temp_end_c: Option<f64>) -> Totals {
    Totals {
        receipts: Receipts {
            interval_ms_median: Some(100.0),
            gap_ms_max: Some(gap_ms),
            counter_stalls: stalls,
        },
        temp_end_c,
        ..Default::default()
    }
}

#[test]
fn a_clean_trial_is_ok_and_attributed_its_baseline_and_share() {
    let mut r = row();
    fill_receipts(&mut r, &sums(180.0, 0, Some(70.0)), &baseline());
    assert_eq!(r.quality.as_deref(), Some("ok"));
    // 10 W × 4 s + 60 J × (1 − 0.25)
    assert_eq!(r.attributed_energy_j, Some(85.0));
    assert_eq!(
        (r.sample_gap_ms_max, r.counter_stalls, r.idle_drift),
        (Some(180.0), Some(0), Some(0.02))
    );
    let mut est = ResultRow { energy_source: "estimate".into(), ..row() };
    fill_receipts(&mut est, &sums(180.0, 0, None), &baseline());
    assert_eq!(est.attributed_energy_j, Some(100.0), "the estimate already counts only us");
    let mut unknown = ResultRow { other_cpu_share: None, ..row() };
    fill_receipts(&mut unknown, &sums(180.0, 0, None), &baseline());
    assert_eq!(unknown.attributed_energy_j, None, "no share: no attribution, not a guess");
}

#[test]
fn every_reason_is_named_in_the_verdict() {
    let mut r = ResultRow {
        background_load: Some(true),
        energy_incomplete_reason: Some("2 failed counter reads in training".into()),
        ..row()
    };
    let b = Baseline { idle_drift: Some(-0.15), idle_busy: true, ..baseline() };
    fill_receipts(&mut r, &sums(1500.0, 2, Some(93.0)), &b);
    let q = r.quality.unwrap();
    for reason in [
        "sampler gap of 1500 ms",
        "2 counter stalls",
        "idle power drifted -15 %",
        "idle baseline taken while other processes kept the machine busy",
        "background load",
        "2 failed counter reads in training",
        "hot: 93 °C",
    ] {
        assert!(q.contains(reason), "{reason} missing from {q}");
    }
    assert!(q.starts_with("flagged: "), "{q}");
    // A gap under 5 periods and 1 s, drift within 10 %, 89 °C: nothing to say.
    let mut r = row();
    let b = Baseline { idle_drift: Some(0.09), ..baseline() };
    fill_receipts(&mut r, &sums(999.0, 0, Some(89.0)), &b);
    assert_eq!(r.quality.as_deref(), Some("ok"));
}
