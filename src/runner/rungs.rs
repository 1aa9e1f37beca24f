//! Successive halving's arithmetic and its record: which epochs each rung trains to, how the
//! configurations at a rung are ranked, and `<out>/halving.csv`, one row per configuration per
//! rung, written (atomically, whole) once a rung is decided. A resumed sweep reads the
//! decisions back instead of deciding again, so it cannot decide differently.

use crate::config::{Halving, Objective};
use crate::results::{Decision, encode, read_tolerant, write_atomic};
use anyhow::Result;
use std::path::{Path, PathBuf};

/// Epochs a configuration of `epochs` trains to at 0-based rung `rung`:
/// `min_epochs · eta^rung`, at most `epochs`.
pub(super) fn rung_epochs(h: &Halving, rung: usize, epochs: usize) -> usize {
    let mut e = h.min_epochs;
    for _ in 0..rung {
        e = e.saturating_mul(h.eta);
        if e >= epochs {
            break;
        }
    }
    e.min(epochs)
}

/// z of a two-sided 95 % interval: the confidence at which two objectives count as different.
pub(super) const Z95: f64 = 1.96;

/// The least relative noise assumed for one trial's measured energy, whatever the sweep itself
/// shows: counters, clocks and a machine's background never repeat better than this (repeats
/// measured 4–7 % on a shared VM; RAPL on an idle workstation stays near 1–2 %).
pub(super) const ENERGY_NOISE_FLOOR: f64 = 0.02;

/// A configuration's trials (its seeds and repeats) at a rung, judged together.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Standing {
    pub config_id: String,
    /// The rung's epochs for this configuration, and its own `epochs`.
    pub epochs: usize,
    pub full_epochs: usize,
    pub trials: usize,
    /// Mean test accuracy (0–1) and mean cumulative training energy of its trials.
    pub accuracy: f64,
    pub energy_j: Option<f64>,
    /// False when a trial failed or diverged: the configuration cannot go on.
    pub able: bool,
    /// Each trial's test accuracy and cumulative energy (the means above are theirs).
    pub accuracies: Vec<f64>,
    pub energies: Vec<Option<f64>>,
    /// Test images the accuracies were measured on (0: unknown).
    pub test_images: usize,
    /// What it computes (model and its settings, data, batch size, backend, threads): equal
    /// shapes at the same rung do the same arithmetic, so their energies are equal in
    /// expectation. Empty: unknown, never pooled.
    pub shape: String,
}

