//! Grid → ordered list of trials with stable ids. Pure: no I/O.
//!
//! Order: axes expand in the fixed order of [`SETTING_KEYS`] (dataset outermost, seed innermost),
//! then per-model axes; values keep the file's order; `[[include]]` trials follow; `[[exclude]]`
//! drops partial matches; duplicates (same id) keep their first position. A shard is a filter on
//! this list by id (by configuration under successive halving, whose shards each halve their own
//! configurations).

use crate::config::{Grid, GridErrors, Problem, Search, load_grid};
use crate::models::ModelKind;
use crate::names::Named;
use crate::shard::Shard;
use crate::trial::settings::SETTING_KEYS;
use crate::trial::{FREE_FOR_COMMANDS, TrialSpec, Value};
use std::collections::HashSet;
use std::path::Path;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Trial {
    pub id: String,
    pub spec: TrialSpec,
}

/// One axis of the cross product: a top-level setting or a model's own setting.
enum Axis<'g> {
    Setting(&'g str, &'g [Value]),
    Model(ModelKind, &'g str, &'g [Value]),
}

/// A grid's plan: every trial, and the ones this shard runs.
pub(crate) struct Loaded {
    pub grid: Grid,
    /// Every trial of the grid, in plan order.
    pub all: Vec<Trial>,
    /// The trials `--shard` gives this process (all of them without one).
    pub trials: Vec<Trial>,
}

/// The one road from a grid file to trials, which every command takes (`plan`, `run`, `slurm`,
/// …), so that each refuses exactly the same grids with the same messages: read and validate
/// the file, expand it, check what needs the expanded plan, and keep the shard's trials.
pub(crate) fn load(path: &Path, shard: Option<&Shard>) -> Result<Loaded, GridErrors> {
    let grid = load_grid(path)?;
    let all = expand_checked(&grid)?;
    check_search(&grid, &all)?;
    let trials = match shard {
        Some(s) => all.iter().filter(|t| shard_owns(&grid, s, t)).cloned().collect(),
        None => all.clone(),
    };
    Ok(Loaded { grid, all, trials })
}

/// The grid's trials, with the checks that need each trial's backend: a built-in trial's `model`,
/// `optimizer` and `dataset` must be built-in names (a grid with a `[command]` accepts any value
/// at parse time), and a `[command]` needs a command trial and the reverse.
pub(crate) fn expand_checked(grid: &Grid) -> Result<Vec<Trial>, GridErrors> {
    let (trials, mut problems) = expand_with_problems(grid);
    let commands = trials.iter().filter(|t| t.spec.is_command()).count();
    if grid.command.is_some() && commands == 0 && problems.is_empty() {
        problems.push(Problem {
            key: "command".into(),
            message: "no trial of this grid runs it: add `backend = \"command\"` (or `[grid] backend = [\"flex\", \"command\"]`)".into(),
        });
    }
    if grid.command.is_none() && commands > 0 {
        problems.push(Problem {
            key: "backend = \"command\"".into(),
            message: "needs a [command] table saying what to run, e.g. [command] argv = [\"python3\", \"train.py\", \"--lr\", \"{learning_rate}\"]".into(),
        });
    }
    if problems.is_empty() {
        Ok(trials)
    } else {
        Err(GridErrors { path: grid.path.clone(), problems })
    }
}

/// The grid's trials. The grid must have passed [`expand_checked`]: a trial that cannot be
/// resolved is left out here.
#[cfg(test)]
pub(crate) fn expand(grid: &Grid) -> Vec<Trial> {
    expand_with_problems(grid).0
}

