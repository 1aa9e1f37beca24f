//! `[schedule]`: when an overnight sweep should start so that it emits the least CO₂ and still
//! ends by a deadline. Only the keys are checked here; the forecast itself is read (and the
//! start chosen) by `crate::schedule` when a command plans the sweep.

use chrono::{DateTime, FixedOffset};
use std::path::{Path, PathBuf};

/// Where the carbon-intensity forecast comes from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ForecastSource {
    /// A CSV file (`time`, `carbon_intensity_g_per_kwh`), relative paths from the grid's folder.
    File(PathBuf),
    /// A program printing the same CSV on stdout (no shell), run in the grid's folder.
    Command(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ScheduleSpec {
    pub(crate) source: ForecastSource,
    /// The sweep must end by then.
    pub(crate) deadline: DateTime<FixedOffset>,
    /// The sweep's duration when the grid says it; otherwise predicted from earlier results.
    pub(crate) expected_duration_s: Option<f64>,
    /// The sweep's energy when the grid says it (for the grams); otherwise predicted.
    pub(crate) expected_energy_j: Option<f64>,
    /// The grid's folder: where the command runs and relative paths start.
    pub(crate) dir: PathBuf,
}

pub(crate) const SCHEDULE_KEYS: [&str; 5] =
    ["forecast", "forecast_command", "deadline", "expected_duration_s", "expected_energy_j"];

/// An ISO 8601 / RFC 3339 time with its zone (`2026-12-04T06:00:00+01:00`, `…Z`).
pub(crate) fn parse_time(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s.trim()).map_err(|e| {
        format!("{s:?} is not an ISO 8601 time with a zone, like 2026-12-04T06:00:00+01:00 ({e})")
    })
}

/// Check `[schedule]`; problems come back as (key, message) pairs.
pub(crate) fn parse_schedule(
    t: &toml::Table,
    grid_path: &Path,
) -> Result<ScheduleSpec, Vec<(String, String)>> {
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut bad = |k: &str, m: String| problems.push((format!("schedule.{k}"), m));
    let dir = match grid_path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut source = None;
    let mut deadline = None;
    let expected = |k: &str, v: &toml::Value, bad: &mut dyn FnMut(&str, String)| match v {
        toml::Value::Integer(i) if *i > 0 => Some(*i as f64),
        toml::Value::Float(x) if x.is_finite() && *x > 0.0 => Some(*x),
        _ => {
            bad(k, format!("= {v}: must be a number > 0"));
            None
        }
    };
    let (mut duration, mut energy) = (None, None);
    for (k, v) in t {
        match k.as_str() {
            "forecast" => match v.as_str() {
                Some(p) if !p.trim().is_empty() => {
                    if source.replace(ForecastSource::File(dir.join(p))).is_some() {
                        bad(k, "give `forecast` or `forecast_command`, not both".into());
                    }
                }
                _ => bad(k, format!("= {v}: must be the path of a CSV file")),
            },
            "forecast_command" => {
                let argv: Option<Vec<String>> = v
                    .as_array()
                    .and_then(|a| a.iter().map(|x| x.as_str().map(String::from)).collect());
                match argv {
                    Some(argv) if !argv.is_empty() && !argv[0].is_empty() => {
                        if source.replace(ForecastSource::Command(argv)).is_some() {
                            bad(k, "give `forecast` or `forecast_command`, not both".into());
                        }
                    }
                    _ => bad(
                        k,
                        format!(
                            "= {v}: must be a non-empty array of strings (the program and its arguments; no shell)"
                        ),
                    ),
                }
            }
            "deadline" => match v.as_str().map(parse_time) {
                Some(Ok(d)) => deadline = Some(d),
                Some(Err(e)) => bad(k, e),
                None => bad(k, format!("= {v}: must be a string, an ISO 8601 time with a zone")),
            },
            "expected_duration_s" => duration = expected(k, v, &mut bad),
            "expected_energy_j" => energy = expected(k, v, &mut bad),
            other => bad(
                other,
                format!(
                    "unknown key{}",
                    crate::names::nearest(other, SCHEDULE_KEYS.iter().copied())
                ),
            ),
        }
    }
    if source.is_none() {
        bad(
            "forecast",
            "[schedule] needs `forecast = \"file.csv\"` or `forecast_command = [...]`".into(),
        );
    }
    if deadline.is_none() && !t.contains_key("deadline") {
        bad(
            "deadline",
            "[schedule] needs `deadline`, an ISO 8601 time with a zone by which the sweep must end"
                .into(),
        );
    }
    match (source, deadline) {
        (Some(source), Some(deadline)) if problems.is_empty() => Ok(ScheduleSpec {
            source,
            deadline,
            expected_duration_s: duration,
            expected_energy_j: energy,
            dir,
        }),
        _ => Err(problems),
    }
}
