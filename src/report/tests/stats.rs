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
fn modified_z_flags_the_odd_one_out() {
    let z = modified_z_scores(&[10.0, 10.2, 9.9, 10.1, 30.0]).unwrap();
    assert!(z[4] > OUTLIER_Z && z[..4].iter().all(|v| v.abs() < OUTLIER_Z), "{z:?}");
    assert!(modified_z_scores(&[1.0, 2.0]).is_none(), "too few");
    assert!(modified_z_scores(&[3.0, 3.0, 3.0, 9.0]).is_none(), "MAD 0");
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