fn expand_with_problems(grid: &Grid) -> (Vec<Trial>, Vec<Problem>) {
    let mut problems: Vec<Problem> = Vec::new();
    let mut axes: Vec<Axis> = Vec::new();
    for key in SETTING_KEYS {
        for (k, values) in &grid.axes {
            if k == key {
                axes.push(Axis::Setting(k, values));
            }
        }
    }
    // The `[command]`'s own keys, after every trial setting, in the file's order.
    for (k, values) in &grid.axes {
        if !SETTING_KEYS.contains(&k.as_str()) {
            axes.push(Axis::Setting(k, values));
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
        let spec = match resolve(grid, &chosen) {
            Ok(spec) => spec,
            // A pair the grid excludes (a built-in backend with a model only the command knows)
            // is no problem.
            Err(_) if raw_excluded(grid, &chosen) => continue,
            Err(p) => {
                if !problems.contains(&p) {
                    problems.push(p);
                }
                continue;
            }
        };
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
        match resolve(grid, &chosen) {
            Ok(spec) => push(spec, &mut trials),
            Err(p) if !problems.contains(&p) => problems.push(p),
            Err(_) => {}
        }
    }
    (trials, problems)
}

/// Defaults ← backend ← top-level scalars ← chosen settings ← `[models.X]` ← chosen model
/// settings. Values were validated while parsing, except what depends on the backend: a
/// built-in trial with a name only a command knows is a problem; a key only the command uses is
/// left out of a built-in trial.
fn resolve(
    grid: &Grid,
    chosen: &[(Option<ModelKind>, &str, &Value)],
) -> Result<TrialSpec, Problem> {
    let setting = |key: &str| {
        chosen
            .iter()
            .find(|(m, k, _)| m.is_none() && *k == key)
            .map(|(_, _, v)| *v)
            .or_else(|| grid.fixed.iter().find(|(k, _)| k == key).map(|(_, v)| v))
    };
    let model = setting("model")
        .and_then(|v| match v {
            Value::Str(s) => ModelKind::parse(s),
            _ => None,
        })
        .unwrap_or(ModelKind::Mlp); // validation guarantees a model exists
    let mut spec = TrialSpec::defaults(model);
    if let Some(b) = setting("backend") {
        let _ = spec.set("backend", b);
    }
    if !spec.is_command() && setting("model").is_none() {
        return Err(Problem {
            key: "model".into(),
            message: format!(
                "no model for the trials with backend = \"{}\": add `model = \"mlp\"` or `[grid] model = [...]`",
                spec.backend.name()
            ),
        });
    }
    if spec.is_command() {
        spec.command = grid.command.as_ref().map(|c| c.digest.clone());
    }
    let set = |spec: &mut TrialSpec, k: &str, v: &Value| -> Result<(), Problem> {
        if k == "backend" {
            return Ok(()); // set first, above: setting it again would drop what came between
        }
        if !spec.is_command() && !SETTING_KEYS.contains(&k) {
            return Ok(()); // the command's own key: no part of a built-in trial
        }
        match spec.set(k, v) {
            Ok(()) => Ok(()),
            Err(e) if FREE_FOR_COMMANDS.contains(&k) => Err(Problem {
                key: format!("{k} = {v}"),
                message: format!(
                    "{e} — for backend = \"{}\"; a name that only your [command] knows needs backend = \"command\" (an [[exclude]] can drop the built-in pairs)",
                    spec.backend.name()
                ),
            }),
            Err(_) => Ok(()), // validated while parsing
        }
    };
    for (k, v) in &grid.fixed {
        set(&mut spec, k, v)?;
    }
    for (m, k, v) in chosen {
        if m.is_none() {
            set(&mut spec, k, v)?;
        }
    }
    if spec.is_command() {
        return Ok(spec); // model settings belong to built-in models
    }
    for (m, k, v) in &grid.model_fixed {
        let _ = spec.set_model(*m, k, v);
    }
    for (m, k, v) in chosen {
        if let Some(m) = m {
            let _ = spec.set_model(*m, k, v);
        }
    }
    Ok(spec)
}

/// Whether an `[[exclude]]` matches these values as the grid wrote them (for trials that
/// cannot be resolved, such as a built-in backend with a model only the command knows).
fn raw_excluded(grid: &Grid, chosen: &[(Option<ModelKind>, &str, &Value)]) -> bool {
    let value_of = |key: &str| {
        chosen
            .iter()
            .find(|(m, k, _)| m.is_none() && *k == key)
            .map(|(_, _, v)| *v)
            .or_else(|| grid.fixed.iter().find(|(k, _)| k == key).map(|(_, v)| v))
    };
    grid.exclude
        .iter()
        .any(|ex| ex.iter().all(|(k, v)| value_of(k).is_some_and(|x| same_value(x, v))))
}

/// Equal as grid values (`1` and `1.0` are the same number).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a.number(), b.number()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn split_model_key(k: &str) -> Option<(ModelKind, &str)> {
    let rest = k.strip_prefix("models.")?;
    let (m, key) = rest.split_once('.')?;
    Some((ModelKind::parse(m)?, key))
}

fn matches(spec: &TrialSpec, key: &str, v: &Value) -> bool {
    match split_model_key(key) {
        Some((m, sk)) => {
            if spec.model != m || spec.is_command() {
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
pub(crate) fn shard_owns(grid: &Grid, shard: &Shard, t: &Trial) -> bool {
    match grid.search {
        Search::Halving(_) => shard.owns(&t.spec.config_id()),
        Search::Grid => shard.owns(&t.id),
    }
}

/// `[search]` checks that need the expanded plan: `min_epochs` may not exceed any trial's
/// `epochs` (which may be an axis).
pub(crate) fn check_search(grid: &Grid, trials: &[Trial]) -> Result<(), GridErrors> {
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
