//! Choosing the start: the sweep's duration (given, or predicted from earlier results of the
//! same configurations in the output folder), then the start between now and deadline −
//! duration whose window has the least ∫ intensity dt; ties go to the earliest.

use super::forecast::Forecast;
use crate::config::ScheduleSpec;
use crate::plan::Trial;
use crate::results::{ResultRow, read_tolerant};
use anyhow::{Result, bail};
use chrono::{DateTime, FixedOffset, TimeDelta};
use std::collections::HashMap;
use std::path::Path;

/// What the sweep is predicted to cost, and from what.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Prediction {
    pub(crate) duration_s: f64,
    pub(crate) energy_j: Option<f64>,
    /// `expected_duration_s`, or `N earlier results`.
    pub(crate) from: String,
}

/// The schedule's decision.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Choice {
    pub(crate) now: String,
    pub(crate) start: String,
    pub(crate) deadline: String,
    pub(crate) duration_s: f64,
    pub(crate) duration_from: String,
    pub(crate) energy_j: Option<f64>,
    /// Mean forecast intensity over the sweep's window, g/kWh, at the chosen start and now.
    pub(crate) intensity_at_start: f64,
    pub(crate) intensity_now: f64,
    /// Predicted grams of CO₂ (needs a predicted energy).
    pub(crate) grams_at_start: Option<f64>,
    pub(crate) grams_now: Option<f64>,
    pub(crate) forecast: String,
}

/// Wall seconds of a row (finished_at − started_at).
fn wall_s(r: &ResultRow) -> Option<f64> {
    let (a, b) = (
        DateTime::parse_from_rfc3339(&r.started_at).ok()?,
        DateTime::parse_from_rfc3339(&r.finished_at).ok()?,
    );
    Some((b - a).num_milliseconds() as f64 / 1000.0).filter(|s| *s >= 0.0)
}

