//! How sure the report can be: configurations ranked by mean joules per accuracy point with 95 %
//! intervals, whether each is distinguishable from the best (Welch's t-test at 5 %), outliers by
//! modified z-score of energy, and the time-proxy audit on configuration means with a bootstrap
//! interval for ρ. Content only (sentences and cells); `sections` lays it out.

use crate::report::audit::spearman;
use crate::report::configs::{Config, configurations};
use crate::report::fmt::{MISSING, num, pct, setting_label};
use crate::report::stats::{
    BOOTSTRAP_RESAMPLES, OUTLIER_Z, Summary, bootstrap_spearman, modified_z_scores, welch_p,
};
use crate::results::ResultRow;

/// Significance level of the test against the best configuration.
pub(crate) const ALPHA: f64 = 0.05;

/// Sentences and one table (headers, rows of formatted cells).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Certainty {
    pub paragraphs: Vec<String>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn label(c: &Config) -> String {
    let r = c.first();
    format!("{} {}", setting_label(r), r.model_settings).trim_end().to_string()
}

/// `12.3 ± 0.4` (mean ± 95 % half-width), or the mean alone for n = 1.
fn mean_ci(s: Option<Summary>, fmt: impl Fn(Option<f64>) -> String) -> String {
    match s {
        None => MISSING.to_string(),
        Some(s) => match s.ci95 {
            Some(ci) => format!("{} ± {}", fmt(Some(s.mean)), fmt(Some(ci))),
            None => fmt(Some(s.mean)),
        },
    }
}

/// The configuration ranking and its caveats.
pub(crate) fn certainty(results: &[ResultRow]) -> Certainty {
    let mut configs: Vec<Config> = configurations(results)
        .into_iter()
        .filter(|c| !c.values("joules_per_accuracy_point").is_empty())
        .collect();
    configs.sort_by(|a, b| {
        let m =
            |c: &Config| c.summary("joules_per_accuracy_point").map_or(f64::INFINITY, |s| s.mean);
        m(a).total_cmp(&m(b))
    });
    let mut out = Certainty::default();
    if configs.is_empty() {
        out.paragraphs.push("No configuration has an ok trial with an energy per accuracy point, so there is nothing to rank.".into());
        return out;
    }
    let most = configs.iter().map(|c| c.ok.len()).max().unwrap_or(0);
    if most < 2 {
        out.paragraphs.push("Every configuration ran once (n = 1), so no uncertainty can be given: the ranking below may be measurement noise. Add `repeats = 3` (or more) to the grid to measure each configuration several times and get 95 % intervals and tests.".into());
    } else {
        out.paragraphs.push(format!(
            "Configurations (all settings but seed and repeat) ranked by mean joules per accuracy point over their ok trials, with the half-width of the 95 % Student-t interval of the mean (n − 1 degrees of freedom; none for n = 1). \"Distinguishable from the best\" uses Welch's unequal-variance t-test on the per-trial values at the {:.0} % level; it needs at least two trials on both sides. With seeds as well as repeats, the spread includes training variance.",
            ALPHA * 100.0
        ));
    }
    let best = configs[0].values("joules_per_accuracy_point");
    out.headers = [
        "#",
        "configuration",
        "settings",
        "n",
        "energy per accuracy point (J/pt)",
        "test accuracy (%)",
        "energy (J)",
        "training time (s)",
        "distinguishable from the best",
    ]
    .map(String::from)
    .to_vec();
    for (i, c) in configs.iter().enumerate() {
        let vs_best = if i == 0 {
            "best".to_string()
        } else {
            match welch_p(&c.values("joules_per_accuracy_point"), &best) {
                Some(p) if p < ALPHA => format!("yes (p = {p:.3})"),
                Some(p) => format!("no (p = {p:.3})"),
                None => "untested (n < 2)".to_string(),
            }
        };
        out.rows.push(vec![
            (i + 1).to_string(),
            c.id.clone(),
            label(c),
            c.ok.len().to_string(),
            mean_ci(c.summary("joules_per_accuracy_point"), num),
            mean_ci(c.summary("test_accuracy"), pct),
            mean_ci(c.summary("energy_j"), num),
            mean_ci(c.summary("train_time_s"), num),
            vs_best,
        ]);
    }
    out.paragraphs.extend(outliers(&configs));
    out
}

/// One warning per trial whose energy is an outlier within its configuration.
fn outliers(configs: &[Config]) -> Vec<String> {
    let mut out = Vec::new();
    for c in configs {
        let trials: Vec<&ResultRow> =
            c.ok.iter().copied().filter(|r| r.energy_j.is_some_and(f64::is_finite)).collect();
        let energies: Vec<f64> = trials.iter().filter_map(|r| r.energy_j).collect();
        let Some(z) = modified_z_scores(&energies) else { continue };
        for (r, z) in trials.iter().zip(z) {
            if z.abs() > OUTLIER_Z {
                out.push(format!(
                    "Outlier: trial {} of configuration {} ({}) used {} J, {} against its configuration's median (|z| > {OUTLIER_Z}, Iglewicz and Hoaglin's rule). Something else may have run at the time; rerun it or look at its power log.",
                    r.trial_id,
                    c.id,
                    label(c),
                    num(r.energy_j),
                    if z.is_finite() {
                        format!("a modified z-score of {z:.1}")
                    } else {
                        "off the median where most of its configuration's trials used exactly the same energy (MAD = 0: an infinite modified z-score, as hyperfine scores it)".to_string()
                    }
                ));
            }
        }
    }
    out
}

/// The time-proxy audit on configuration means, with a bootstrap interval for ρ; empty when
/// fewer than two configurations have both means.
pub(crate) fn config_audit_text(results: &[ResultRow]) -> Vec<String> {
    let configs = configurations(results);
    let means: Vec<(f64, f64)> = configs
        .iter()
        .filter_map(|c| Some((c.summary("train_time_s")?.mean, c.summary("energy_j")?.mean)))
        .collect();
    if means.len() < 2 || configs.iter().all(|c| c.ok.len() < 2) {
        return Vec::new();
    }
    let (t, e): (Vec<f64>, Vec<f64>) = means.into_iter().unzip();
    let Some(rho) = spearman(&t, &e) else { return Vec::new() };
    let ci = match bootstrap_spearman(&t, &e) {
        Some((lo, hi)) => format!(
            ", 95 % bootstrap interval [{lo:.3}, {hi:.3}] ({BOOTSTRAP_RESAMPLES} resamples of the configurations, fixed seed)"
        ),
        None => " (too few configurations for a bootstrap interval)".to_string(),
    };
    vec![format!(
        "On configuration means (repeats averaged, {} configurations): ρ = {rho:.3}{ci}. An interval that reaches far below 1 means the data cannot tell whether time ranks these configurations as energy does.",
        t.len()
    )]
}

#[cfg(test)]
#[path = "tests/certainty.rs"]
mod tests;
