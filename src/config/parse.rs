//! Walks the TOML table of a grid file key by key, checking names, types and values, and
//! collecting every problem rather than stopping at the first (serde's `deny_unknown_fields`
//! would stop at one, and could not suggest the nearest valid name).

use super::command::{EXTRA_PLACEHOLDERS, RESERVED, parse_command};
use super::energy::parse_energy;
use super::grid::{
    Budget, DEFAULT_ETA, EnergySettings, Grid, GridErrors, Halving, InferenceSettings, Objective,
    Problem, Search,
};
use super::walker::Walker;
use crate::names::nearest;
use crate::trial::Value;
use crate::trial::settings::SETTING_KEYS;
use std::path::Path;

const TABLE_KEYS: [&str; 15] = [
    "name",
    "schedule",
    "command",
    "seeds",
    "repeats",
    "grid",
    "models",
    "include",
    "exclude",
    "energy",
    "budget",
    "search",
    "slurm",
    "inference",
    "inference_images",
];
const BUDGET_KEYS: [&str; 2] = ["max_energy_j", "max_time_s"];
const SEARCH_KEYS: [&str; 6] =
    ["strategy", "min_epochs", "eta", "objective", "keep_within_noise", "max_keep"];
const STRATEGIES: [&str; 2] = ["grid", "halving"];
/// `[slurm]` keys (the same names as the `wattsweep slurm` flags).
pub(crate) const SLURM_KEYS: [&str; 10] = [
    "tasks",
    "max_parallel",
    "partition",
    "time",
    "cpus_per_task",
    "mem",
    "gpus",
    "exclusive",
    "shared",
    "account",
];