/// The duration and energy of the trials still to run: `expected_*` when the grid gives them,
/// else each trial from its configuration's earlier `ok` rows in `out` (their mean), a trial of
/// an unseen configuration at the mean of the seen ones. `None` without either.
pub(crate) fn predict(
    spec: &ScheduleSpec,
    trials: &[Trial],
    out: &Path,
) -> Result<Option<Prediction>> {
    let rows: Vec<ResultRow> = match out.join("results.csv") {
        p if p.is_file() => read_tolerant(&p)?.0,
        _ => Vec::new(),
    };
    let done: std::collections::HashSet<&str> =
        rows.iter().filter(|r| r.status == "ok").map(|r| r.trial_id.as_str()).collect();
    let mut by_config: HashMap<&str, Vec<&ResultRow>> = HashMap::new();
    for r in rows.iter().filter(|r| r.status == "ok" && wall_s(r).is_some()) {
        by_config.entry(r.config_id.as_str()).or_default().push(r);
    }
    let todo: Vec<&Trial> = trials.iter().filter(|t| !done.contains(t.id.as_str())).collect();
    let seen: Vec<&ResultRow> = by_config.values().flatten().copied().collect();
    let mean = |v: &[&ResultRow], f: &dyn Fn(&ResultRow) -> Option<f64>| {
        let xs: Vec<f64> = v.iter().filter_map(|r| f(r)).collect();
        (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
    };
    let predicted = |f: &dyn Fn(&ResultRow) -> Option<f64>| -> Option<f64> {
        let fallback = mean(&seen, f)?;
        Some(
            todo.iter()
                .map(|t| {
                    by_config
                        .get(t.spec.config_id().as_str())
                        .and_then(|v| mean(v, f))
                        .unwrap_or(fallback)
                })
                .sum(),
        )
    };
    let duration = match spec.expected_duration_s {
        Some(d) => Some((d, "expected_duration_s".to_string())),
        None => predicted(&wall_s)
            .map(|d| (d, format!("{} earlier results in {}", seen.len(), out.display()))),
    };
    let Some((duration_s, from)) = duration else { return Ok(None) };
    let energy_j = spec.expected_energy_j.or_else(|| predicted(&|r: &ResultRow| r.energy_j));
    Ok(Some(Prediction { duration_s, energy_j, from }))
}

/// The start in [now, deadline − duration] with the least ∫ intensity over [start, start +
/// duration]; the earliest of equals. The integral is piecewise linear in the start, so its
/// minimum is at an end of the range or where the window's start or end meets a step.
pub(crate) fn best_start(
    f: &Forecast,
    now: DateTime<FixedOffset>,
    deadline: DateTime<FixedOffset>,
    duration_s: f64,
) -> Result<DateTime<FixedOffset>> {
    let d = TimeDelta::milliseconds((duration_s * 1000.0).ceil() as i64);
    let latest = deadline - d;
    if latest < now {
        bail!(
            "schedule.deadline: the sweep is predicted to take {duration_s:.0} s, so it cannot end by {deadline} when started at {now}"
        );
    }
    if f.start() > now || f.end() < deadline {
        bail!(
            "{}: covers {} to {}, not now ({now}) to the deadline ({deadline})",
            f.origin,
            f.start(),
            f.end()
        );
    }
    let mut candidates: Vec<DateTime<FixedOffset>> = vec![now, latest];
    for s in f.steps() {
        candidates.extend([s, s - d]);
    }
    candidates.retain(|c| *c >= now && *c <= latest);
    candidates.sort();
    let mut best = (now, f.integral(now, now + d));
    for c in candidates {
        let v = f.integral(c, c + d);
        if v < best.1 - 1e-9 * best.1.abs().max(1.0) {
            best = (c, v);
        }
    }
    Ok(best.0)
}

/// Where a run records its decision (for the report's realised-against-at-once figure).
pub(crate) const SCHEDULE_FILE: &str = "schedule.json";

/// The whole decision for a grid's `[schedule]` at `now`, with the forecast read.
pub(crate) fn decide(
    spec: &ScheduleSpec,
    f: &Forecast,
    trials: &[Trial],
    out: &Path,
    now: DateTime<FixedOffset>,
) -> Result<Choice> {
    let Some(p) = predict(spec, trials, out)? else {
        bail!(
            "schedule.expected_duration_s: no earlier results in {} to predict the sweep's duration from; set [schedule] expected_duration_s",
            out.display()
        );
    };
    let start = best_start(f, now, spec.deadline, p.duration_s)?;
    let d = TimeDelta::milliseconds((p.duration_s * 1000.0).ceil() as i64);
    let (at_start, at_now) = (f.mean(start, start + d), f.mean(now, now + d));
    let grams = |g: f64| p.energy_j.map(|e| e / 3.6e6 * g);
    Ok(Choice {
        now: now.to_rfc3339(),
        start: start.to_rfc3339(),
        deadline: spec.deadline.to_rfc3339(),
        duration_s: p.duration_s,
        duration_from: p.from.clone(),
        energy_j: p.energy_j,
        intensity_at_start: at_start,
        intensity_now: at_now,
        grams_at_start: grams(at_start),
        grams_now: grams(at_now),
        forecast: f.origin.clone(),
    })
}

impl Choice {
    /// `schedule: start at …` with the predicted grams, for `plan` and the log.
    pub(crate) fn line(&self) -> String {
        let grams = match (self.grams_at_start, self.grams_now) {
            (Some(a), Some(n)) => {
                format!("predicted {a:.2} g CO₂ at that start, {n:.2} g if started now")
            }
            _ => "no energy prediction for grams (set [schedule] expected_energy_j)".to_string(),
        };
        format!(
            "schedule: start at {} ({:.0} g/kWh over the sweep, {:.0} g/kWh if started now; {grams}; duration {:.0} s from {}; deadline {})",
            self.start,
            self.intensity_at_start,
            self.intensity_now,
            self.duration_s,
            self.duration_from,
            self.deadline
        )
    }
}
