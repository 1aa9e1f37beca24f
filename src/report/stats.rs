//! The statistics behind "how sure is this": per-configuration summaries with Student-t 95 %
//! intervals, Welch's unequal-variance t-test, Iglewicz and Hoaglin's modified z-score for
//! outliers, and a seeded bootstrap interval for Spearman's ρ. Pure functions over numbers.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::report::audit::spearman;

/// Seed of the bootstrap: the same CSVs give the same report.
pub(crate) const BOOTSTRAP_SEED: u64 = 0x5eed_2026;
/// Bootstrap resamples (a 95 % percentile interval is stable to about ±0.01 at this size).
pub(crate) const BOOTSTRAP_RESAMPLES: usize = 2000;
/// Iglewicz and Hoaglin's threshold for the modified z-score ("How to Detect and Handle
/// Outliers", 1993). hyperfine uses another rule: (x − median) / MAD above 14.826, i.e. ten
/// MADs scaled to standard deviations.
pub(crate) const OUTLIER_Z: f64 = 3.5;
/// 1/Φ⁻¹(0.75): MAD × this estimates a normal sample's standard deviation.
const MAD_TO_SD: f64 = 1.0 / 0.6745;

/// n, mean, sample standard deviation, 95 % interval half-width, min and max of some values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Summary {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n − 1); `None` for n < 2.
    pub sd: Option<f64>,
    /// Half-width of the two-sided 95 % Student-t interval of the mean; `None` for n < 2.
    pub ci95: Option<f64>,
    pub min: f64,
    pub max: f64,
}

