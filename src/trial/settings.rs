//! The table of trial settings: one [`Setting`] per key a grid may fix or sweep. Everything that
//! lists settings is derived from it — the keys a grid accepts and the order axes expand in,
//! setting a key from a grid value, the canonical form behind trial ids, the plan's text line and
//! CSV, the results.csv settings columns (`to_row`), summary.csv's settings columns and the
//! report's labels (`of_row`). Adding a setting touches this table, the [`TrialSpec`] field and
//! its default, and the [`ResultRow`] field; `settings::tests` fails on a miss (a column the
//! results, plan or summary lack, a setting `base_row` leaves blank, a docs row without it).

use crate::backend::Backend;
use crate::models::ModelSettings;
use crate::names::{Named, parse_named};
use crate::results::ResultRow;
use crate::trial::spec::TrialSpec;
use crate::value::Value;

/// One trial setting.
pub(crate) struct Setting {
    pub(crate) key: &'static str,
    /// The default as docs/grid.md writes it (a test checks the docs row says it).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) default: &'static str,
    /// The plan's text line when the cell is empty (an optional setting left unset).
    pub(crate) unset: &'static str,
    /// Set from a grid value; `Err` says what is wrong (the caller adds where).
    pub(crate) set: fn(&mut TrialSpec, &Value) -> Result<(), String>,
    /// The value as a cell of the plan (text and CSV) and of a command's `{key}`; empty: unset.
    pub(crate) cell: fn(&TrialSpec) -> String,
    /// Its `key=value` part of the canonical form; `None`: left out, so trials at the value that
    /// reproduces the training of before the setting existed keep their ids.
    pub(crate) canonical: fn(&TrialSpec) -> Option<String>,
    /// Position in the canonical form (which predates this table, so it has its own order).
    pub(crate) id_rank: u8,
    /// Writes the setting into its results.csv column(s).
    pub(crate) to_row: fn(&TrialSpec, &mut ResultRow),
    /// Reads it back from a results.csv row as a cell (summary.csv, report labels).
    pub(crate) of_row: fn(&ResultRow) -> String,
    /// How the report's short label shows it.
    pub(crate) label: Label,
    /// Differs between the trials of one configuration (`seed`, `repeat`): not in the config id
    /// nor a summary.csv column.
    pub(crate) per_trial: bool,
    /// A valid value other than the default (the tests set every setting to it).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) example: fn() -> Value,
}

/// How a setting appears in the report's label (`mlp adam lr=0.001 bs=64 [tch] threads=2`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Label {
    /// Not shown.
    Hidden,
    /// The value alone.
    Bare,
    /// `prefix` + value + `suffix`, whenever the cell is not empty.
    Tagged(&'static str, &'static str),
    /// `[value]` unless it is empty or this value.
    BracketedUnless(&'static str),
}

/// A whole number ≥ `min` from a grid value.
fn whole(v: &Value, min: u64) -> Result<u64, String> {
    match v {
        Value::Int(i) if *i >= min as i64 => Ok(*i as u64),
        Value::Int(_) => Err(format!("must be ≥ {min}")),
        Value::Float(_) => Err("must be a whole number (an integer), not a float".into()),
        _ => Err("must be a whole number".into()),
    }
}

/// A name of `T` from a grid value.
fn name_of<T: Named>(v: &Value) -> Result<T, String> {
    match v {
        Value::Str(s) => parse_named(s),
        _ => Err(format!("must be a string, one of: {}", crate::names::valid_names::<T>())),
    }
}

/// A number that `ok` accepts, else `why`.
fn number(v: &Value, ok: impl Fn(f64) -> bool, why: &str) -> Result<f64, String> {
    match v.number() {
        Some(x) if x.is_finite() && ok(x) => Ok(x),
        Some(_) => Err(format!("must be {why}")),
        None => Err("must be a number".into()),
    }
}

fn opt_cell<T: ToString>(o: Option<T>) -> String {
    o.map(|x| x.to_string()).unwrap_or_default()
}