/// Parse and validate grid text; `path` is only used in messages and kept in the grid.
pub(crate) fn parse_grid(path: &Path, text: &str) -> Result<Grid, GridErrors> {
    let fail = |problems| GridErrors { path: path.to_path_buf(), problems };
    let root: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            let at = e.span().map(|s| line_col(text, s.start)).unwrap_or_default();
            let message = format!("TOML syntax error{at}: {}", e.message());
            return Err(fail(vec![Problem { key: String::new(), message }]));
        }
    };
    let mut w = Walker { problems: Vec::new(), has_command: false, command_keys: Vec::new() };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("grid").to_string();
    let mut grid = Grid {
        path: path.to_path_buf(),
        name: stem,
        fixed: Vec::new(),
        axes: Vec::new(),
        model_fixed: Vec::new(),
        model_axes: Vec::new(),
        include: Vec::new(),
        exclude: Vec::new(),
        energy: EnergySettings::default(),
        budget: Budget::default(),
        search: Search::Grid,
        inference: InferenceSettings::default(),
        slurm: toml::Table::new(),
        source_text: text.to_string(),
        command: None,
        schedule: None,
    };
    // `[command]` first: which keys it uses decides which of the grid's own keys are settings.
    if let Some(v) = root.get("command")
        && let Some(t) = w.table("command", v)
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let mut known: Vec<String> = SETTING_KEYS.iter().map(|k| k.to_string()).collect();
        known.extend(EXTRA_PLACEHOLDERS.iter().map(|k| k.to_string()));
        known.extend(grid_own_keys(&root));
        w.has_command = true;
        let mut found = Vec::new();
        grid.command = parse_command(t, &dir, &known, &mut found);
        for (key, message) in found {
            w.problem(key, message);
        }
        if let Some(c) = &grid.command {
            w.command_keys = grid_own_keys(&root).into_iter().filter(|k| c.uses(k)).collect();
        }
        for k in grid_own_keys(&root).iter().filter(|k| RESERVED.contains(&k.as_str())) {
            w.problem(
                k.as_str(),
                format!(
                    "is reserved: wattsweep sets WATTSWEEP_{} itself; name the setting otherwise",
                    k.to_ascii_uppercase()
                ),
            );
        }
    }
    let all_top: Vec<String> = SETTING_KEYS
        .iter()
        .chain(TABLE_KEYS.iter())
        .map(|k| k.to_string())
        .chain(w.command_keys.iter().cloned())
        .collect();
    let all_top: Vec<&str> = all_top.iter().map(String::as_str).collect();
    for (key, v) in &root {
        match key.as_str() {
            "command" => {}
            "name" => match v.as_str() {
                Some(n) if valid_name(n) => grid.name = n.to_string(),
                _ => w.problem(format!("name = {v}"), "must be a non-empty string of letters, digits, `-`, `_` or `.` (it names the output directory)"),
            },
            "seeds" => {
                if let Some(items) = w.axis("seeds", v) {
                    let values: Vec<Value> = items.iter().filter_map(|(at, x)| w.setting("seed", at, x)).collect();
                    grid.axes.push(("seed".into(), values));
                }
            }
            "repeats" => match v.as_integer() {
                // `repeats = N` is the axis `repeat = [0, …, N-1]`.
                Some(n) if (1..=10_000).contains(&n) => {
                    grid.axes.push(("repeat".into(), (0..n).map(Value::Int).collect()));
                }
                _ => w.problem(
                    format!("repeats = {v}"),
                    "must be a whole number from 1 to 10000 (runs of each configuration)",
                ),
            },
            "grid" => {
                if let Some(t) = w.table("grid", v) {
                    parse_axes(&mut w, &mut grid, t);
                }
            }
            "models" => {
                for (model, k, at, x) in w.model_tables("models", v) {
                    if let Some(value) = w.model_setting(model, &k, &at, x) {
                        grid.model_fixed.push((model, k, value));
                    }
                }
            }
            "include" | "exclude" => {
                let Some(items) = v.as_array() else {
                    w.problem(key.as_str(), format!("must be an array of tables: write [[{key}]]"));
                    continue;
                };
                for (i, item) in items.iter().enumerate() {
                    let at = format!("{key}[{i}]");
                    if let Some(t) = w.table(&at, item) {
                        let partial = w.partial(&at, t);
                        if key == "include" { grid.include.push(partial) } else { grid.exclude.push(partial) }
                    }
                }
            }
            "energy" => {
                if let Some(t) = w.table("energy", v) {
                    grid.energy = parse_energy(&mut w, t);
                }
            }
            "budget" => {
                if let Some(t) = w.table("budget", v) {
                    grid.budget = parse_budget(&mut w, t);
                }
            }
            "schedule" => {
                if let Some(t) = w.table("schedule", v) {
                    match super::schedule::parse_schedule(t, path) {
                        Ok(s) => grid.schedule = Some(s),
                        Err(problems) => problems.into_iter().for_each(|(k, m)| w.problem(k, m)),
                    }
                }
            }
            "inference" => match v.as_bool() {
                Some(b) => grid.inference.enabled = b,
                None => w.problem(
                    format!("inference = {v}"),
                    "must be true or false (false skips the measured inference phase)",
                ),
            },
            "inference_images" => match v.as_integer() {
                Some(n) if (1..=1_000_000).contains(&n) => grid.inference.images = n as usize,
                _ => w.problem(
                    format!("inference_images = {v}"),
                    "must be a whole number from 1 to 1000000 (images classified one at a time; `inference = false` skips the phase)",
                ),
            },
            "search" => {
                if let Some(t) = w.table("search", v) {
                    grid.search = parse_search(&mut w, t);
                }
            }
            "slurm" => {
                if let Some(t) = w.table("slurm", v) {
                    for k in t.keys() {
                        if !SLURM_KEYS.contains(&k.as_str()) {
                            w.unknown(&format!("slurm.{k}"), k, &SLURM_KEYS);
                        }
                    }
                    grid.slurm = t.clone();
                }
            }
            k if w.is_setting(k) => {
                if v.is_array() {
                    w.problem(k, format!("a list at top level is not allowed; put axes under [grid] (`[grid] {k} = [...]`), or give one value"));
                } else if let Some(value) = w.setting(k, k, v) {
                    grid.fixed.push((k.to_string(), value));
                }
            }
            k => w.unknown(k, k, &all_top),
        }
    }
    if grid.axes.iter().filter(|(k, _)| k == "repeat").count() > 1 {
        w.problem(
            "repeats",
            "repeats are given both as `repeats = N` and as `[grid] repeat = [...]`; keep one",
        );
    }
    if grid.axes.iter().filter(|(k, _)| k == "seed").count() > 1 {
        w.problem(
            "seeds",
            "seeds are given both as `seeds = [...]` and as `[grid] seed = [...]`; keep one",
        );
    }
    // Whether a model is named at all (even a misspelt one, which is reported on its own).
    let has_model = root.contains_key("model")
        || root.get("grid").and_then(|g| g.as_table()).is_some_and(|g| g.contains_key("model"));
    if !has_model && grid.include.is_empty() && grid.command.is_none() {
        w.problem(
            "model",
            "no model to train: add `[grid] model = [\"mlp\", \"cnn\", ...]` or `model = \"mlp\"`",
        );
    }
    // An [[include]] is one extra trial outside the [grid] axes: a model axis does not reach it,
    // only a top-level `model = "..."` does.
    let fixed_model = root.contains_key("model") || grid.command.is_some();
    for (i, inc) in grid.include.iter().enumerate() {
        if !fixed_model && !inc.iter().any(|(k, _)| k == "model") {
            w.problem(
                format!("include[{i}]"),
                "no model: an [[include]] is a trial outside the [grid] axes, so add `model = \"...\"` to this table",
            );
        }
    }
    if w.problems.is_empty() { Ok(grid) } else { Err(fail(w.problems)) }
}

