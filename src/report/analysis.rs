//! The report's arithmetic apart from the time-proxy audit: which trials count (`ok`), their
//! ranking by joules per accuracy point, the accuracy/energy Pareto front, and the energy and
//! time each trial needed to first reach a target accuracy. Pure functions over rows, so the
//! tests can feed hand-made rows.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::report::fmt::finite;
use crate::results::{EpochRow, ResultRow};

/// Test accuracies (0–1) for "energy to target accuracy".
pub(crate) const TARGETS: [f64; 3] = [0.97, 0.98, 0.99];

/// Accuracies are ratios of counts (9700/10000); this absorbs the last-bit error of such a
/// division so that exactly 97 % counts as reaching 97 %.
const ACCURACY_EPS: f64 = 1e-9;

/// Only `ok` trials are ranked: a diverged or failed trial's numbers describe a broken run.
pub(crate) fn is_ok(r: &ResultRow) -> bool {
    r.status == "ok"
}

/// Trials whose energy may be ranked: `ok`, not marked `energy_complete = false` (a summed
/// counter failed to read during training, so the energy may be an undercount), and not
/// `quality = flagged: …` (sampling gaps, stalls, drift, a busy baseline, background load, heat).
pub(crate) fn energy_trusted(r: &ResultRow) -> bool {
    is_ok(r) && r.energy_complete != Some(false) && !flagged(r)
}

/// The row's `quality` says `flagged: …`.
pub(crate) fn flagged(r: &ResultRow) -> bool {
    r.quality.as_deref().is_some_and(|q| q.starts_with("flagged"))
}

/// `ok` trials whose energy is not trusted, with the reason in words.
pub(crate) fn incomplete(results: &[ResultRow]) -> Vec<&ResultRow> {
    results.iter().filter(|r| is_ok(r) && !energy_trusted(r)).collect()
}

/// Joules per accuracy percentage point: the CSV value, or energy / (accuracy × 100) when the
/// CSV left it empty but has both parts.
pub(crate) fn joules_per_point(r: &ResultRow) -> Option<f64> {
    finite(r.joules_per_accuracy_point).or_else(|| {
        let (e, a) = (finite(r.energy_j)?, finite(r.test_accuracy)?);
        (a > 0.0).then(|| e / (a * 100.0))
    })
}

/// Mean training power, watts: the CSV value, or energy / training time.
pub(crate) fn mean_power(r: &ResultRow) -> Option<f64> {
    finite(r.mean_power_w).or_else(|| {
        let e = finite(r.energy_j)?;
        (r.train_time_s.is_finite() && r.train_time_s > 0.0).then(|| e / r.train_time_s)
    })
}

/// `ok` trials, best (fewest joules per accuracy point) first; trials without that figure come
/// last, by accuracy, so they are listed but never ranked above a measured one.
pub(crate) fn ranking(results: &[ResultRow]) -> Vec<&ResultRow> {
    let mut ok: Vec<&ResultRow> = results.iter().filter(|r| energy_trusted(r)).collect();
    ok.sort_by(|a, b| match (joules_per_point(a), joules_per_point(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => finite(b.test_accuracy)
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&finite(a.test_accuracy).unwrap_or(f64::NEG_INFINITY)),
    });
    ok
}

/// For points `(accuracy, energy)`, whether each is on the Pareto front: no other point has at
/// least its accuracy and at most its energy while being strictly better in one of them.
/// Identical points do not beat each other, so ties are on the front together. Points with a
/// non-finite coordinate are never on the front and never beat anything.
pub(crate) fn pareto_front(points: &[(f64, f64)]) -> Vec<bool> {
    let valid = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    points
        .iter()
        .map(|p| {
            valid(p)
                && !points
                    .iter()
                    .any(|q| valid(q) && q.0 >= p.0 && q.1 <= p.1 && (q.0 > p.0 || q.1 < p.1))
        })
        .collect()
}

/// The `ok` trials on the accuracy/energy Pareto front, cheapest first.
pub(crate) fn pareto_trials(results: &[ResultRow]) -> Vec<&ResultRow> {
    let candidates: Vec<&ResultRow> = results
        .iter()
        .filter(|r| {
            energy_trusted(r) && finite(r.test_accuracy).is_some() && finite(r.energy_j).is_some()
        })
        .collect();
    let points: Vec<(f64, f64)> = candidates
        .iter()
        .map(|r| (r.test_accuracy.unwrap_or(f64::NAN), r.energy_j.unwrap_or(f64::NAN)))
        .collect();
    let on_front = pareto_front(&points);
    let mut front: Vec<&ResultRow> =
        candidates.into_iter().zip(on_front).filter_map(|(r, on)| on.then_some(r)).collect();
    front.sort_by(|a, b| a.energy_j.unwrap_or(f64::NAN).total_cmp(&b.energy_j.unwrap_or(f64::NAN)));
    front
}

/// The epoch rows of the attempt that produced `result` (an interrupted and resumed trial has
/// rows from earlier attempts too), by epoch; a repeated epoch keeps its last row.
pub(crate) fn attempt_epochs<'a>(result: &ResultRow, epochs: &'a [EpochRow]) -> Vec<&'a EpochRow> {
    let mut by_epoch: BTreeMap<usize, &EpochRow> = BTreeMap::new();
    for e in epochs {
        if e.trial_id == result.trial_id && e.attempt_id == result.attempt_id {
            by_epoch.insert(e.epoch, e);
        }
    }
    by_epoch.into_values().collect()
}

/// Where a trial first reached a target accuracy.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TargetHit {
    pub epoch: usize,
    /// Training joules up to the end of that epoch; `None` when energy was not recorded.
    pub energy_j: Option<f64>,
    /// Training seconds up to the end of that epoch.
    pub time_s: f64,
}

/// The first epoch (of rows sorted by epoch) whose test accuracy reaches `target`.
pub(crate) fn energy_to_target(epochs: &[&EpochRow], target: f64) -> Option<TargetHit> {
    epochs
        .iter()
        .find(|e| e.test_accuracy.is_finite() && e.test_accuracy + ACCURACY_EPS >= target)
        .map(|e| TargetHit {
            epoch: e.epoch,
            energy_j: finite(e.cumulative_energy_j),
            time_s: e.cumulative_time_s,
        })
}

/// SNN trials: by model name, or by having a firing rate at all (a renamed spiking model).
pub(crate) fn is_snn(r: &ResultRow) -> bool {
    r.model.eq_ignore_ascii_case("snn")
        || r.model.eq_ignore_ascii_case("csnn")
        || finite(r.firing_rate).is_some()
}

/// Trials that are not `ok`, in sweep order.
pub(crate) fn not_ok(results: &[ResultRow]) -> Vec<&ResultRow> {
    results.iter().filter(|r| !is_ok(r)).collect()
}

/// Distinct values in first-seen order (models, optimizers, domains) so colours and markers
/// stay the same from one plot to the next.
pub(crate) fn distinct<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for v in values {
        if !seen.iter().any(|s| s == v) {
            seen.push(v.to_string());
        }
    }
    seen
}

#[cfg(test)]
#[path = "tests/analysis.rs"]
mod tests;

#[cfg(test)]
#[path = "tests/fixtures.rs"]
pub(crate) mod fixtures;
