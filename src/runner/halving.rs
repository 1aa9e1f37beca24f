//! The successive-halving loop. Rung by rung: train every trial of the configurations still in
//! the race to the rung's epochs (continuing from its checkpoint), rank the configurations
//! (their seeds and repeats together, by their mean), record the decisions, and end the
//! trials of pruned configurations as `pruned`, their rows made from their checkpoints.
//!
//! Everything a decision needs is on disk before it is taken, and the decision is on disk
//! before anything acts on it, so a run killed at any moment and started again takes the same
//! decisions and trains no epoch twice for a result.

use super::budget::BudgetState;
use super::builtin::{PAUSED, Segment};
use super::checkpoint::Checkpoints;
use super::interrupt::Interrupt;
use super::progress::Progress;
use super::record::record;
use super::rungs::{Standing, decide, read_decisions, rung_epochs, write_decisions};
use crate::config::Halving;
use crate::plan::Trial;
use crate::results::{CsvLog, Decision, EpochRow, ResultRow};
use anyhow::{Result, bail};
use std::collections::HashMap;
use std::path::Path;

/// What the sweep around the loop provides.
pub(super) struct Ctx<'a> {
    pub out: &'a Path,
    pub h: Halving,
    pub results: &'a CsvLog<ResultRow>,
    pub epochs: &'a CsvLog<EpochRow>,
    pub interrupt: &'a Interrupt,
    pub budget: &'a BudgetState,
}

/// How the loop ended.
#[derive(Debug, Default)]
pub(super) struct Ended {
    /// Training segments run.
    pub ran: usize,
    pub interrupted: bool,
    pub budget: Option<String>,
}

/// Whether a row ends its trial for the halving loop. `failed` and `diverged` are final too:
/// the decisions recorded after them stand, so training such a trial again could change nothing
/// (`--retry-failed` does not apply to successive halving).
pub(super) fn is_final(row: Option<&ResultRow>) -> bool {
    matches!(
        row.map(|r| r.status.as_str()),
        Some("ok") | Some("pruned") | Some("failed") | Some("diverged")
    )
}

