//! Statistics against values computed independently (R / scipy) and against their definitions.

use super::*;

#[test]
fn summary_has_the_sample_sd_and_the_student_t_interval() {
    let s = summarize(&[10.0, 12.0, 14.0]).unwrap();
    assert_eq!((s.n, s.mean, s.min, s.max), (3, 12.0, 10.0, 14.0));
    assert!((s.sd.unwrap() - 2.0).abs() < 1e-12);
    // t(0.975, 2) = 4.302653; half-width 4.302653 · 2 / √3 = 4.968275 (R: qt(0.975, 2)).
    assert!((s.ci95.unwrap() - 4.968275).abs() < 1e-5, "{s:?}");
    let one = summarize(&[5.0, f64::NAN]).unwrap();
    assert_eq!((one.n, one.sd, one.ci95), (1, None, None), "n = 1: no spread, no interval");
    assert!(summarize(&[]).is_none());
    assert!((t_975(1.0).unwrap() - 12.7062).abs() < 1e-3);
    let big = t_975(1000.0).unwrap();
    assert!((big - 1.962339).abs() < 1e-4, "{big}"); // scipy: t.ppf(0.975, 1000)
}

#[test]
fn welch_matches_scipy() {
    // scipy.stats.ttest_ind([1,2,3,4,5], [2,4,6,8,10], equal_var=False): t = -1.8974, df = 5.88, p = 0.10753
    let p = welch_p(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 4.0, 6.0, 8.0, 10.0]).unwrap();
    assert!((p - 0.107531).abs() < 1e-5, "{p}");
    let clear = welch_p(&[10.0, 10.1, 9.9], &[20.0, 20.2, 19.8]).unwrap();
    assert!(clear < 1e-4, "{clear}");
    assert!(welch_p(&[1.0], &[2.0, 3.0]).is_none(), "one value has no variance");
    assert!(welch_p(&[1.0, 1.0], &[1.0, 1.0]).is_none());
}

#[test]
fn tiny_p_values_keep_their_precision() {
    // scipy.stats.ttest_ind(a, b, equal_var=False).pvalue for a = 10 + 0.01 i, b = 20 + 0.01 i,
    // i = 0..9: 8.605536624802455e-42 (2 (1 − cdf) rounds it to 0).
    let a: Vec<f64> = (0..10).map(|i| 10.0 + 0.01 * f64::from(i)).collect();
    let b: Vec<f64> = (0..10).map(|i| 20.0 + 0.01 * f64::from(i)).collect();
    let p = welch_p(&a, &b).unwrap();
    assert!((p / 8.605536624802455e-42 - 1.0).abs() < 1e-6, "{p:e}");
    // 1..10 against 41..50: scipy 1.0519887321783006e-16, where 1 − cdf has no digits left.
    let a: Vec<f64> = (1..=10).map(f64::from).collect();
    let b: Vec<f64> = a.iter().map(|x| x + 40.0).collect();
    let p = welch_p(&a, &b).unwrap();
    assert!((p / 1.0519887321783006e-16 - 1.0).abs() < 1e-6, "{p:e}");
}

#[test]
fn modified_z_flags_the_odd_one_out() {
    let z = modified_z_scores(&[10.0, 10.2, 9.9, 10.1, 30.0]).unwrap();
    assert!(z[4] > OUTLIER_Z && z[..4].iter().all(|v| v.abs() < OUTLIER_Z), "{z:?}");
    assert!(modified_z_scores(&[1.0, 2.0]).is_none(), "too few");
    assert!(modified_z_scores(&[3.0, 3.0, 3.0]).is_none(), "nothing deviates");
}

#[test]
fn with_mad_zero_any_value_off_the_median_is_an_outlier() {
    // Three of four equal: MAD = 0 (before, nothing was scored, so nothing was flagged).
    let z = modified_z_scores(&[15.0, 15.0, 15.0, 40.0]).unwrap();
    assert_eq!(&z[..3], &[0.0, 0.0, 0.0]);
    assert!(z[3] == f64::INFINITY && z[3] > OUTLIER_Z, "{z:?}");
    let z = modified_z_scores(&[15.0, 15.0, 15.0, 15.0, 15.0, 2.0]).unwrap();
    assert!(z[5] == f64::NEG_INFINITY, "{z:?}");
    // Half equal is not "most": MAD is then positive and the ordinary score applies.
    let z = modified_z_scores(&[15.0, 15.0, 16.0, 40.0]).unwrap();
    assert!(z.iter().all(|v| v.is_finite()), "{z:?}");
}

