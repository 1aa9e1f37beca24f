//! `wattsweep export OUT --format openmetrics`: the trials as an OpenMetrics text file
//! (`metrics.prom`) for Prometheus, e.g. node_exporter's textfile collector. Three gauge
//! families — training energy (J), training time (s), test accuracy (0–1) — with one sample per
//! trial that has the value, labelled by `trial_id`, `config_id`, `status`, `energy_source`,
//! every trial setting and `model_settings`. Gauges without timestamps or `_total` counters are
//! also valid Prometheus text format (0.0.4), which the textfile collector reads; the `# UNIT`
//! and `# EOF` lines are comments there.

use std::fmt::Write;

use crate::report::fmt::finite;
use crate::results::ResultRow;
use crate::trial::settings::SETTINGS;

/// One metric family: its name (the unit as its suffix, as OpenMetrics requires), unit, help
/// text and the value of a trial.
struct Family {
    name: &'static str,
    unit: &'static str,
    help: &'static str,
    value: fn(&ResultRow) -> Option<f64>,
}

const FAMILIES: [Family; 3] = [
    Family {
        name: "wattsweep_trial_energy_joules",
        unit: "joules",
        help: "Energy of the trial's training phase (results.csv energy_j; see energy_source).",
        value: |r| finite(r.energy_j),
    },
    Family {
        name: "wattsweep_trial_train_seconds",
        unit: "seconds",
        help: "Seconds of training, evaluations excluded (results.csv train_time_s).",
        value: |r| finite(Some(r.train_time_s)),
    },
    Family {
        name: "wattsweep_trial_test_accuracy_ratio",
        unit: "ratio",
        help: "Final test accuracy, 0 to 1 (results.csv test_accuracy).",
        value: |r| finite(r.test_accuracy),
    },
];

/// A label value as OpenMetrics and Prometheus escape it: `\` `"` and line feeds.
pub(crate) fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The labels of a trial, `{k="v",…}`; empty values are left out (Prometheus treats an empty
/// label as an absent one).
fn labels(r: &ResultRow) -> String {
    let mut pairs: Vec<(&str, String)> = vec![
        ("trial_id", r.trial_id.clone()),
        ("config_id", r.config_id.clone()),
        ("status", r.status.clone()),
        ("energy_source", r.energy_source.clone()),
    ];
    pairs.extend(SETTINGS.iter().map(|s| (s.key, (s.of_row)(r))));
    pairs.push(("model_settings", r.model_settings.clone()));
    let cells: Vec<String> = pairs
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(&v)))
        .collect();
    format!("{{{}}}", cells.join(","))
}

/// A number as OpenMetrics writes it (Rust's shortest round-trip form; finite only here).
fn number(x: f64) -> String {
    let s = x.to_string();
    if s.contains(['.', 'e', 'E']) { s } else { format!("{s}.0") }
}

/// The whole exposition, ending in `# EOF`.
pub(crate) fn openmetrics(results: &[ResultRow]) -> String {
    let mut out = String::new();
    for f in &FAMILIES {
        // Help text is fixed here, with nothing to escape.
        let _ = writeln!(out, "# TYPE {} gauge", f.name);
        let _ = writeln!(out, "# UNIT {} {}", f.name, f.unit);
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        for r in results {
            if let Some(v) = (f.value)(r) {
                let _ = writeln!(out, "{}{} {}", f.name, labels(r), number(v));
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

#[cfg(test)]
#[path = "tests/openmetrics.rs"]
mod tests;