/// Run the halving sweep over `trials` (plan order). `rows`: each trial's current row.
pub(super) fn run(
    ctx: &Ctx,
    trials: &[Trial],
    rows: &mut HashMap<String, ResultRow>,
    run_one: &mut dyn FnMut(&Trial, Segment, &mut Progress) -> Result<ResultRow>,
    progress: &mut Progress,
    after_trial: &mut dyn FnMut(&Path),
) -> Result<Ended> {
    let checkpoints = Checkpoints::new(ctx.out);
    let configs = configurations(trials);
    let mut recorded = read_decisions(ctx.out)?;
    check_recorded(&recorded, &configs, &ctx.h)?;
    // Checkpoints of trials that have ended (a kill between the row and the removal).
    for id in checkpoints.ids() {
        if is_final(rows.get(&id)) || !trials.iter().any(|t| t.id == id) {
            checkpoints.remove(&id)?;
        }
    }
    let mut ended = Ended::default();
    let mut alive: Vec<usize> = (0..configs.len()).collect();
    for rung in 0.. {
        let target = |c: usize| rung_epochs(&ctx.h, rung, configs[c].1[0].spec.epochs);
        // 1. Train everything in the race to this rung.
        let mut todo: Vec<(&Trial, usize)> = Vec::new();
        for &c in &alive {
            for &t in &configs[c].1 {
                if !reached(t, target(c), rows, &checkpoints)? {
                    todo.push((t, target(c)));
                }
            }
        }
        progress.set_remaining(todo.len());
        for (t, until) in todo {
            if ctx.interrupt.requested() {
                ended.interrupted = true;
                return Ok(ended);
            }
            if let Some(why) = ctx.budget.reached() {
                ended.budget = Some(why);
                return Ok(ended);
            }
            let row = run_one(t, Segment { until, checkpoints: Some(&checkpoints) }, progress)?;
            ended.ran += 1;
            let note = format!(
                "{} at epoch {} of {}, accuracy {}, {:.1} s so far",
                row.status,
                row.epochs_trained.unwrap_or(0),
                t.spec.epochs,
                row.test_accuracy.map_or("-".into(), |a| format!("{a:.4}")),
                row.train_time_s
            );
            if row.status != PAUSED {
                record(ctx.results, ctx.epochs, &row, rows.contains_key(&t.id), false)?;
                if row.status != "interrupted" {
                    checkpoints.remove(&t.id)?;
                }
                rows.insert(t.id.clone(), row.clone());
                after_trial(ctx.out);
            }
            progress.finish_trial(&note);
            if row.status == "interrupted" {
                if ctx.interrupt.requested() {
                    ended.interrupted = true;
                } else {
                    ended.budget = ctx.budget.reached().or(Some("a [budget] limit".into()));
                }
                return Ok(ended);
            }
        }
        // 2. Decide (or read back what was decided).
        let decisions: Vec<Decision> = {
            let here: Vec<Decision> =
                recorded.iter().filter(|d| d.rung == rung + 1).cloned().collect();
            if !here.is_empty() {
                here
            } else {
                let standings = alive
                    .iter()
                    .map(|&c| standing(&configs[c], target(c), rows, &checkpoints))
                    .collect::<Result<Vec<_>>>()?;
                let new = decide(rung + 1, &standings, &ctx.h);
                recorded.extend(new.iter().cloned());
                write_decisions(ctx.out, &recorded)?;
                new
            }
        };
        // 3. Act on it.
        let mut next = Vec::new();
        for d in &decisions {
            let Some(c) = configs.iter().position(|(id, _)| *id == d.config_id) else { continue };
            match d.decision.as_str() {
                "continue" => next.push(c),
                "pruned" => {
                    let why = format!(
                        "pruned by successive halving at rung {} ({} epochs of {}): ranked {} by {}",
                        d.rung,
                        d.epochs,
                        configs[c].1[0].spec.epochs,
                        d.rank.map_or("-".into(), |r| r.to_string()),
                        d.objective
                    );
                    for &t in &configs[c].1 {
                        prune(ctx, t, d, &why, rows, &checkpoints)?;
                    }
                    after_trial(ctx.out);
                }
                "out" => {
                    // A seed of this configuration failed or diverged: the configuration cannot be
                    // judged by its mean any more, and its other seeds stop here too.
                    let failed: Vec<&str> = configs[c]
                        .1
                        .iter()
                        .filter(|t| {
                            rows.get(&t.id)
                                .is_some_and(|r| r.status == "failed" || r.status == "diverged")
                        })
                        .map(|t| t.id.as_str())
                        .collect();
                    let why = format!(
                        "pruned by successive halving at rung {} ({} epochs): its configuration is out because trial {} did not finish ok",
                        d.rung,
                        d.epochs,
                        failed.join(", ")
                    );
                    for &t in &configs[c].1 {
                        prune(ctx, t, d, &why, rows, &checkpoints)?;
                    }
                    after_trial(ctx.out);
                }
                _ => {}
            }
        }
        let pruned: Vec<&str> = decisions
            .iter()
            .filter(|d| d.decision == "pruned")
            .map(|d| d.config_id.as_str())
            .collect();
        if !pruned.is_empty() {
            tracing::info!(
                "halving: rung {} ({} epochs): {} of {} configurations go on, pruned {}",
                rung + 1,
                decisions.iter().map(|d| d.epochs).max().unwrap_or(0),
                next.len(),
                decisions.len(),
                pruned.join(", ")
            );
        }
        alive = next;
        if alive.is_empty() {
            break;
        }
    }
    checkpoints.remove_dir_if_empty();
    Ok(ended)
}

/// Configurations in plan order, each with its trials (seeds and repeats).
fn configurations(trials: &[Trial]) -> Vec<(String, Vec<&Trial>)> {
    let mut configs: Vec<(String, Vec<&Trial>)> = Vec::new();
    for t in trials {
        let c = t.spec.config_id();
        match configs.iter_mut().find(|(id, _)| *id == c) {
            Some((_, ts)) => ts.push(t),
            None => configs.push((c, vec![t])),
        }
    }
    configs
}

/// Whether trial `t` needs no training for a rung of `target` epochs: it has ended, or its
/// checkpoint is past the rung, or at it with the rung's row.
fn reached(
    t: &Trial,
    target: usize,
    rows: &HashMap<String, ResultRow>,
    checkpoints: &Checkpoints,
) -> Result<bool> {
    if is_final(rows.get(&t.id)) {
        return Ok(true);
    }
    Ok(match checkpoints.load(&t.id) {
        Ok(Some(s)) => s.epoch > target || (s.epoch == target && s.row.is_some()),
        _ => false,
    })
}

