//! `wattsweep merge OUT`: the shards under `<out>/shards/*/` (and a non-sharded run's rows already
//! in `<out>/results.csv`) become one `<out>/results.csv` and `<out>/epochs.csv`.
//!
//! Rules, in order:
//! - A row is an attempt, named by `(trial_id, attempt_id)`. The same attempt seen twice (a shard
//!   and the copy an earlier merge left in `<out>/results.csv`) is one attempt: a duplicate.
//! - Per trial, an `ok` attempt wins over any other status. Two different `ok` attempts (the trial
//!   ran in two shards at once, or after `--fresh`) are a conflict: the first to finish is kept,
//!   and every `ok` attempt of the trial goes to `<out>/conflicts.csv`, so none is dropped silently.
//! - Without an `ok` attempt, the latest attempt is kept (as the runner does for resume).
//! - The plan is the union of the `trials` lists of every `run.json`; planned trials without a row
//!   are missing. Rows outside the plan (an older grid in the same directory) are kept.
//! - epochs.csv keeps exactly the epoch rows of the kept attempts.
//! - Shard files are read up to their last complete line: a task may be appending, or may have
//!   been killed mid-write, and merging must not repair (i.e. write) another run's files.

use crate::results::{
    DECISIONS_FILE, Decision, EpochRow, ResultRow, encode, read_tolerant, write_atomic,
};
use anyhow::{Context, Result};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A planned trial, from a run.json `trials` entry.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PlanEntry {
    pub trial_id: String,
    pub settings: String,
}

/// One directory's files: a shard, or the top-level `<out>` of a non-sharded run.
#[derive(Clone, Debug, Default)]
pub(crate) struct Source {
    /// `shards/0-of-4`, or `.` for `<out>` itself.
    pub label: String,
    pub dir: PathBuf,
    pub results: Vec<ResultRow>,
    pub epochs: Vec<EpochRow>,
    pub plan: Vec<PlanEntry>,
    /// Files whose last line was incomplete (ignored).
    pub torn: Vec<PathBuf>,
}

/// Two or more different `ok` attempts of one trial.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Conflict {
    pub trial_id: String,
    /// `(source label, attempt_id, test_accuracy, energy_j)`, the kept one first.
    pub attempts: Vec<(String, String, Option<f64>, Option<f64>)>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct MergeReport {
    pub sources: Vec<String>,
    pub planned: usize,
    /// Trials in the merged results.csv.
    pub trials: usize,
    pub ok: usize,
    /// Kept attempts that are not `ok`: `(trial_id, status)`.
    pub not_ok: Vec<(String, String)>,
    /// Planned trials without any row.
    pub missing: Vec<PlanEntry>,
    /// Attempts seen more than once (counted beyond the first).
    pub duplicates: usize,
    pub conflicts: Vec<Conflict>,
    /// Trials with rows but in no run.json plan (kept).
    pub outside_plan: usize,
    pub epochs: usize,
    pub torn: Vec<PathBuf>,
    /// The distinct `machine_id`s of the shards' machine.json, sorted.
    pub machines: Vec<String>,
}

impl MergeReport {
    /// 0: every planned trial has one `ok` attempt and nothing conflicts; 1: conflicts, missing
    /// or not-`ok` trials (the merge is still written). Errors (exit 2) never reach a report.
    pub(crate) fn exit_code(&self) -> i32 {
        if self.conflicts.is_empty() && self.missing.is_empty() && self.not_ok.is_empty() {
            0
        } else {
            1
        }
    }
}

/// What merging produced, before anything is written.
#[derive(Clone, Debug, Default)]
pub(crate) struct Merged {
    pub results: Vec<ResultRow>,
    pub epochs: Vec<EpochRow>,
    /// Every `ok` attempt of a conflicting trial.
    pub conflict_rows: Vec<ResultRow>,
    /// `(trial_id, source dir)` of each kept attempt, to find its power series.
    pub kept_from: Vec<(String, PathBuf)>,
    pub report: MergeReport,
}

/// Seconds since the epoch of an ISO 8601 time; rows from nodes in different zones compare right.
fn instant(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t).map(|d| d.timestamp()).unwrap_or(i64::MIN)
}

