//! `wattsweep compare A B`: did B (tonight) spend less than A (last night), or is it noise, or
//! another machine? Configurations are matched by `config_id`; for each one in both, the ratio
//! B/A of the means of energy, training time and joules per accuracy point with Fieller's 95 %
//! interval under Welch's unequal variances (`stats::ratio_ci`), Welch's p-value, the accuracy
//! difference B − A with Welch's interval, and a verdict. Configurations in only one sweep are
//! listed apart. The machines are checked first (`machine.json`, the rows' `machine_id`).
//! Content only; `compare_out` renders and writes it.

use std::collections::BTreeSet;
use std::path::Path;

use crate::machine::{MachineInfo, differences, read_machine};
use crate::report::configs::{Config, configurations};
use crate::report::fmt::setting_label;
use crate::report::stats::{RatioCi, diff_ci, ratio_ci, summarize};
use crate::results::ResultRow;

/// The measures compared as ratios, by their summary.csv names.
pub(crate) const RATIO_MEASURES: [&str; 3] =
    ["energy_j", "train_time_s", "joules_per_accuracy_point"];

/// How B's measure stands against A's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The whole interval of B/A is below 1.
    Lower,
    /// The whole interval is above 1.
    Higher,
    /// The interval holds 1: the data cannot tell them apart at 5 %.
    Indistinguishable,
    /// No interval: fewer than two trials on a side, or no spread on either.
    Untested,
}

impl Verdict {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Verdict::Lower => "lower",
            Verdict::Higher => "higher",
            Verdict::Indistinguishable => "indistinguishable",
            Verdict::Untested => "untested",
        }
    }

    fn of(ci: Option<&RatioCi>) -> Verdict {
        match ci {
            None => Verdict::Untested,
            Some(c) if c.high.is_some_and(|h| h < 1.0) => Verdict::Lower,
            Some(c) if c.low.is_some_and(|l| l > 1.0) => Verdict::Higher,
            Some(_) => Verdict::Indistinguishable,
        }
    }
}

/// One measure of one configuration in both sweeps.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Measure {
    pub name: &'static str,
    pub mean_a: Option<f64>,
    pub mean_b: Option<f64>,
    /// mean B / mean A, also without an interval (n = 1).
    pub ratio: Option<f64>,
    pub ci: Option<RatioCi>,
    pub verdict: Verdict,
}

/// A configuration in both sweeps.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Line {
    pub config_id: String,
    pub label: String,
    pub n_a: usize,
    pub n_b: usize,
    /// In [`RATIO_MEASURES`] order.
    pub measures: Vec<Measure>,
    pub accuracy_a: Option<f64>,
    pub accuracy_b: Option<f64>,
    /// (B − A, 95 % low, high, p) of the mean test accuracy (0–1).
    pub accuracy_diff: Option<(f64, f64, f64, f64)>,
}

/// A configuration in one sweep only.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OneSide {
    pub config_id: String,
    pub label: String,
    /// `A` or `B`.
    pub side: &'static str,
    pub n: usize,
}

/// Which machines the sweeps ran on.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Machines {
    /// The machine ids of each side (machine.json's, and its rows'), sorted.
    pub a: Vec<String>,
    pub b: Vec<String>,
    /// The id fields in which the two machine.json differ, as `field: a vs b`.
    pub differences: Vec<String>,
}

impl Machines {
    /// Both sides known, one machine each, and the same one.
    pub(crate) fn same(&self) -> bool {
        self.a.len() == 1 && self.a == self.b
    }

    /// A side without any machine id (a sweep older than machine.json): nothing to check.
    pub(crate) fn unknown(&self) -> bool {
        self.a.is_empty() || self.b.is_empty()
    }
}

/// Everything `compare` says.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Comparison {
    pub lines: Vec<Line>,
    pub one_side: Vec<OneSide>,
    pub machines: Machines,
}

fn label(c: &Config) -> String {
    let r = c.first();
    format!("{} {}", setting_label(r), r.model_settings).trim_end().to_string()
}

fn mean(values: &[f64]) -> Option<f64> {
    summarize(values).map(|s| s.mean)
}

/// Compare the trials of two sweeps, configuration by configuration.
pub(crate) fn compare(a: &[ResultRow], b: &[ResultRow], machines: Machines) -> Comparison {
    let (ca, cb) = (configurations(a), configurations(b));
    let mut out = Comparison { machines, ..Comparison::default() };
    for x in &ca {
        let Some(y) = cb.iter().find(|y| y.id == x.id) else {
            out.one_side.push(OneSide {
                config_id: x.id.clone(),
                label: label(x),
                side: "A",
                n: x.ok.len(),
            });
            continue;
        };
        let measures = RATIO_MEASURES
            .iter()
            .map(|&name| {
                let (va, vb) = (x.values(name), y.values(name));
                let ci = ratio_ci(&va, &vb);
                let (mean_a, mean_b) = (mean(&va), mean(&vb));
                let ratio = mean_a.zip(mean_b).filter(|(a, _)| *a != 0.0).map(|(a, b)| b / a);
                Measure { name, mean_a, mean_b, ratio, ci, verdict: Verdict::of(ci.as_ref()) }
            })
            .collect();
        let (acc_a, acc_b) = (x.values("test_accuracy"), y.values("test_accuracy"));
        out.lines.push(Line {
            config_id: x.id.clone(),
            label: label(x),
            n_a: x.ok.len(),
            n_b: y.ok.len(),
            measures,
            accuracy_a: mean(&acc_a),
            accuracy_b: mean(&acc_b),
            accuracy_diff: diff_ci(&acc_a, &acc_b),
        });
    }
    for y in cb.iter().filter(|y| !ca.iter().any(|x| x.id == y.id)) {
        out.one_side.push(OneSide {
            config_id: y.id.clone(),
            label: label(y),
            side: "B",
            n: y.ok.len(),
        });
    }
    out
}

/// The machine ids of a sweep: its machine.json's and those its rows carry.
fn ids(json: Option<&MachineInfo>, rows: &[ResultRow]) -> Vec<String> {
    let mut set: BTreeSet<String> =
        rows.iter().filter_map(|r| r.machine_id.clone()).filter(|id| !id.is_empty()).collect();
    if let Some(m) = json.filter(|m| !m.machine_id.is_empty()) {
        set.insert(m.machine_id.clone());
    }
    set.into_iter().collect()
}

/// Which machines A and B ran on, and how the two machine.json differ.
pub(crate) fn machines(dir_a: &Path, a: &[ResultRow], dir_b: &Path, b: &[ResultRow]) -> Machines {
    let (ma, mb) = (read_machine(dir_a), read_machine(dir_b));
    let differences = match (&ma, &mb) {
        (Some(x), Some(y)) => differences(x, y).iter().map(|d| d.to_string()).collect(),
        _ => Vec::new(),
    };
    Machines { a: ids(ma.as_ref(), a), b: ids(mb.as_ref(), b), differences }
}

#[cfg(test)]
#[path = "tests/compare.rs"]
mod tests;