/// A configuration's standing at a rung, from its trials' rows (ended) or checkpoints (paused).
fn standing(
    (config_id, trials): &(String, Vec<&Trial>),
    epochs: usize,
    rows: &HashMap<String, ResultRow>,
    checkpoints: &Checkpoints,
) -> Result<Standing> {
    let mut acc = Vec::new();
    let mut energy = Vec::new();
    let mut able = true;
    let mut test_images = 0;
    for t in trials {
        let row = match rows.get(&t.id).filter(|r| r.status != "interrupted") {
            Some(r) => r.clone(),
            None => match checkpoints.load(&t.id)?.and_then(|s| s.row) {
                Some(r) => r,
                None => bail!("trial {}: no row or checkpoint at rung end (epoch {epochs})", t.id),
            },
        };
        able &= row.status == "ok" || row.status == PAUSED;
        acc.push(row.test_accuracy.unwrap_or(0.0));
        test_images = test_images.max(row.test_images);
        energy.push(row.energy_j);
    }
    let n = trials.len().max(1) as f64;
    let energy_j = energy.iter().copied().sum::<Option<f64>>().map(|e| e / n);
    Ok(Standing {
        config_id: config_id.clone(),
        epochs,
        full_epochs: trials[0].spec.epochs,
        trials: trials.len(),
        accuracy: acc.iter().sum::<f64>() / n,
        energy_j,
        able,
        accuracies: acc,
        energies: energy,
        test_images,
        shape: format!("{};rung_epochs={epochs}", shape(&trials[0].spec)),
    })
}

/// What a configuration computes per epoch: its canonical form without the settings that only
/// change the numbers it computes with (optimizer and its hyperparameters), nor its seed,
/// repeat or own `epochs`. Equal shapes at one rung do the same arithmetic.
fn shape(spec: &crate::trial::TrialSpec) -> String {
    const NUMBERS_ONLY: [&str; 7] =
        ["optimizer", "learning_rate", "momentum", "weight_decay", "seed", "repeat", "epochs"];
    spec.canonical()
        .split(';')
        .filter(|p| !NUMBERS_ONLY.contains(&p.split('=').next().unwrap_or("")))
        .collect::<Vec<_>>()
        .join(";")
}

/// End a trial of a pruned (or out) configuration: its paused row, status `pruned`, `why`.
fn prune(
    ctx: &Ctx,
    t: &Trial,
    d: &Decision,
    why: &str,
    rows: &mut HashMap<String, ResultRow>,
    checkpoints: &Checkpoints,
) -> Result<()> {
    if is_final(rows.get(&t.id)) {
        return Ok(());
    }
    let Some(mut row) = checkpoints.load(&t.id)?.and_then(|s| s.row) else {
        bail!("trial {}: pruned at rung {}, but its checkpoint has no row", t.id, d.rung);
    };
    row.status = "pruned".into();
    row.error = Some(why.to_string());
    record(ctx.results, ctx.epochs, &row, rows.contains_key(&t.id), false)?;
    rows.insert(t.id.clone(), row);
    checkpoints.remove(&t.id)
}

/// Recorded decisions must be about this grid's configurations and this `[search]`: a resumed
/// sweep whose grid, `min_epochs`, `eta` or `objective` changed would otherwise act on decisions
/// taken for something else.
fn check_recorded(
    recorded: &[Decision],
    configs: &[(String, Vec<&Trial>)],
    h: &Halving,
) -> Result<()> {
    let mut first: Vec<&str> =
        recorded.iter().filter(|d| d.rung == 1).map(|d| d.config_id.as_str()).collect();
    if first.is_empty() {
        return Ok(());
    }
    let mut now: Vec<&str> = configs.iter().map(|(c, _)| c.as_str()).collect();
    first.sort();
    now.sort();
    let fresh =
        "start over with --fresh (which moves the earlier results aside), or use another --out";
    if first != now {
        bail!(
            "halving.csv holds decisions for other configurations than this grid's (was the grid edited?); {fresh}"
        );
    }
    for d in recorded {
        let Some((_, ts)) = configs.iter().find(|(c, _)| *c == d.config_id) else {
            bail!("halving.csv: configuration {} is not in this grid; {fresh}", d.config_id);
        };
        let expected = rung_epochs(h, d.rung.saturating_sub(1), ts[0].spec.epochs);
        if d.epochs != expected || d.objective != h.objective.name() {
            bail!(
                "halving.csv was decided with other [search] settings (rung {} of {}: {} epochs by {}, now {} epochs by {}); {fresh}",
                d.rung,
                d.config_id,
                d.epochs,
                d.objective,
                expected,
                h.objective.name()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "tests/halving.rs"]
mod tests;