/// Merge sources (shards first, `<out>` last: where one attempt appears in both, the shard's copy,
/// the original, is used).
pub(crate) fn merge(sources: &[Source]) -> Merged {
    let mut m = Merged::default();
    m.report.sources = sources.iter().map(|s| s.label.clone()).collect();
    m.report.torn = sources.iter().flat_map(|s| s.torn.iter().cloned()).collect();

    // Attempts per trial, each once, in first-seen order.
    let mut order: Vec<String> = Vec::new();
    let mut attempts: HashMap<String, Vec<(usize, &ResultRow)>> = HashMap::new();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    for (si, s) in sources.iter().enumerate() {
        for row in &s.results {
            if !seen.insert((&row.trial_id, &row.attempt_id)) {
                m.report.duplicates += 1;
                continue;
            }
            let list = attempts.entry(row.trial_id.clone()).or_default();
            if list.is_empty() {
                order.push(row.trial_id.clone());
            }
            list.push((si, row));
        }
    }

    let mut kept: Vec<(usize, &ResultRow)> = Vec::new();
    for id in &order {
        let list = &attempts[id];
        let mut oks: Vec<&(usize, &ResultRow)> =
            list.iter().filter(|(_, r)| r.status == "ok").collect();
        let choice = if oks.is_empty() {
            // The latest attempt is the trial's current state; ties go to the later source.
            *list.iter().max_by_key(|(si, r)| (instant(&r.finished_at), *si)).unwrap_or(&list[0])
        } else {
            // The first measurement to finish is kept; later ones exist only because of a race.
            oks.sort_by_key(|(si, r)| (instant(&r.finished_at), *si));
            if oks.len() > 1 {
                m.report.conflicts.push(Conflict {
                    trial_id: id.clone(),
                    attempts: oks
                        .iter()
                        .map(|(si, r)| {
                            (
                                sources[*si].label.clone(),
                                r.attempt_id.clone(),
                                r.test_accuracy,
                                r.energy_j,
                            )
                        })
                        .collect(),
                });
                m.conflict_rows.extend(oks.iter().map(|(_, r)| (*r).clone()));
            }
            *oks[0]
        };
        kept.push(choice);
    }
    // Chronological, like a single run's results.csv.
    kept.sort_by(|(_, a), (_, b)| {
        (instant(&a.started_at), &a.trial_id).cmp(&(instant(&b.started_at), &b.trial_id))
    });

    // Epochs of the kept attempts, from whichever source has them, each epoch once.
    let wanted: HashSet<(&str, &str)> =
        kept.iter().map(|(_, r)| (r.trial_id.as_str(), r.attempt_id.as_str())).collect();
    let mut by_attempt: HashMap<(&str, &str), Vec<&EpochRow>> = HashMap::new();
    let mut epoch_seen: HashSet<(&str, &str, usize)> = HashSet::new();
    for s in sources {
        for e in &s.epochs {
            let key = (e.trial_id.as_str(), e.attempt_id.as_str());
            if wanted.contains(&key) && epoch_seen.insert((key.0, key.1, e.epoch)) {
                by_attempt.entry(key).or_default().push(e);
            }
        }
    }
    for (_, r) in &kept {
        if let Some(list) = by_attempt.get_mut(&(r.trial_id.as_str(), r.attempt_id.as_str())) {
            list.sort_by_key(|e| e.epoch);
            m.epochs.extend(list.iter().map(|e| (*e).clone()));
        }
    }

    // The plan: union of every run.json, first-seen order.
    let mut planned: Vec<&PlanEntry> = Vec::new();
    let mut plan_ids: HashSet<&str> = HashSet::new();
    for p in sources.iter().flat_map(|s| &s.plan) {
        if plan_ids.insert(&p.trial_id) {
            planned.push(p);
        }
    }
    m.report.planned = planned.len();
    m.report.missing = planned
        .iter()
        .filter(|p| !attempts.contains_key(&p.trial_id))
        .map(|p| (*p).clone())
        .collect();
    m.report.outside_plan = order.iter().filter(|id| !plan_ids.contains(id.as_str())).count();
    m.report.trials = kept.len();
    m.report.ok = kept.iter().filter(|(_, r)| r.status == "ok").count();
    // A trial pruned by successive halving ended as planned: not a failure to report.
    m.report.not_ok = kept
        .iter()
        .filter(|(_, r)| r.status != "ok" && r.status != "pruned")
        .map(|(_, r)| (r.trial_id.clone(), r.status.clone()))
        .collect();
    m.report.epochs = m.epochs.len();
    m.kept_from =
        kept.iter().map(|(si, r)| (r.trial_id.clone(), sources[*si].dir.clone())).collect();
    m.results = kept.into_iter().map(|(_, r)| r.clone()).collect();
    m
}

/// The `trials` of a run.json; `None` when there is no run.json.
pub(crate) fn read_plan(path: &Path) -> Result<Option<Vec<PlanEntry>>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
    };
    let v: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    let trials = v
        .get("trials")
        .and_then(|t| t.as_array())
        .with_context(|| format!("{}: no `trials` list", path.display()))?;
    let mut out = Vec::with_capacity(trials.len());
    for t in trials {
        let id = t
            .get("trial_id")
            .and_then(|x| x.as_str())
            .with_context(|| format!("{}: a trial without trial_id", path.display()))?;
        let settings = t.get("settings").and_then(|x| x.as_str()).unwrap_or_default();
        out.push(PlanEntry { trial_id: id.to_string(), settings: settings.to_string() });
    }
    Ok(Some(out))
}