fn parse_axes(w: &mut Walker, grid: &mut Grid, t: &toml::Table) {
    for (k, v) in t {
        let at = format!("grid.{k}");
        if k == "models" {
            for (model, sk, sat, sv) in w.model_tables(&at, v) {
                if let Some(items) = w.axis(&sat, sv) {
                    let values: Vec<Value> = items
                        .iter()
                        .filter_map(|(a, x)| w.model_setting(model, &sk, a, x))
                        .collect();
                    if values.len() == items.len() {
                        grid.model_axes.push((model, sk, values));
                    }
                }
            }
        } else if w.is_setting(k) {
            if let Some(items) = w.axis(&at, v) {
                let values: Vec<Value> =
                    items.iter().filter_map(|(a, x)| w.setting(k, a, x)).collect();
                if values.len() == items.len() {
                    grid.axes.push((k.clone(), values));
                }
            }
        } else {
            let mut valid: Vec<String> = w.valid_settings().into_iter().map(String::from).collect();
            valid.push("models".into());
            w.unknown(&at, k, &valid.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }
}

fn parse_budget(w: &mut Walker, t: &toml::Table) -> Budget {
    let mut b = Budget::default();
    for (k, v) in t {
        let at = format!("budget.{k}");
        if !BUDGET_KEYS.contains(&k.as_str()) {
            w.unknown(&at, k, &BUDGET_KEYS);
            continue;
        }
        match v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
            Some(x) if x.is_finite() && x > 0.0 => match k.as_str() {
                "max_energy_j" => b.max_energy_j = Some(x),
                _ => b.max_time_s = Some(x),
            },
            Some(_) => w.problem(
                format!("{at} = {v}"),
                "must be > 0 (a budget of 0 or less would stop before anything ran)",
            ),
            None => w.problem(format!("{at} = {v}"), "must be a number"),
        }
    }
    b
}

fn parse_search(w: &mut Walker, t: &toml::Table) -> Search {
    let mut strategy = None;
    let mut halving = Halving {
        min_epochs: 1,
        eta: DEFAULT_ETA,
        objective: Objective::Accuracy,
        keep_within_noise: true,
        max_keep: None,
    };
    let mut halving_keys = Vec::new();
    for (k, v) in t {
        let at = format!("search.{k}");
        match k.as_str() {
            "strategy" => match v.as_str() {
                Some(s) if STRATEGIES.contains(&s) => strategy = Some(s.to_string()),
                Some(s) => w.problem(
                    format!("{at} = {v}"),
                    format!(
                        "unknown strategy (expected \"grid\" or \"halving\"){}",
                        nearest(s, STRATEGIES.iter().copied())
                    ),
                ),
                None => w.problem(format!("{at} = {v}"), "must be \"grid\" or \"halving\""),
            },
            "min_epochs" | "eta" => {
                halving_keys.push(at.clone());
                let least = if k == "eta" { 2 } else { 1 };
                match v.as_integer() {
                    Some(n) if n >= least && n <= 1_000_000 => {
                        if k == "eta" {
                            halving.eta = n as usize;
                        } else {
                            halving.min_epochs = n as usize;
                        }
                    }
                    _ if k == "eta" => w.problem(
                        format!("{at} = {v}"),
                        "must be a whole number ≥ 2 (each rung keeps the best 1/eta)",
                    ),
                    _ => w.problem(format!("{at} = {v}"), "must be a whole number ≥ 1"),
                }
            }
            "objective" => {
                halving_keys.push(at.clone());
                match v.as_str() {
                    Some(s) => match Objective::NAMES.iter().position(|n| *n == s) {
                        Some(0) => halving.objective = Objective::Accuracy,
                        Some(1) => halving.objective = Objective::JoulesPerAccuracyPoint,
                        Some(_) => halving.objective = Objective::Pareto,
                        None => w.problem(
                            format!("{at} = {v}"),
                            format!(
                                "unknown objective (expected one of {}){}",
                                Objective::NAMES.join(", "),
                                nearest(s, Objective::NAMES.iter().copied())
                            ),
                        ),
                    },
                    None => w.problem(
                        format!("{at} = {v}"),
                        format!("must be one of {}", Objective::NAMES.join(", ")),
                    ),
                }
            }
            "keep_within_noise" => {
                halving_keys.push(at.clone());
                match v.as_bool() {
                    Some(b) => halving.keep_within_noise = b,
                    None => w.problem(
                        format!("{at} = {v}"),
                        "must be true or false (false: prune to the best 1/eta even on differences below the noise)",
                    ),
                }
            }
            "max_keep" => {
                halving_keys.push(at.clone());
                match v.as_integer() {
                    Some(n) if (1..=1_000_000).contains(&n) => halving.max_keep = Some(n as usize),
                    _ => w.problem(
                        format!("{at} = {v}"),
                        "must be a whole number ≥ 1 (the most configurations a rung lets go on)",
                    ),
                }
            }
            other => w.unknown(&at, other, &SEARCH_KEYS),
        }
    }
    match strategy.as_deref() {
        Some("halving") => Search::Halving(halving),
        _ => {
            if let (Some(key), Some(_)) = (halving_keys.first(), strategy.as_ref()) {
                w.problem(
                    key.clone(),
                    "applies to strategy = \"halving\" only (this grid's strategy is \"grid\")",
                );
            } else if let Some(key) = halving_keys.first() {
                w.problem(
                    key.clone(),
                    "applies to strategy = \"halving\" only: add `strategy = \"halving\"` to [search]",
                );
            }
            Search::Grid
        }
    }
}

/// Keys the grid sets that are no trial setting and no table: at top level, under `[grid]` and
/// in `[[include]]`/`[[exclude]]` (candidates for the `[command]`'s own settings).
fn grid_own_keys(root: &toml::Table) -> Vec<String> {
    let mut keys: Vec<String> = root.keys().cloned().collect();
    if let Some(g) = root.get("grid").and_then(|g| g.as_table()) {
        keys.extend(g.keys().filter(|k| *k != "models").cloned());
    }
    for table in ["include", "exclude"] {
        for item in root.get(table).and_then(|v| v.as_array()).into_iter().flatten() {
            if let Some(t) = item.as_table() {
                keys.extend(t.keys().filter(|k| *k != "models").cloned());
            }
        }
    }
    keys.retain(|k| !SETTING_KEYS.contains(&k.as_str()) && !TABLE_KEYS.contains(&k.as_str()));
    keys.sort();
    keys.dedup();
    keys
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n != "."
        && n != ".."
        && n.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// ` at line L, column C` for a byte offset (both 1-based).
fn line_col(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!(" at line {line}, column {col}")
}

/// Read and validate a grid file.
pub(crate) fn load_grid(path: &Path) -> Result<Grid, GridErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| GridErrors {
        path: path.to_path_buf(),
        problems: vec![Problem {
            key: String::new(),
            message: format!("cannot read the grid file: {e}"),
        }],
    })?;
    parse_grid(path, &text)
}