/// What the noise rule needs of a configuration at a rung.
#[derive(Clone, Copy, Debug)]
struct Noise {
    /// The energy it is ranked by: its own, or its shape's mean when pooled.
    energy: Option<f64>,
    pooled: bool,
    /// Relative standard deviation of its mean energy.
    energy_rel: f64,
    /// Standard deviation of its mean accuracy (absolute, 0–1).
    accuracy_sd: f64,
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len().max(1) as f64
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Sample standard deviation (n − 1); 0 below two values.
fn sd(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
}

/// The noise of each configuration, and which energies are pooled. Per trial, the relative noise
/// of energy is the largest of the floor, the spread of the configuration's own trials and the
/// robust spread (1.4826 · MAD / median) of the configurations of its shape, which do the same
/// arithmetic, so their differences are noise; a mean of k trials has 1/√k of it. Accuracy's is
/// the larger of the binomial standard deviation on the test set and the spread of its seeds,
/// over √k. Within a shape, energies within noise of the median are replaced by their mean.
fn noise(standings: &[Standing], pool: bool) -> Vec<Noise> {
    let able = |s: &Standing| s.able && s.energy_j.is_some_and(|e| e > 0.0);
    let mut shape_spread: std::collections::HashMap<&str, (f64, f64)> = Default::default();
    for s in standings.iter().filter(|s| able(s) && !s.shape.is_empty()) {
        if shape_spread.contains_key(s.shape.as_str()) {
            continue;
        }
        let es: Vec<f64> = standings
            .iter()
            .filter(|o| able(o) && o.shape == s.shape)
            .filter_map(|o| o.energy_j)
            .collect();
        let med = median(&es);
        let mad = median(&es.iter().map(|e| (e - med).abs()).collect::<Vec<_>>());
        let spread = if es.len() >= 3 { 1.4826 * mad / med } else { 0.0 };
        shape_spread.insert(s.shape.as_str(), (med, spread));
    }
    let mut out: Vec<Noise> = standings
        .iter()
        .map(|s| {
            let k = (s.trials.max(1) as f64).sqrt();
            let own: Vec<f64> = s.energies.iter().flatten().copied().collect();
            let own_rel = if own.len() >= 2 { sd(&own) / mean(&own) } else { 0.0 };
            let shape = shape_spread.get(s.shape.as_str()).map_or(0.0, |&(_, spread)| spread);
            let p = s.accuracy.clamp(0.0, 1.0);
            // Unknown test-set size (a command that does not say): its seeds' spread only.
            let binomial = match s.test_images {
                0 => 0.0,
                n => (p * (1.0 - p) / n as f64).sqrt(),
            };
            Noise {
                energy: s.energy_j,
                pooled: false,
                energy_rel: ENERGY_NOISE_FLOOR.max(own_rel).max(shape) / k,
                accuracy_sd: binomial.max(sd(&s.accuracies)) / k,
            }
        })
        .collect();
    if !pool {
        return out;
    }
    for (shape, &(med, _)) in &shape_spread {
        let members: Vec<usize> = (0..standings.len())
            .filter(|&i| able(&standings[i]) && standings[i].shape == *shape)
            .filter(|&i| {
                let e = standings[i].energy_j.unwrap_or(f64::NAN);
                (e - med).abs() <= Z95 * out[i].energy_rel * med
            })
            .collect();
        if members.len() < 2 {
            continue;
        }
        let pooled =
            mean(&members.iter().filter_map(|&i| standings[i].energy_j).collect::<Vec<_>>());
        for i in members {
            out[i].energy = Some(pooled);
            out[i].pooled = true;
        }
    }
    out
}

/// Rank the configurations at a rung and decide: one that reached its own `epochs` is done; of
/// the m others that can go on, the best ⌊m/eta⌋ (at least one, at most `max_keep`) continue and
/// the rest are pruned; one whose trial failed or diverged is out. With `keep_within_noise`,
/// energies of configurations doing the same arithmetic are pooled when they differ by less
/// than the noise (accuracy decides between them), and every pruned configuration whose
/// objective is not distinguishable from the cutoff's at 95 % goes on too (up to `max_keep`).
/// Ties keep the plan's order, so the same numbers always give the same decisions.
pub(super) fn decide(rung: usize, standings: &[Standing], h: &Halving) -> Vec<Decision> {
    let noise = noise(standings, h.keep_within_noise);
    let jpap = |i: usize| {
        let s = &standings[i];
        noise[i].energy.filter(|_| s.accuracy > 0.0).map(|e| e / (s.accuracy * 100.0))
    };
    let mut ranked: Vec<usize> = (0..standings.len()).filter(|&i| standings[i].able).collect();
    let ranking = Standings { s: standings, n: &noise };
    match h.objective {
        Objective::Accuracy => {
            ranked.sort_by(|&a, &b| standings[b].accuracy.total_cmp(&standings[a].accuracy))
        }
        Objective::JoulesPerAccuracyPoint => ranked.sort_by(|&a, &b| {
            jpap(a).unwrap_or(f64::INFINITY).total_cmp(&jpap(b).unwrap_or(f64::INFINITY))
        }),
        Objective::Pareto => {
            let layer = pareto_layers(&ranking, &ranked);
            ranked.sort_by(|&a, &b| {
                layer[&a]
                    .cmp(&layer[&b])
                    .then(standings[b].accuracy.total_cmp(&standings[a].accuracy))
            });
        }
    }
    // Configurations that reached their own `epochs` here are done either way: the race is among
    // the others, and the best ⌊m/eta⌋ of those m (at least one) go on.
    let racing: Vec<usize> = ranked
        .iter()
        .copied()
        .filter(|&i| standings[i].epochs < standings[i].full_epochs)
        .collect();
    let cap = h.max_keep.unwrap_or(usize::MAX).max(1);
    let keep = (racing.len() / h.eta).max(1).min(cap);
    // Margin and noise of each racing configuration against the cutoff (the last kept on merit).
    let cutoff = racing.get(keep - 1).copied();
    let judged: Vec<(Option<f64>, Option<f64>, bool)> = (0..standings.len())
        .map(|i| match (cutoff, racing.iter().position(|&r| r == i)) {
            (Some(_), Some(place)) if h.objective == Objective::Pareto => {
                let beaten = racing[..keep].iter().any(|&k| ranking.dominates_beyond_noise(k, i));
                (None, Some(Z95 * noise[i].energy_rel), !beaten && place >= keep - 1)
            }
            (Some(c), Some(place)) => {
                let (margin, noise_w, within) = ranking.against(i, c, h.objective, jpap);
                (margin, noise_w, within && place >= keep - 1)
            }
            _ => (None, None, false),
        })
        .collect();
    let mut out: Vec<Decision> = standings
        .iter()
        .enumerate()
        .map(|(i, s)| Decision {
            rung,
            epochs: s.epochs,
            config_id: s.config_id.clone(),
            trials: s.trials,
            accuracy: Some(s.accuracy).filter(|_| s.able),
            energy_j: s.energy_j.filter(|_| s.able),
            joules_per_accuracy_point: s
                .energy_j
                .filter(|_| s.able && s.accuracy > 0.0)
                .map(|e| e / (s.accuracy * 100.0)),
            rank: None,
            decision: "out".into(),
            objective: h.objective.name().into(),
            margin: judged[i].0,
            noise: judged[i].1,
            within_noise: judged[i].1.map(|_| judged[i].2),
            // Pooling changes only objectives that weigh energy.
            energy_pooled: (s.able && h.objective != Objective::Accuracy)
                .then_some(noise[i].pooled),
        })
        .collect();
    let mut kept = 0;
    for (place, &i) in ranked.iter().enumerate() {
        let s = &standings[i];
        out[i].rank = Some(place + 1);
        let widened = h.keep_within_noise && judged[i].2 && kept < cap;
        out[i].decision = if s.epochs >= s.full_epochs {
            "done"
        } else if kept < keep || widened {
            kept += 1;
            "continue"
        } else {
            "pruned"
        }
        .into();
    }
    // The cutoff's own place rested on noise when a configuration below it is within noise.
    if let Some(c) = cutoff {
        let below = racing[keep..].iter().any(|&j| judged[j].2);
        if out[c].within_noise.is_some() {
            out[c].within_noise = Some(below);
        }
    }
    out
}

/// The standings with their noise, for comparisons.
struct Standings<'a> {
    s: &'a [Standing],
    n: &'a [Noise],
}