#[test]
fn bootstrap_interval_is_reproducible_and_brackets_rho() {
    let xs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    let ys = [1.1, 2.3, 2.9, 4.2, 4.8, 6.5, 6.9, 8.4];
    let (lo, hi) = bootstrap_spearman(&xs, &ys).unwrap();
    assert!(lo <= 1.0 && hi <= 1.0 && lo <= hi, "{lo} {hi}");
    assert_eq!((lo, hi), bootstrap_spearman(&xs, &ys).unwrap(), "fixed seed");
    let noisy = [3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0, 6.0];
    let (nlo, nhi) = bootstrap_spearman(&xs, &noisy).unwrap();
    let rho = spearman(&xs, &noisy).unwrap();
    assert!(nlo <= rho && rho <= nhi && nhi - nlo > 0.3, "{nlo} {rho} {nhi}");
    assert!(bootstrap_spearman(&xs[..2], &ys[..2]).is_none());
}

#[test]
fn the_ratio_interval_is_fiellers_and_agrees_with_the_welch_test() {
    let (a, b) = ([100.0, 104.0, 98.0, 101.0], [90.0, 93.0, 88.0, 91.0]);
    let ci = ratio_ci(&a, &b).unwrap();
    let (lo, hi) = (ci.low.unwrap(), ci.high.unwrap());
    // Both ends solve (b̄ − ρ ā)² = t² (v_b + ρ² v_a) at the Welch df of ρ = 1.
    let (sa, sb) = (summarize(&a).unwrap(), summarize(&b).unwrap());
    let (va, vb) = (sa.sd.unwrap().powi(2) / 4.0, sb.sd.unwrap().powi(2) / 4.0);
    let df = (va + vb).powi(2) / (va.powi(2) / 3.0 + vb.powi(2) / 3.0);
    let t2 = t_975(df).unwrap().powi(2);
    for rho in [lo, hi] {
        let lhs = (sb.mean - rho * sa.mean).powi(2);
        assert!((lhs - t2 * (vb + rho * rho * va)).abs() < 1e-6 * lhs, "{rho}");
    }
    assert!(lo < ci.ratio && ci.ratio < hi && hi < 1.0);
    assert_eq!(ci.p, welch_p(&a, &b).unwrap());
    // 1 is inside the interval exactly when p ≥ 0.05.
    let pairs: [(&[f64], &[f64]); 5] = [
        (&[100.0, 110.0, 95.0], &[101.0, 108.0, 99.0]),
        (&[10.0, 11.0, 12.0], &[11.5, 12.5, 13.5]),
        (&[10.0, 11.0, 12.0], &[12.3, 13.3, 14.3]), // scipy p = 0.0480: just outside
        (&[10.0, 11.0, 12.0], &[12.0, 13.0, 14.0]), // p = 0.0705: just inside
        (&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 4.0, 6.0, 8.0, 10.0]),
    ];
    for (x, y) in pairs {
        let c = ratio_ci(x, y).unwrap();
        let holds_one = c.low.is_none_or(|l| l <= 1.0) && c.high.is_none_or(|h| h >= 1.0);
        assert_eq!(holds_one, c.p >= 0.05, "{c:?}");
    }
    assert!(ratio_ci(&[1.0], &[2.0, 3.0]).is_none());
    assert!(ratio_ci(&[0.0, 0.0], &[1.0, 2.0]).is_none(), "A's mean 0: no ratio");
}

#[test]
fn the_difference_interval_matches_scipy() {
    // scipy: ttest_ind(b, a, equal_var=False).confidence_interval() for a = 1..5, b = 2a:
    // (-0.887742, 6.887742), p = 0.107531
    let a = [1.0, 2.0, 3.0, 4.0, 5.0];
    let b = [2.0, 4.0, 6.0, 8.0, 10.0];
    let (d, lo, hi, p) = diff_ci(&a, &b).unwrap();
    assert_eq!(d, 3.0);
    assert!(
        (lo + 0.887741643736975).abs() < 1e-6 && (hi - 6.887741643736975).abs() < 1e-6,
        "{lo} {hi}"
    );
    assert!((p - 0.10753119493062728).abs() < 1e-6);
}