/// One directory's results, epochs and plan.
pub(crate) fn read_source(dir: &Path, label: String) -> Result<Source> {
    let (results, torn_r) = read_tolerant::<ResultRow>(&dir.join("results.csv"))?;
    let (epochs, torn_e) = read_tolerant::<EpochRow>(&dir.join("epochs.csv"))?;
    let plan = read_plan(&dir.join("run.json"))?.unwrap_or_default();
    let torn = [(torn_r, "results.csv"), (torn_e, "epochs.csv")]
        .into_iter()
        .filter(|(t, _)| *t)
        .map(|(_, f)| dir.join(f))
        .collect();
    Ok(Source { label, dir: dir.to_path_buf(), results, epochs, plan, torn })
}

/// Every shard under `<out>/shards/` (sorted by name), then `<out>` itself.
pub(crate) fn read_sources(out: &Path) -> Result<Vec<Source>> {
    let mut sources = Vec::new();
    let shards = out.join("shards");
    if let Ok(entries) = std::fs::read_dir(&shards) {
        let mut dirs: Vec<PathBuf> =
            entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir()).collect();
        dirs.sort();
        for d in dirs {
            let name = d.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            sources.push(read_source(&d, format!("shards/{name}"))?);
        }
    }
    sources.push(read_source(out, ".".into())?);
    Ok(sources)
}

/// Successive halving: each shard halves its own configurations, so the shards' halving.csv
/// files hold disjoint configurations; `<out>/halving.csv` is their concatenation (by rung,
/// then shard). Without shard decisions an existing file (a non-sharded run) is left alone.
fn merge_decisions(out: &Path) -> Result<()> {
    let mut all: Vec<(usize, Decision)> = Vec::new();
    let Ok(entries) = std::fs::read_dir(out.join("shards")) else { return Ok(()) };
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    dirs.sort();
    for (i, d) in dirs.iter().enumerate() {
        let (rows, _) = read_tolerant::<Decision>(&d.join(DECISIONS_FILE))?;
        all.extend(rows.into_iter().map(|r| (i, r)));
    }
    if all.is_empty() {
        return Ok(());
    }
    all.sort_by_key(|(i, d)| (d.rung, *i));
    let rows: Vec<Decision> = all.into_iter().map(|(_, d)| d).collect();
    write_atomic(&out.join(DECISIONS_FILE), &encode(&rows, true)?)
}

/// Read, merge and write `<out>/results.csv`, `<out>/epochs.csv`, `<out>/conflicts.csv` (only
/// with conflicts) and the kept attempts' power series under `<out>/power/`. The caller holds
/// `<out>/.lock`, so no non-sharded run appends to `<out>/results.csv` meanwhile.
pub(crate) fn merge_dir(out: &Path) -> Result<MergeReport> {
    let sources = read_sources(out)?;
    if sources.iter().all(|s| s.results.is_empty() && s.plan.is_empty()) {
        anyhow::bail!(
            "{}: nothing to merge (no shards/*/results.csv or run.json, no results.csv)",
            out.display()
        );
    }
    let m = merge(&sources);
    write_atomic(&out.join("results.csv"), &encode(&m.results, true)?)?;
    write_atomic(&out.join("epochs.csv"), &encode(&m.epochs, true)?)?;
    merge_decisions(out)?;
    let conflicts = out.join("conflicts.csv");
    if m.conflict_rows.is_empty() {
        // A conflicts.csv from an earlier merge would describe a state that no longer exists.
        if conflicts.exists() {
            std::fs::remove_file(&conflicts)
                .with_context(|| format!("{}: cannot remove", conflicts.display()))?;
        }
    } else {
        write_atomic(&conflicts, &encode(&m.conflict_rows, true)?)?;
    }
    for (id, dir) in &m.kept_from {
        // Trial ids come from CSV text: only plain ids may name a file.
        if dir == out || id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        let from = dir.join("power").join(format!("{id}.csv"));
        if let Ok(bytes) = std::fs::read(&from) {
            std::fs::create_dir_all(out.join("power"))
                .with_context(|| format!("{}: cannot create", out.join("power").display()))?;
            write_atomic(&out.join("power").join(format!("{id}.csv")), &bytes)?;
        }
    }
    let mut report = m.report;
    report.machines = merge_machine(out, &sources)?;
    Ok(report)
}

/// `<out>/machine.json` from the shards': written when they all ran on one machine (as
/// `compare` and `export` read it), left alone when they ran on several (each shard keeps its
/// own, and every row its `machine_id`). Returns the shards' distinct machine ids.
fn merge_machine(out: &Path, sources: &[Source]) -> Result<Vec<String>> {
    let shards: Vec<_> = sources
        .iter()
        .filter(|s| s.dir != out)
        .filter_map(|s| crate::machine::read_machine(&s.dir))
        .filter(|m| !m.machine_id.is_empty())
        .collect();
    let mut ids: Vec<String> = shards.iter().map(|m| m.machine_id.clone()).collect();
    ids.sort();
    ids.dedup();
    if let ([_], Some(first)) = (ids.as_slice(), shards.first()) {
        write_atomic(&out.join(crate::machine::MACHINE_FILE), &serde_json::to_vec_pretty(first)?)?;
    }
    Ok(ids)
}