impl Standings<'_> {
    fn energy(&self, i: usize) -> f64 {
        self.n[i].energy.unwrap_or(f64::INFINITY)
    }

    /// Relative noise of the energy difference between `a` and `b`: none when both carry their
    /// shape's pooled energy (the same number).
    fn energy_rel2(&self, a: usize, b: usize) -> (f64, f64) {
        let shared = self.n[a].pooled && self.n[b].pooled && self.s[a].shape == self.s[b].shape;
        match shared {
            true => (0.0, 0.0),
            false => (self.n[a].energy_rel.powi(2), self.n[b].energy_rel.powi(2)),
        }
    }

    /// `i` against the cutoff `c`: (margin, noise, within noise). The margin is how much worse
    /// `i`'s objective is, relative to `c`'s. (`pareto` has no single margin: the caller asks
    /// whether a configuration kept on merit dominates `i` beyond the noise.)
    fn against(
        &self,
        i: usize,
        c: usize,
        objective: Objective,
        jpap: impl Fn(usize) -> Option<f64>,
    ) -> (Option<f64>, Option<f64>, bool) {
        let (ai, ac) = (self.s[i].accuracy, self.s[c].accuracy);
        let (si, sc) = (self.n[i].accuracy_sd, self.n[c].accuracy_sd);
        match objective {
            Objective::Accuracy if ac > 0.0 => {
                let margin = (ac - ai) / ac;
                let noise = Z95 * (si.powi(2) + sc.powi(2)).sqrt() / ac;
                (Some(margin), Some(noise), margin <= noise)
            }
            Objective::JoulesPerAccuracyPoint => match (jpap(i), jpap(c)) {
                (Some(oi), Some(oc)) if ai > 0.0 && ac > 0.0 => {
                    let (ei, ec) = self.energy_rel2(i, c);
                    let rel_i = ((si / ai).powi(2) + ei).sqrt() * oi / oc;
                    let rel_c = ((sc / ac).powi(2) + ec).sqrt();
                    let margin = (oi - oc) / oc;
                    let noise = Z95 * (rel_i.powi(2) + rel_c.powi(2)).sqrt();
                    (Some(margin), Some(noise), margin <= noise)
                }
                _ => (None, None, false),
            },
            _ => (None, None, false),
        }
    }

    /// `a` is at least as good as `b` on accuracy and energy, allowing for the noise, and
    /// better beyond the noise on one of them.
    fn dominates_beyond_noise(&self, a: usize, b: usize) -> bool {
        let tol_a = Z95 * (self.n[a].accuracy_sd.powi(2) + self.n[b].accuracy_sd.powi(2)).sqrt();
        let (ra, rb) = self.energy_rel2(a, b);
        let (ea, eb) = (self.energy(a), self.energy(b));
        let tol_e = Z95 * (ra * ea * ea + rb * eb * eb).sqrt();
        let gain_a = self.s[a].accuracy - self.s[b].accuracy;
        let gain_e = eb - ea;
        gain_a >= -tol_a && gain_e >= -tol_e && (gain_a > tol_a || gain_e > tol_e)
    }
}