/// `None` without a finite value; non-finite values are left out.
pub(crate) fn summarize(values: &[f64]) -> Option<Summary> {
    let xs: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let n = xs.len();
    if n == 0 {
        return None;
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let sd = (n >= 2)
        .then(|| (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt());
    let ci95 = sd.and_then(|sd| Some(t_975(n as f64 - 1.0)? * sd / (n as f64).sqrt()));
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(Summary { n, mean, sd, ci95, min, max })
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom (12.706 for df = 1).
pub(crate) fn t_975(df: f64) -> Option<f64> {
    StudentsT::new(0.0, 1.0, df).ok().map(|t| t.inverse_cdf(0.975))
}

/// Two-sided p-value of Welch's t-test that two samples have the same mean; `None` when either
/// has fewer than two values or both have no spread.
pub(crate) fn welch_p(a: &[f64], b: &[f64]) -> Option<f64> {
    let (sa, sb) = (summarize(a)?, summarize(b)?);
    let (va, vb) = (sa.sd?.powi(2) / sa.n as f64, sb.sd?.powi(2) / sb.n as f64);
    let se2 = va + vb;
    if se2 <= 0.0 {
        return None;
    }
    let t = (sa.mean - sb.mean) / se2.sqrt();
    // Welch–Satterthwaite degrees of freedom.
    let df = se2.powi(2) / (va.powi(2) / (sa.n - 1) as f64 + vb.powi(2) / (sb.n - 1) as f64);
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    // The survival function, not 1 − cdf: that difference rounds to 0 below about 1e-16, and
    // a p-value of 1e-40 is worth telling from one of 1e-17.
    Some((2.0 * dist.sf(t.abs())).clamp(0.0, 1.0))
}

/// A ratio of two means with its 95 % interval and the Welch p-value of "equal means".
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RatioCi {
    /// mean(b) / mean(a).
    pub ratio: f64,
    /// Fieller's interval; `None` when it is unbounded (a's mean is not distinguishable from 0).
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Welch's two-sided p-value for mean(a) = mean(b), i.e. ratio = 1.
    pub p: f64,
}

/// The ratio mean(b) / mean(a) of two independent samples with a 95 % interval by Fieller's
/// theorem with Welch's unequal variances: the ρ with (b̄ − ρ ā)² ≤ t² (v_b + ρ² v_a), where
/// v = s² / n and t is the 97.5 % quantile of Student's t at the Welch–Satterthwaite degrees
/// of freedom of the test ρ = 1 (so 1 lies outside the interval exactly when p < 0.05, and
/// the interval and the p-value never disagree). `None` when either sample has fewer than two
/// values, both have no spread, or a's mean is 0.
pub(crate) fn ratio_ci(a: &[f64], b: &[f64]) -> Option<RatioCi> {
    let (sa, sb) = (summarize(a)?, summarize(b)?);
    let (va, vb) = (sa.sd?.powi(2) / sa.n as f64, sb.sd?.powi(2) / sb.n as f64);
    if va + vb <= 0.0 || sa.mean == 0.0 {
        return None;
    }
    let p = welch_p(a, b)?;
    let df = (va + vb).powi(2) / (va.powi(2) / (sa.n - 1) as f64 + vb.powi(2) / (sb.n - 1) as f64);
    let t2 = t_975(df)?.powi(2);
    let (ma, mb) = (sa.mean, sb.mean);
    // (ā² − t² v_a) ρ² − 2 ā b̄ ρ + (b̄² − t² v_b) ≤ 0
    let qa = ma * ma - t2 * va;
    let qb = -2.0 * ma * mb;
    let qc = mb * mb - t2 * vb;
    let disc = qb * qb - 4.0 * qa * qc;
    let (low, high) = if qa > 0.0 && disc >= 0.0 {
        let r = disc.sqrt();
        (Some((-qb - r) / (2.0 * qa)), Some((-qb + r) / (2.0 * qa)))
    } else {
        (None, None)
    };
    Some(RatioCi { ratio: mb / ma, low, high, p })
}

/// mean(b) − mean(a) with Welch's 95 % interval and p-value: (difference, low, high, p); `None`
/// as for [`welch_p`].
pub(crate) fn diff_ci(a: &[f64], b: &[f64]) -> Option<(f64, f64, f64, f64)> {
    let (sa, sb) = (summarize(a)?, summarize(b)?);
    let (va, vb) = (sa.sd?.powi(2) / sa.n as f64, sb.sd?.powi(2) / sb.n as f64);
    let p = welch_p(a, b)?;
    let df = (va + vb).powi(2) / (va.powi(2) / (sa.n - 1) as f64 + vb.powi(2) / (sb.n - 1) as f64);
    let half = t_975(df)? * (va + vb).sqrt();
    let d = sb.mean - sa.mean;
    Some((d, d - half, d + half, p))
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len().is_multiple_of(2) { (v[m - 1] + v[m]) / 2.0 } else { v[m] }
}

/// Modified z-scores (Iglewicz and Hoaglin): (x − median) / (1.4826 · MAD), that is
/// 0.6745 (x − median) / MAD. When more than half the values are equal, MAD is 0: as in hyperfine
/// (whose division by that zero MAD gives an infinite score), a value equal to the median then
/// scores 0 and any other value ±∞, so it is an outlier: when most trials agree exactly, one that
/// does not is unlike them all (15, 15, 15, 40 J: the 40 is named). `None` for fewer than three
/// values, a non-finite value, or all values equal (nothing deviates).
pub(crate) fn modified_z_scores(xs: &[f64]) -> Option<Vec<f64>> {
    if xs.len() < 3 || xs.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let med = median(xs);
    let deviations: Vec<f64> = xs.iter().map(|x| (x - med).abs()).collect();
    let mad = median(&deviations);
    if deviations.iter().all(|&d| d == 0.0) {
        return None;
    }
    Some(
        xs.iter()
            .map(|x| match (mad > 0.0, x - med) {
                (true, d) => d / (MAD_TO_SD * mad),
                (false, 0.0) => 0.0,
                (false, d) => d.signum() * f64::INFINITY,
            })
            .collect(),
    )
}

/// The 2.5 % and 97.5 % percentiles of Spearman's ρ over `BOOTSTRAP_RESAMPLES` resamples of the
/// pairs (with replacement, seeded); resamples where ρ is undefined are skipped. `None` with
/// fewer than three pairs.
pub(crate) fn bootstrap_spearman(xs: &[f64], ys: &[f64]) -> Option<(f64, f64)> {
    let n = xs.len();
    if n < 3 || ys.len() != n {
        return None;
    }
    let mut rng = StdRng::seed_from_u64(BOOTSTRAP_SEED);
    let mut rhos = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    let (mut bx, mut by) = (vec![0.0; n], vec![0.0; n]);
    for _ in 0..BOOTSTRAP_RESAMPLES {
        for k in 0..n {
            let i = rng.random_range(0..n);
            bx[k] = xs[i];
            by[k] = ys[i];
        }
        if let Some(r) = spearman(&bx, &by) {
            rhos.push(r);
        }
    }
    if rhos.len() < BOOTSTRAP_RESAMPLES / 2 {
        return None;
    }
    rhos.sort_by(f64::total_cmp);
    let at = |q: f64| rhos[((q * (rhos.len() - 1) as f64).round() as usize).min(rhos.len() - 1)];
    Some((at(0.025), at(0.975)))
}

#[cfg(test)]
#[path = "tests/stats.rs"]
mod tests;
