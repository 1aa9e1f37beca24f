//! The time-proxy audit: does training time stand in for energy, as the tutorial assumes? It
//! compares the two across `ok` trials — Spearman rank correlation (ties get average ranks),
//! the pairs of trials that time orders differently from energy and by how much, and the mean
//! power per model (equal time at different power is exactly where time misleads) — and says in
//! words when the energy is an estimate that makes the comparison circular.

use crate::report::analysis::{distinct, energy_trusted, mean_power};
use crate::report::fmt::{finite, num, times};
use crate::results::ResultRow;

/// 1-based ranks; tied values share the mean of the ranks they span (the usual convention for
/// Spearman's ρ, which then equals Pearson's r of the ranks).
pub(crate) fn average_ranks(xs: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut ranks = vec![0.0; xs.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && xs[order[j + 1]] == xs[order[i]] {
            j += 1;
        }
        // Positions i..=j (0-based) hold equal values: ranks i+1..=j+1, mean (i+j)/2 + 1.
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's rank correlation; `None` with fewer than two pairs, unequal lengths, a non-finite
/// value, or when either side is constant (the correlation is then undefined, not 0).
pub(crate) fn spearman(xs: &[f64], ys: &[f64]) -> Option<f64> {
    if xs.len() != ys.len() || xs.len() < 2 || xs.iter().chain(ys).any(|v| !v.is_finite()) {
        return None;
    }
    let (rx, ry) = (average_ranks(xs), average_ranks(ys));
    let n = xs.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Two trials that time and energy order oppositely: `faster` trained in less time but used
/// more energy than `slower`.
#[derive(Clone, Debug)]
pub(crate) struct Discordance<'a> {
    pub faster: &'a ResultRow,
    pub slower: &'a ResultRow,
    /// slower time / faster time, > 1.
    pub time_ratio: f64,
    /// faster energy / slower energy, > 1: how wrong the time ranking is.
    pub energy_ratio: f64,
}

/// How far the energy figures can test the assumption at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Evidence {
    /// Every trial's energy comes from RAPL and/or NVML counters.
    Measured,
    /// Every trial's energy is the CPU-time estimate: proportional to time by construction.
    Estimated,
    /// The CPU part is estimated, the GPU part measured (`estimate+nvml`).
    PartlyEstimated,
    /// Some trials measured, some estimated.
    Mixed,
    /// No trial has an energy figure.
    None,
}

/// Mean training power of one model's `ok` trials.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ModelPower {
    pub model: String,
    pub trials: usize,
    pub mean_w: f64,
    pub min_w: f64,
    pub max_w: f64,
}

#[derive(Clone, Debug)]
pub(crate) struct Audit<'a> {
    /// `ok` trials with both a training time and an energy figure.
    pub trials: Vec<&'a ResultRow>,
    pub rho: Option<f64>,
    /// Pairs of those trials: n (n − 1) / 2.
    pub pairs: usize,
    /// Pairs ordered oppositely by time and energy, largest energy ratio first.
    pub discordant: Vec<Discordance<'a>>,
    pub model_power: Vec<ModelPower>,
    pub evidence: Evidence,
    /// The distinct `energy_source` values of those trials.
    pub sources: Vec<String>,
}

pub(crate) fn audit(results: &[ResultRow]) -> Audit<'_> {
    let trials: Vec<&ResultRow> = results
        .iter()
        .filter(|r| energy_trusted(r) && r.train_time_s.is_finite() && finite(r.energy_j).is_some())
        .collect();
    let times: Vec<f64> = trials.iter().map(|r| r.train_time_s).collect();
    let energies: Vec<f64> = trials.iter().map(|r| r.energy_j.unwrap_or(f64::NAN)).collect();

    let mut discordant = Vec::new();
    for i in 0..trials.len() {
        for j in 0..trials.len() {
            // Strict on both sides: a tie in either is not a contradiction.
            if times[i] < times[j] && energies[i] > energies[j] {
                discordant.push(Discordance {
                    faster: trials[i],
                    slower: trials[j],
                    time_ratio: times[j] / times[i],
                    energy_ratio: energies[i] / energies[j],
                });
            }
        }
    }
    discordant.sort_by(|a, b| b.energy_ratio.total_cmp(&a.energy_ratio));

    let sources = distinct(trials.iter().map(|r| r.energy_source.as_str()));
    Audit {
        rho: spearman(&times, &energies),
        pairs: trials.len() * trials.len().saturating_sub(1) / 2,
        discordant,
        model_power: model_power(&trials),
        evidence: evidence(&sources),
        sources,
        trials,
    }
}

fn model_power(trials: &[&ResultRow]) -> Vec<ModelPower> {
    distinct(trials.iter().map(|r| r.model.as_str()))
        .into_iter()
        .filter_map(|model| {
            let w: Vec<f64> =
                trials.iter().filter(|r| r.model == model).filter_map(|r| mean_power(r)).collect();
            (!w.is_empty()).then(|| ModelPower {
                trials: w.len(),
                mean_w: w.iter().sum::<f64>() / w.len() as f64,
                min_w: w.iter().copied().fold(f64::INFINITY, f64::min),
                max_w: w.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                model,
            })
        })
        .collect()
}