/// `all` for an unset limit, as the canonical form has always written it.
fn opt_canon(o: Option<usize>) -> String {
    o.map_or("all".to_string(), |n| n.to_string())
}

/// A closed-set name for built-in trials, the grid's free-form value for command trials.
fn named(s: &TrialSpec, key: &str) -> String {
    s.named_setting(key)
}

fn named_canon(s: &TrialSpec, key: &str) -> String {
    match s.is_command() {
        true => s.free.get(key).map_or(String::new(), crate::trial::spec::canonical_value),
        false => named(s, key),
    }
}

/// Every trial setting, in the order axes expand (outermost first): this order decides the
/// plan's trial order and so the shards. A new setting goes at the end of the files' columns.
pub(crate) const SETTINGS: [Setting; 15] = [
    Setting {
        key: "dataset",
        default: "`\"mnist\"`",
        unset: "-",
        set: |s, v| {
            s.dataset = name_of(v)?;
            Ok(())
        },
        cell: |s| named(s, "dataset"),
        canonical: |s| Some(named_canon(s, "dataset")),
        id_rank: 0,
        to_row: |s, r| r.dataset = named(s, "dataset"),
        of_row: |r| r.dataset.clone(),
        label: Label::Hidden,
        per_trial: false,
        example: || Value::Str("fashion-mnist".into()),
    },
    Setting {
        key: "model",
        default: "— (required)",
        unset: "-",
        set: |s, v| {
            let model = name_of(v)?;
            if model != s.model {
                s.model = model;
                s.model_settings = ModelSettings::defaults(model);
            }
            Ok(())
        },
        cell: |s| s.model_name(),
        canonical: |s| Some(named_canon(s, "model")),
        id_rank: 1,
        to_row: |s, r| r.model = s.model_name(),
        of_row: |r| r.model.clone(),
        label: Label::Bare,
        per_trial: false,
        example: || Value::Str("cnn".into()),
    },
    Setting {
        key: "optimizer",
        default: "`\"adam\"`",
        unset: "-",
        set: |s, v| {
            s.optimizer = name_of(v)?;
            Ok(())
        },
        cell: |s| named(s, "optimizer"),
        canonical: |s| Some(named_canon(s, "optimizer")),
        id_rank: 2,
        to_row: |s, r| r.optimizer = named(s, "optimizer"),
        of_row: |r| r.optimizer.clone(),
        label: Label::Bare,
        per_trial: false,
        example: || Value::Str("sgd".into()),
    },
    Setting {
        key: "learning_rate",
        default: "`0.001`",
        unset: "-",
        set: |s, v| {
            s.learning_rate = number(v, |x| x > 0.0, "> 0")?;
            Ok(())
        },
        cell: |s| s.learning_rate.to_string(),
        canonical: |s| Some(format!("{:?}", s.learning_rate)),
        id_rank: 3,
        to_row: |s, r| r.learning_rate = s.learning_rate,
        of_row: |r| r.learning_rate.to_string(),
        label: Label::Tagged("lr=", ""),
        per_trial: false,
        example: || Value::Float(0.05),
    },
    Setting {
        key: "momentum",
        default: "`0`",
        unset: "-",
        set: |s, v| {
            s.momentum = number(v, |x| (0.0..1.0).contains(&x), "in [0, 1)")?;
            Ok(())
        },
        cell: |s| s.momentum.to_string(),
        canonical: |s| Some(format!("{:?}", s.momentum)),
        id_rank: 4,
        to_row: |s, r| r.momentum = s.momentum,
        of_row: |r| r.momentum.to_string(),
        label: Label::Hidden,
        per_trial: false,
        example: || Value::Float(0.9),
    },
    Setting {
        key: "weight_decay",
        default: "optimizer's PyTorch default",
        unset: "default",
        set: |s, v| {
            s.weight_decay = Some(number(v, |x| x >= 0.0, "≥ 0")?);
            Ok(())
        },
        cell: |s| opt_cell(s.weight_decay),
        canonical: |s| Some(s.weight_decay.map_or("default".to_string(), |w| format!("{w:?}"))),
        id_rank: 5,
        to_row: |s, r| r.weight_decay = s.weight_decay,
        of_row: |r| opt_cell(r.weight_decay),
        label: Label::Hidden,
        per_trial: false,
        example: || Value::Float(0.001),
    },
    Setting {
        key: "batch_size",
        default: "`64`",
        unset: "-",
        set: |s, v| {
            s.batch_size = whole(v, 1)? as usize;
            Ok(())
        },
        cell: |s| s.batch_size.to_string(),
        canonical: |s| Some(s.batch_size.to_string()),
        id_rank: 6,
        to_row: |s, r| r.batch_size = s.batch_size,
        of_row: |r| r.batch_size.to_string(),
        label: Label::Tagged("bs=", ""),
        per_trial: false,
        example: || Value::Int(32),
    },
    Setting {
        key: "epochs",
        default: "`1`",
        unset: "-",
        set: |s, v| {
            s.epochs = whole(v, 1)? as usize;
            Ok(())
        },
        cell: |s| s.epochs.to_string(),
        canonical: |s| Some(s.epochs.to_string()),
        id_rank: 7,
        to_row: |s, r| r.epochs = s.epochs,
        of_row: |r| r.epochs.to_string(),
        label: Label::Hidden,
        per_trial: false,
        example: || Value::Int(3),
    },
    Setting {
        key: "train_limit",
        default: "all (60 000)",
        unset: "all",
        set: |s, v| {
            s.train_limit = Some(whole(v, 1)? as usize);
            Ok(())
        },
        cell: |s| opt_cell(s.train_limit),
        canonical: |s| Some(opt_canon(s.train_limit)),
        id_rank: 8,
        to_row: |s, r| r.train_limit = s.train_limit,
        of_row: |r| opt_cell(r.train_limit),
        label: Label::Hidden,
        per_trial: false,
        example: || Value::Int(100),
    },
    Setting {
        key: "test_limit",
        default: "all (10 000)",
        unset: "all",
        set: |s, v| {
            s.test_limit = Some(whole(v, 1)? as usize);
            Ok(())
        },
        cell: |s| opt_cell(s.test_limit),
        canonical: |s| Some(opt_canon(s.test_limit)),
        id_rank: 9,
        to_row: |s, r| r.test_limit = s.test_limit,
        of_row: |r| opt_cell(r.test_limit),
        label: Label::Hidden,
        per_trial: false,
        example: || Value::Int(50),
    },
    Setting {
        key: "backend",
        default: "`\"flex\"`",
        unset: "-",
        set: set_backend,
        cell: |s| s.backend.name().into(),
        canonical: |s| Some(s.backend.name().into()),
        id_rank: 10,
        to_row: |s, r| r.backend = s.backend.name().into(),
        of_row: |r| r.backend.clone(),
        label: Label::BracketedUnless("flex"),
        per_trial: false,
        example: || Value::Str("flex".into()),
    },
    Setting {
        key: "threads",
        default: "all (one per CPU)",
        unset: "all",
        set: |s, v| match whole(v, 1)? {
            n if n <= 4096 => {
                s.threads = Some(n as usize);
                Ok(())
            }
            _ => Err("must be at most 4096".into()),
        },
        cell: |s| opt_cell(s.threads),
        // All threads is what every trial used before `threads` existed.
        canonical: |s| s.threads.map(|n| n.to_string()),
        id_rank: 12,
        to_row: |s, r| r.threads = s.threads,
        of_row: |r| opt_cell(r.threads),
        label: Label::Tagged("threads=", ""),
        per_trial: false,
        example: || Value::Int(3),
    },
    Setting {
        key: "gpu_power_limit_w",
        default: "left alone",
        unset: "-",
        set: |s, v| match v.number() {
            Some(x) if x.is_finite() && x > 0.0 && x <= 10_000.0 => {
                s.gpu_power_limit_w = Some(x);
                Ok(())
            }
            Some(_) => Err("must be in (0, 10000] (watts)".into()),
            None => Err("must be a number (watts)".into()),
        },
        cell: |s| opt_cell(s.gpu_power_limit_w),
        // Left alone is what every trial did before the setting existed.
        canonical: |s| s.gpu_power_limit_w.map(|w| format!("{w:?}")),
        id_rank: 13,
        to_row: |s, r| r.gpu_power_limit_w = s.gpu_power_limit_w,
        of_row: |r| opt_cell(r.gpu_power_limit_w),
        label: Label::Tagged("gpu_power_limit=", " W"),
        per_trial: false,
        example: || Value::Float(150.0),
    },
    Setting {
        key: "seed",
        default: "`0`",
        unset: "-",
        set: |s, v| {
            s.seed = whole(v, 0)?;
            Ok(())
        },
        cell: |s| s.seed.to_string(),
        canonical: |s| Some(s.seed.to_string()),
        id_rank: 11,
        to_row: |s, r| r.seed = s.seed,
        of_row: |r| r.seed.to_string(),
        label: Label::Hidden,
        per_trial: true,
        example: || Value::Int(7),
    },
    Setting {
        key: "repeat",
        default: "`0`",
        unset: "-",
        set: |s, v| {
            s.repeat = whole(v, 0)?;
            Ok(())
        },
        cell: |s| s.repeat.to_string(),
        // Repeat 0 is what every trial was before repeats existed.
        canonical: |s| (s.repeat > 0).then(|| s.repeat.to_string()),
        id_rank: 14,
        to_row: |s, r| r.repeat = s.repeat,
        of_row: |r| r.repeat.to_string(),
        label: Label::Hidden,
        per_trial: true,
        example: || Value::Int(2),
    },
];

