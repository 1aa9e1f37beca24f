//! Grid → ordered list of trials with stable ids. Pure: no I/O.
//!
//! Order: axes expand in the fixed order of [`SETTING_KEYS`] (dataset outermost, seed innermost),
//! then per-model axes; values keep the file's order; `[[include]]` trials follow; `[[exclude]]`
//! drops partial matches; duplicates (same id) keep their first position. A shard is a filter on
//! this list by id (by configuration under successive halving, whose shards each halve their own
//! configurations).

use crate::config::{Grid, GridErrors, Problem, Search};
use crate::models::ModelKind;
use crate::names::Named;
use crate::shard::Shard;
use crate::trial::{SETTING_KEYS, TrialSpec, Value};
use std::collections::HashSet;

#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    pub id: String,
    pub spec: TrialSpec,
}

/// One axis of the cross product: a top-level setting or a model's own setting.
enum Axis<'g> {
    Setting(&'g str, &'g [Value]),
    Model(ModelKind, &'g str, &'g [Value]),
}

pub fn expand(grid: &Grid) -> Vec<Trial> {
    let mut axes: Vec<Axis> = Vec::new();
    for key in SETTING_KEYS {
        for (k, values) in &grid.axes {
            if k == key {
                axes.push(Axis::Setting(k, values));
            }
        }
    }
    for &model in ModelKind::ALL {
        for (m, k, values) in &grid.model_axes {
            if *m == model {
                axes.push(Axis::Model(*m, k, values));
            }
        }
    }

    let mut trials = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |spec: TrialSpec, trials: &mut Vec<Trial>| {
        let id = spec.id();
        if seen.insert(id.clone()) {
            trials.push(Trial { id, spec });
        }
    };

    let sizes: Vec<usize> = axes
        .iter()
        .map(|a| match a {
            Axis::Setting(_, v) | Axis::Model(_, _, v) => v.len(),
        })
        .collect();
    let total: usize = sizes.iter().product();
    for n in 0..total {
        // Mixed-radix digits of n, last axis fastest.
        let mut rest = n;
        let mut picks = vec![0; axes.len()];
        for (i, size) in sizes.iter().enumerate().rev() {
            picks[i] = rest % size;
            rest /= size;
        }
        let chosen: Vec<(Option<ModelKind>, &str, &Value)> = axes
            .iter()
            .zip(&picks)
            .map(|(a, &p)| match a {
                Axis::Setting(k, v) => (None, *k, &v[p]),
                Axis::Model(m, k, v) => (Some(*m), *k, &v[p]),
            })
            .collect();
        let spec = resolve(grid, &chosen);
        if !grid.exclude.iter().any(|ex| ex.iter().all(|(k, v)| matches(&spec, k, v))) {
            push(spec, &mut trials);
        }
    }
    for inc in &grid.include {
        let chosen: Vec<(Option<ModelKind>, &str, &Value)> = inc
            .iter()
            .map(|(k, v)| match split_model_key(k) {
                Some((m, sk)) => (Some(m), sk, v),
                None => (None, k.as_str(), v),
            })
            .collect();
        push(resolve(grid, &chosen), &mut trials);
    }
    trials
}

/// Defaults ← top-level scalars ← chosen settings ← `[models.X]` ← chosen model settings.
fn resolve(grid: &Grid, chosen: &[(Option<ModelKind>, &str, &Value)]) -> TrialSpec {
    let model = chosen
        .iter()
        .find(|(m, k, _)| m.is_none() && *k == "model")
        .map(|(_, _, v)| *v)
        .or_else(|| grid.fixed.iter().find(|(k, _)| k == "model").map(|(_, v)| v))
        .and_then(|v| match v {
            Value::Str(s) => ModelKind::parse(s),
            _ => None,
        })
        .unwrap_or(ModelKind::Mlp); // validation guarantees a model exists
    let mut spec = TrialSpec::defaults(model);
    // Values were validated while parsing; a failure here cannot happen, so ignoring is safe.
    for (k, v) in &grid.fixed {
        let _ = spec.set(k, v);
    }
    for (m, k, v) in chosen {
        if m.is_none() {
            let _ = spec.set(k, v);
        }
    }
    for (m, k, v) in &grid.model_fixed {
        let _ = spec.set_model(*m, k, v);
    }
    for (m, k, v) in chosen {
        if let Some(m) = m {
            let _ = spec.set_model(*m, k, v);
        }
    }
    spec
}

fn split_model_key(k: &str) -> Option<(ModelKind, &str)> {
    let rest = k.strip_prefix("models.")?;
    let (m, key) = rest.split_once('.')?;
    Some((ModelKind::parse(m)?, key))
}

fn matches(spec: &TrialSpec, key: &str, v: &Value) -> bool {
    match split_model_key(key) {
        Some((m, sk)) => {
            if spec.model != m {
                return false;
            }
            let mut probe = spec.clone();
            probe.set_model(m, sk, v).is_ok() && probe == *spec
        }
        None => spec.matches(key, v),
    }
}

/// Whether `shard` runs trial `t`. Under successive halving a configuration's seeds and repeats
/// are judged together, so they stay in one shard: ownership goes by configuration.
pub fn shard_owns(grid: &Grid, shard: &Shard, t: &Trial) -> bool {
    match grid.search {
        Search::Halving(_) => shard.owns(&t.spec.config_id()),
        Search::Grid => shard.owns(&t.id),
    }
}

/// `[search]` checks that need the expanded plan: `min_epochs` may not exceed any trial's
/// `epochs` (which may be an axis).
pub fn check_search(grid: &Grid, trials: &[Trial]) -> Result<(), GridErrors> {
    let Search::Halving(h) = grid.search else { return Ok(()) };
    let fewest = trials.iter().map(|t| t.spec.epochs).min();
    match fewest {
        Some(e) if h.min_epochs > e => Err(GridErrors {
            path: grid.path.clone(),
            problems: vec![Problem {
                key: format!("search.min_epochs = {}", h.min_epochs),
                message: format!(
                    "must be ≤ epochs (a trial of this grid has epochs = {e}); the first rung cannot train more epochs than the trial has"
                ),
            }],
        }),
        _ => Ok(()),
    }
}
