//! Every plot of the report as SVG text: `build_plots` draws each one or records why it was
//! skipped (a plot with no data is a note, never an empty frame).

use crate::report::analysis::{is_ok, not_ok, pareto_trials, ranking};
use crate::report::read::ReportData;
use crate::results::ResultRow;
use std::collections::HashSet;

use super::axes::{NoData, file_safe};
use super::bars::plot_adam_vs_sgd;
use super::results::{plot_accuracy_vs_energy, plot_accuracy_vs_time, plot_lr_sensitivity};
use super::series::{plot_accuracy_vs_epoch_energy, plot_power_timeline};

/// One plot: its SVG, or the note saying why it was skipped.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plot {
    /// File stem under `plots/` and the HTML anchor.
    pub name: String,
    pub title: String,
    pub svg: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Plots {
    pub plots: Vec<Plot>,
}

impl Plots {
    pub(crate) fn get(&self, name: &str) -> Option<&Plot> {
        self.plots.iter().find(|p| p.name == name)
    }

    /// Names of the power timelines, in order.
    pub(crate) fn power_names(&self) -> Vec<String> {
        self.plots.iter().filter(|p| p.name.starts_with("power-")).map(|p| p.name.clone()).collect()
    }
}

/// Draw every plot. A plot's failure never fails the report: it becomes a note (logged too,
/// unless it is the expected "no data" case).
pub(crate) fn build_plots(data: &ReportData) -> Plots {
    let r = &data.results;
    // Plots with a mark per trial draw a bounded set, so the page stays small at any size.
    let (points, points_note) = bounded(r, MAX_PLOTTED_TRIALS);
    let (series, series_note) = bounded(r, MAX_PLOTTED_SERIES);
    let mut plots = vec![
        plot(
            "accuracy-vs-energy",
            &format!("Test accuracy against training energy{points_note}"),
            plot_accuracy_vs_energy(&points),
        ),
        plot(
            "accuracy-vs-time",
            &format!("Test accuracy against training time{points_note}"),
            plot_accuracy_vs_time(&points),
        ),
        plot("lr-sensitivity", "Learning-rate sensitivity", plot_lr_sensitivity(r)),
        plot("adam-vs-sgd", "Adam against SGD, per model", plot_adam_vs_sgd(r)),
        plot(
            "accuracy-vs-epoch-energy",
            &format!("Test accuracy against cumulative energy, per epoch{series_note}"),
            plot_accuracy_vs_epoch_energy(&series, &data.epochs),
        ),
        plot(
            "inference-energy",
            &format!("Inference energy per image: measured and modelled{series_note}"),
            super::inference::plot_inference_energy(&series),
        ),
    ];
    // Power timelines of the loaded series (see `power_selection`), in ranking order, then the
    // other trials, then power files without a results row.
    let mut order: Vec<(String, String)> = ranking(r)
        .into_iter()
        .chain(not_ok(r))
        .filter(|t| data.power.contains_key(&t.trial_id))
        .map(|t| {
            (
                t.trial_id.clone(),
                format!(
                    "{} — {} {} lr={}{}",
                    t.trial_id,
                    t.model,
                    t.optimizer,
                    crate::report::fmt::lr(t.learning_rate),
                    if is_ok(t) { String::new() } else { format!(" ({})", t.status) }
                ),
            )
        })
        .collect();
    let with_row: HashSet<&str> = r.iter().map(|t| t.trial_id.as_str()).collect();
    for id in data.power.keys().filter(|id| !with_row.contains(id.as_str())) {
        order.push((id.clone(), format!("{id} (no results row)")));
    }
    for (id, label) in order {
        let Some(samples) = data.power.get(&id) else { continue };
        let title = format!("Power during trial {label}");
        plots.push(plot(
            &format!("power-{}", file_safe(&id)),
            &title,
            plot_power_timeline(&title, samples),
        ));
    }
    Plots { plots }
}

/// Trials a scatter plot draws at most.
pub(crate) const MAX_PLOTTED_TRIALS: usize = 400;

/// Trials drawn at most where each is a line or a bar.
pub(crate) const MAX_PLOTTED_SERIES: usize = 30;

/// At most `max` of the trials, in their order: all when there are no more; else the Pareto
/// front, the best quarter of `max` by the ranking and an even sample of the rest. With a
/// caption note saying so (empty when all are drawn).
pub(crate) fn bounded(r: &[ResultRow], max: usize) -> (Vec<ResultRow>, String) {
    if r.len() <= max {
        return (r.to_vec(), String::new());
    }
    let mut chosen: HashSet<&str> = HashSet::new();
    for t in pareto_trials(r).into_iter().chain(ranking(r).into_iter().take(max / 4)) {
        if chosen.len() < max {
            chosen.insert(t.trial_id.as_str());
        }
    }
    let left = max - chosen.len();
    let step = r.len() as f64 / left.max(1) as f64;
    for i in 0..left {
        chosen.insert(r[((i as f64 * step) as usize).min(r.len() - 1)].trial_id.as_str());
    }
    let rows: Vec<ResultRow> =
        r.iter().filter(|t| chosen.contains(t.trial_id.as_str())).cloned().collect();
    let note = format!(
        " ({} of {} trials drawn: the front, the best and an even sample; all are in results.csv)",
        rows.len(),
        r.len()
    );
    (rows, note)
}

/// Power timelines drawn at most, whatever the sweep's size.
pub(crate) const MAX_POWER_PLOTS: usize = 12;

/// The trials whose power over time the report draws: the 5 best and the 2 worst by the
/// ranking, up to 3 that did not end ok, up to 2 power files without a results row (a trial
/// still running, or killed before its row), at most [`MAX_POWER_PLOTS`] in all. The others'
/// series stay in power/<trial_id>.csv, and the page says so.
pub(crate) fn power_selection(data: &ReportData) -> Vec<String> {
    let r = &data.results;
    let ranked: Vec<&str> = ranking(r).iter().map(|t| t.trial_id.as_str()).collect();
    let worst = ranked.len().saturating_sub(2).max(5.min(ranked.len()));
    let with_row: HashSet<&str> = r.iter().map(|t| t.trial_id.as_str()).collect();
    let failed = not_ok(r);
    let mut out: Vec<String> = Vec::new();
    let candidates = ranked
        .iter()
        .take(5)
        .chain(&ranked[worst..])
        .copied()
        .chain(failed.iter().map(|t| t.trial_id.as_str()).take(3))
        .chain(
            data.power_files.iter().map(String::as_str).filter(|f| !with_row.contains(f)).take(2),
        );
    for id in candidates {
        if out.len() < MAX_POWER_PLOTS && !out.iter().any(|o| o == id) {
            out.push(id.to_string());
        }
    }
    out
}

fn plot(name: &str, title: &str, drawn: anyhow::Result<String>) -> Plot {
    let (svg, note) = match drawn {
        Ok(svg) => (Some(svg), None),
        Err(e) => match e.downcast_ref::<NoData>() {
            Some(NoData(why)) => (None, Some(format!("Not drawn: {why}."))),
            None => {
                tracing::warn!("plot {name}: {e:#}");
                (None, Some(format!("Could not be drawn: {e:#}.")))
            }
        },
    };
    Plot { name: name.to_string(), title: title.to_string(), svg, note }
}

#[cfg(test)]
#[path = "tests/build.rs"]
mod tests;