/// Non-dominated sorting on (accuracy up, energy down; pooled energies where pooled): layer 0
/// is the front, layer 1 the front of the rest, … A configuration without an energy counts as
/// using infinitely much.
fn pareto_layers(st: &Standings, idx: &[usize]) -> std::collections::HashMap<usize, usize> {
    let dominates = |a: usize, b: usize| {
        let (sa, sb) = (&st.s[a], &st.s[b]);
        sa.accuracy >= sb.accuracy
            && st.energy(a) <= st.energy(b)
            && (sa.accuracy > sb.accuracy || st.energy(a) < st.energy(b))
    };
    let mut layer = std::collections::HashMap::new();
    let mut left: Vec<usize> = idx.to_vec();
    let mut depth = 0;
    while !left.is_empty() {
        let front: Vec<usize> =
            left.iter().copied().filter(|&a| !left.iter().any(|&b| dominates(b, a))).collect();
        for &i in &front {
            layer.insert(i, depth);
        }
        left.retain(|i| !front.contains(i));
        depth += 1;
    }
    layer
}

pub(super) fn decisions_path(out: &Path) -> PathBuf {
    out.join(crate::results::DECISIONS_FILE)
}

/// The decisions recorded so far (none without the file).
pub(super) fn read_decisions(out: &Path) -> Result<Vec<Decision>> {
    Ok(read_tolerant(&decisions_path(out))?.0)
}

/// Record a rung's decisions after those already recorded.
pub(super) fn write_decisions(out: &Path, all: &[Decision]) -> Result<()> {
    write_atomic(&decisions_path(out), &encode(all, true)?)
}

#[cfg(test)]
#[path = "tests/rungs.rs"]
mod tests;
