//! Every plot of the report as SVG text: `build_plots` draws each one or records why it was
//! skipped (a plot with no data is a note, never an empty frame).

use crate::report::analysis::{is_ok, not_ok, ranking};
use crate::report::read::ReportData;

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
    let mut plots = vec![
        plot(
            "accuracy-vs-energy",
            "Test accuracy against training energy",
            plot_accuracy_vs_energy(r),
        ),
        plot("accuracy-vs-time", "Test accuracy against training time", plot_accuracy_vs_time(r)),
        plot("lr-sensitivity", "Learning-rate sensitivity", plot_lr_sensitivity(r)),
        plot("adam-vs-sgd", "Adam against SGD, per model", plot_adam_vs_sgd(r)),
        plot(
            "accuracy-vs-epoch-energy",
            "Test accuracy against cumulative energy, per epoch",
            plot_accuracy_vs_epoch_energy(r, &data.epochs),
        ),
        plot(
            "inference-energy",
            "Inference energy per image: measured and modelled",
            super::inference::plot_inference_energy(r),
        ),
    ];
    // Power timelines in ranking order, then the other trials, then power files without a
    // results row (a trial still running or killed before its row was written).
    let mut order: Vec<(String, String)> = ranking(r)
        .into_iter()
        .chain(not_ok(r))
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
    for id in data.power.keys() {
        if !order.iter().any(|(t, _)| t == id) {
            order.push((id.clone(), format!("{id} (no results row)")));
        }
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