/// `backend`: switching to `command` turns the built-in names into free-form values the command
/// receives; switching away drops the command's free-form values.
fn set_backend(s: &mut TrialSpec, v: &Value) -> Result<(), String> {
    let backend: Backend = name_of(v)?;
    backend.check_available()?;
    if backend == Backend::Command && !s.is_command() {
        for (k, name) in [("dataset", s.dataset.name()), ("optimizer", s.optimizer.name())] {
            s.free.insert(k.into(), Value::Str(name.into()));
        }
    } else if backend != Backend::Command {
        s.free.clear();
        s.command = None;
    }
    s.backend = backend;
    Ok(())
}

/// The setting named `key`.
pub(crate) fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// The keys, in table order.
pub(crate) const SETTING_KEYS: [&str; SETTINGS.len()] = {
    let mut keys = [""; SETTINGS.len()];
    let mut i = 0;
    while i < keys.len() {
        keys[i] = SETTINGS[i].key;
        i += 1;
    }
    keys
};

/// The plan CSV's columns before the table existed: readers index them, so they keep their
/// places; settings added since follow in table order ([`later_settings`]).
pub(crate) const PLAN_COLUMNS: [&str; 17] = [
    "dataset",
    "model",
    "optimizer",
    "learning_rate",
    "momentum",
    "weight_decay",
    "batch_size",
    "epochs",
    "train_limit",
    "test_limit",
    "seed",
    "backend",
    "model_settings",
    "repeat",
    "config_id",
    "threads",
    "gpu_power_limit_w",
];

/// Settings a file's frozen first columns (`frozen`) do not list, in table order: they are
/// appended after them, so no column ever moves.
pub(crate) fn later_settings(frozen: &[&str]) -> Vec<&'static Setting> {
    SETTINGS.iter().filter(|s| !frozen.contains(&s.key)).collect()
}

/// The table in canonical-form order.
pub(crate) fn in_id_order() -> Vec<&'static Setting> {
    let mut v: Vec<&Setting> = SETTINGS.iter().collect();
    v.sort_by_key(|s| s.id_rank);
    v
}

#[cfg(test)]
#[path = "tests/settings.rs"]
mod tests;
