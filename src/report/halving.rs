//! "Successive halving": what the sweep spent, what the full grid would have spent, and which
//! configurations were pruned at which rung (from results.csv and halving.csv).

use crate::report::fmt::{MISSING, num, pct, setting_label};
use crate::report::read::ReportData;
use crate::results::Decision;
use crate::results::ResultRow;

/// Energy and time spent and what the full grid would have cost.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Savings {
    pub spent_j: f64,
    pub spent_s: f64,
    pub full_j: f64,
    pub full_s: f64,
    /// Trials whose energy is unknown (left out of both sums).
    pub unknown: usize,
}

/// A pruned trial's cost at its full epochs, from its own per-epoch average; every other
/// trial's cost as it is. Training phase only, as everywhere in the report.
pub(crate) fn savings(results: &[ResultRow]) -> Savings {
    let mut s = Savings { spent_j: 0.0, spent_s: 0.0, full_j: 0.0, full_s: 0.0, unknown: 0 };
    for r in results {
        let Some(e) = r.energy_j.filter(|e| e.is_finite()) else {
            s.unknown += 1;
            continue;
        };
        let scale = match (r.status.as_str(), r.epochs_trained) {
            ("pruned", Some(done)) if done > 0 => r.epochs as f64 / done as f64,
            _ => 1.0,
        };
        s.spent_j += e;
        s.spent_s += r.train_time_s;
        s.full_j += e * scale;
        s.full_s += r.train_time_s * scale;
    }
    s
}

/// Columns of the decisions table.
pub(crate) const HEADERS: [&str; 11] = [
    "rung",
    "epochs",
    "configuration",
    "model optimizer lr batch",
    "trials",
    "mean test accuracy (%)",
    "mean energy (J)",
    "rank",
    "decision",
    "margin / noise (%)",
    "note",
];

/// The section's sentences and the decisions table's rows; `None` for a sweep without halving.
pub(crate) struct HalvingText {
    pub paragraphs: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub(crate) fn halving_text(data: &ReportData) -> Option<HalvingText> {
    if data.decisions.is_empty() && !data.results.iter().any(|r| r.status == "pruned") {
        return None;
    }
    let mut s = HalvingText { paragraphs: Vec::new(), rows: Vec::new() };
    let v = savings(&data.results);
    let saved_j = v.full_j - v.spent_j;
    let share = |part: f64, whole: f64| if whole > 0.0 { Some(part / whole) } else { None };
    s.paragraphs.push(format!(
        "This sweep spent {} J and {} s training; the full grid would have spent about {} J and {} s, so halving saved {} J ({} %) and {} s. The full grid's figure extrapolates each pruned trial from its own energy and time per epoch to its `epochs`; it is an estimate, not a measurement.",
        num(Some(v.spent_j)),
        num(Some(v.spent_s)),
        num(Some(v.full_j)),
        num(Some(v.full_s)),
        num(Some(saved_j)),
        pct(share(saved_j, v.full_j)),
        num(Some(v.full_s - v.spent_s)),
    ));
    if v.unknown > 0 {
        s.paragraphs.push(format!(
            "{} trials have no energy figure and are left out of both sums.",
            v.unknown
        ));
    }
    if let Some(obj) = data.decisions.first().map(|d| d.objective.clone()) {
        s.paragraphs.push(format!("At each rung the configurations (their seeds and repeats together, by their mean) were ranked by {obj}; the best 1/eta went on. Decisions are in halving.csv."));
    }
    s.paragraphs.extend(noise_paragraphs(&data.decisions));
    let label = |config: &str| {
        data.results.iter().find(|r| r.config_id == config).map(setting_label).unwrap_or_default()
    };
    s.rows = data
        .decisions
        .iter()
        .map(|d| {
            vec![
                d.rung.to_string(),
                d.epochs.to_string(),
                d.config_id.clone(),
                label(&d.config_id),
                d.trials.to_string(),
                pct(d.accuracy),
                num(d.energy_j),
                d.rank.map_or("–".into(), |r| r.to_string()),
                d.decision.clone(),
                match (d.margin, d.noise) {
                    (Some(m), Some(n)) => {
                        format!("{} / {}", num(Some(m * 100.0)), num(Some(n * 100.0)))
                    }
                    _ => MISSING.into(),
                },
                note(d),
            ]
        })
        .collect();
    Some(s)
}

/// What rested on noise in one decision.
fn note(d: &Decision) -> String {
    let mut parts = Vec::new();
    match (d.within_noise, d.decision.as_str()) {
        (Some(true), "continue") => parts.push("within noise of the cutoff"),
        (Some(true), "pruned") => parts.push("pruned on a difference below the noise"),
        _ => {}
    }
    if d.energy_pooled == Some(true) {
        parts.push("energy pooled: accuracy decided");
    }
    parts.join("; ")
}

/// How the noise rule shaped the rungs: configurations kept because they were within noise,
/// strict decisions that rested on noise, energies pooled.
fn noise_paragraphs(decisions: &[Decision]) -> Vec<String> {
    let mut out = Vec::new();
    let count = |f: &dyn Fn(&Decision) -> bool| decisions.iter().filter(|d| f(d)).count();
    if decisions.iter().all(|d| d.within_noise.is_none()) {
        return out; // decided before the noise rule existed
    }
    let widened = count(&|d| d.within_noise == Some(true) && d.decision == "continue");
    let coin = count(&|d| d.within_noise == Some(true) && d.decision == "pruned");
    let pooled = count(&|d| d.energy_pooled == Some(true));
    out.push(format!(
        "Each decision was judged against the noise: the margin is how much worse a configuration's objective was than the cutoff's (the last one kept by the 1/eta rule), the noise the half-width of the 95 % interval of that difference, from the configuration's own repeats, the spread of configurations doing the same arithmetic and a 2 % floor. {widened} configuration-rungs went on because they were within noise of the cutoff (`keep_within_noise`); the energy saved above counts them."
    ));
    if coin > 0 {
        out.push(format!(
            "{coin} configuration-rungs were pruned on a difference below the noise (`keep_within_noise = false`): those decisions could flip from run to run."
        ));
    }
    if pooled > 0 {
        out.push(format!(
            "{pooled} configuration-rungs do the same arithmetic (same model, settings, batch size and epochs) as others and measured energies within noise of them: their energies were treated as equal (pooled to the mean), so accuracy decided between them."
        ));
    }
    out
}

#[cfg(test)]
#[path = "tests/halving.rs"]
mod tests;
