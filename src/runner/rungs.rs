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
pub fn rung_epochs(h: &Halving, rung: usize, epochs: usize) -> usize {
    let mut e = h.min_epochs;
    for _ in 0..rung {
        e = e.saturating_mul(h.eta);
        if e >= epochs {
            break;
        }
    }
    e.min(epochs)
}

/// A configuration's trials (its seeds and repeats) at a rung, judged together.
#[derive(Clone, Debug, PartialEq)]
pub struct Standing {
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
}

/// Rank the configurations at a rung and decide: one that reached its own `epochs` is done; of
/// the m others that can go on, the best ⌊m/eta⌋ (at least one) continue and the rest are
/// pruned; one whose trial failed or diverged is out. Ties keep the plan's order, so the same numbers always give the same decisions.
pub fn decide(rung: usize, standings: &[Standing], h: &Halving) -> Vec<Decision> {
    let jpap =
        |s: &Standing| s.energy_j.filter(|_| s.accuracy > 0.0).map(|e| e / (s.accuracy * 100.0));
    let mut ranked: Vec<usize> = (0..standings.len()).filter(|&i| standings[i].able).collect();
    match h.objective {
        Objective::Accuracy => {
            ranked.sort_by(|&a, &b| standings[b].accuracy.total_cmp(&standings[a].accuracy))
        }
        Objective::JoulesPerAccuracyPoint => ranked.sort_by(|&a, &b| {
            let (x, y) = (jpap(&standings[a]), jpap(&standings[b]));
            x.unwrap_or(f64::INFINITY).total_cmp(&y.unwrap_or(f64::INFINITY))
        }),
        Objective::Pareto => {
            let layer = pareto_layers(standings, &ranked);
            ranked.sort_by(|&a, &b| {
                layer[&a]
                    .cmp(&layer[&b])
                    .then(standings[b].accuracy.total_cmp(&standings[a].accuracy))
            });
        }
    }
    // Configurations that reached their own `epochs` here are done either way: the race is among
    // the others, and the best ⌊m/eta⌋ of those m (at least one) go on.
    let racing = ranked.iter().filter(|&&i| standings[i].epochs < standings[i].full_epochs).count();
    let keep = (racing / h.eta).max(1);
    let mut out: Vec<Decision> = standings
        .iter()
        .map(|s| Decision {
            rung,
            epochs: s.epochs,
            config_id: s.config_id.clone(),
            trials: s.trials,
            accuracy: Some(s.accuracy).filter(|_| s.able),
            energy_j: s.energy_j.filter(|_| s.able),
            joules_per_accuracy_point: jpap(s).filter(|_| s.able),
            rank: None,
            decision: "out".into(),
            objective: h.objective.name().into(),
        })
        .collect();
    let mut kept = 0;
    for (place, &i) in ranked.iter().enumerate() {
        let s = &standings[i];
        out[i].rank = Some(place + 1);
        out[i].decision = if s.epochs >= s.full_epochs {
            "done"
        } else if kept < keep {
            kept += 1;
            "continue"
        } else {
            "pruned"
        }
        .into();
    }
    out
}

/// Non-dominated sorting on (accuracy up, energy down): layer 0 is the front, layer 1 the
/// front of the rest, … A configuration without an energy counts as using infinitely much.
fn pareto_layers(standings: &[Standing], idx: &[usize]) -> std::collections::HashMap<usize, usize> {
    let energy = |i: usize| standings[i].energy_j.unwrap_or(f64::INFINITY);
    let dominates = |a: usize, b: usize| {
        let (sa, sb) = (&standings[a], &standings[b]);
        sa.accuracy >= sb.accuracy
            && energy(a) <= energy(b)
            && (sa.accuracy > sb.accuracy || energy(a) < energy(b))
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

pub fn decisions_path(out: &Path) -> PathBuf {
    out.join(crate::results::DECISIONS_FILE)
}

/// The decisions recorded so far (none without the file).
pub fn read_decisions(out: &Path) -> Result<Vec<Decision>> {
    Ok(read_tolerant(&decisions_path(out))?.0)
}

/// Record a rung's decisions after those already recorded.
pub fn write_decisions(out: &Path, all: &[Decision]) -> Result<()> {
    write_atomic(&decisions_path(out), &encode(all, true)?)
}

#[cfg(test)]
#[path = "tests/rungs.rs"]
mod tests;