fn evidence(sources: &[String]) -> Evidence {
    let estimated = |s: &String| s.split('+').any(|p| p == "estimate");
    let gpu = |s: &String| s.split('+').any(|p| p == "nvml");
    match (sources.iter().filter(|s| estimated(s)).count(), sources.len()) {
        (_, 0) => Evidence::None,
        (0, _) => Evidence::Measured,
        (k, n) if k == n && sources.iter().any(gpu) => Evidence::PartlyEstimated,
        (k, n) if k == n => Evidence::Estimated,
        _ => Evidence::Mixed,
    }
}

/// The audit in sentences, for both the summary and the HTML page. When the energy is (partly)
/// an estimate, the caution comes first and the other sentences do not claim more than the
/// data can show.
pub(crate) fn audit_text(a: &Audit) -> Vec<String> {
    let mut out = Vec::new();
    let measured = a.evidence == Evidence::Measured;
    if let Some(caution) = caution(a) {
        out.push(caution);
    }
    let n = a.trials.len();
    out.push(match (n, a.rho) {
        (0, _) => "No ok trial has both a training time and an energy figure, so there is nothing to audit.".into(),
        (1, _) => "Only one ok trial has an energy figure; comparing time with energy needs at least two.".into(),
        (_, None) => format!("The rank correlation over {n} trials is undefined: all training times (or all energies) are equal, so time cannot order these trials at all — their energy differs only through power."),
        (_, Some(rho)) => format!("Spearman rank correlation between training time and energy: ρ = {rho:.3} over {n} ok trials (1 would mean time orders the trials exactly as energy does)."),
    });
    if n >= 2 && a.rho.is_some() {
        match a.discordant.first() {
            None if measured => out.push(format!("Time orders all {} pairs of trials the same way as energy: as a ranking, time was a faithful stand-in here.", a.pairs)),
            None => out.push(format!("Time orders all {} pairs of trials the same way as energy — as expected when energy is computed from time; this says nothing about real energy.", a.pairs)),
            Some(w) => out.push(format!(
                "Time orders {} of {} pairs of trials differently from energy ({:.0} %). The worst: {} ({}) trained {} faster than {} ({}) yet used {} its energy ({} J vs {} J).",
                a.discordant.len(), a.pairs, 100.0 * a.discordant.len() as f64 / a.pairs.max(1) as f64,
                w.faster.trial_id, w.faster.model, times(w.time_ratio), w.slower.trial_id, w.slower.model,
                times(w.energy_ratio), num(w.faster.energy_j), num(w.slower.energy_j),
            )),
        }
    }
    let lo = a.model_power.iter().min_by(|x, y| x.mean_w.total_cmp(&y.mean_w));
    let hi = a.model_power.iter().max_by(|x, y| x.mean_w.total_cmp(&y.mean_w));
    if let (Some(lo), Some(hi), true) = (lo, hi, a.model_power.len() >= 2) {
        let ratio = hi.mean_w / lo.mean_w;
        out.push(if ratio < 1.01 {
            format!("Mean power is the same for every model ({} W){}.", num(Some(hi.mean_w)),
                if measured { ", so here time and energy rank the models alike" } else { " — by construction of the estimate, not a property of the models" })
        } else {
            format!(
                "Mean power ranges from {} W ({}) to {} W ({}), a factor of {}: for the same training time, energy differs by that factor, which time alone cannot show.",
                num(Some(lo.mean_w)), lo.model, num(Some(hi.mean_w)), hi.model, times(ratio),
            )
        });
    }
    if measured {
        out.push(format!(
            "Energy was measured ({}), so this audit genuinely tests the assumption.",
            a.sources.join(", ")
        ));
    }
    out
}

/// The warning for energy that is not (all) measured; `None` when it is.
fn caution(a: &Audit) -> Option<String> {
    Some(match a.evidence {
        Evidence::Measured | Evidence::None => return None,
        Evidence::Estimated => "Caution: energy here is only an estimate derived from CPU time (energy_source = estimate). Such an estimate is nearly proportional to training time by construction, so a high correlation follows from how energy was computed, not from the hardware: on this data the audit is uninformative. Run on a machine with RAPL or NVML counters to test the assumption.".into(),
        Evidence::PartlyEstimated => "Caution: the CPU part of the energy is an estimate derived from CPU time, nearly proportional to training time by construction; only the GPU part (NVML) is measured. The audit is informative only as far as the GPU's share of the energy goes.".into(),
        Evidence::Mixed => format!("Caution: these trials mix measured and estimated energy (sources: {}). An estimate derived from CPU time is nearly proportional to time by construction, so pairs across sources compare different things; read the audit per source.", a.sources.join(", ")),
    })
}

#[cfg(test)]
#[path = "tests/audit.rs"]
mod tests;
