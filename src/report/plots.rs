//! The report's plots as SVG text: `build_plots` draws every plot or records why one was
//! skipped (a plot with no data is a note, never an empty frame), plus the axis helpers the
//! charts share. The look (colours, markers, legend) is in `plot_style.rs`; the charts are in
//! `plots_results.rs` and `plots_bars.rs` (one mark per trial) and `plots_series.rs` (per-epoch
//! and power series).

use std::ops::Range;

use plotters::coord::combinators::WithKeyPoints;
use plotters::prelude::*;

use crate::report::analysis::{is_ok, not_ok, ranking};
use crate::report::load::ReportData;
pub use crate::report::plot_style::*;
pub use crate::report::plots_bars::plot_adam_vs_sgd;
pub use crate::report::plots_results::{
    plot_accuracy_vs_energy, plot_accuracy_vs_time, plot_lr_sensitivity,
};
pub use crate::report::plots_series::{plot_accuracy_vs_epoch_energy, plot_power_timeline};

/// A plot that has no data to show: `build_plots` records the message as a note instead of
/// drawing an empty frame.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NoData(pub String);

/// One plot: its SVG, or the note saying why it was skipped.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// File stem under `plots/` and the HTML anchor.
    pub name: String,
    pub title: String,
    pub svg: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plots {
    pub plots: Vec<Plot>,
}

impl Plots {
    pub fn get(&self, name: &str) -> Option<&Plot> {
        self.plots.iter().find(|p| p.name == name)
    }

    /// Names of the power timelines, in order.
    pub fn power_names(&self) -> Vec<String> {
        self.plots.iter().filter(|p| p.name.starts_with("power-")).map(|p| p.name.clone()).collect()
    }
}

/// Draw every plot. A plot's failure never fails the report: it becomes a note (logged too,
/// unless it is the expected "no data" case).
pub fn build_plots(data: &ReportData) -> Plots {
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

/// A trial id as a file name: anything but ASCII letters, digits, `-` and `_` becomes `_`.
pub fn file_safe(id: &str) -> String {
    id.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect()
}

/// A polyline in data coordinates.
pub type Points = Vec<(f64, f64)>;

/// The range of `values` widened by 6 % each side (and to a visible width when all values
/// are equal), or `None` without a finite value.
pub fn padded(values: impl IntoIterator<Item = f64>) -> Option<Range<f64>> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return None;
    }
    let pad = if hi > lo { (hi - lo) * 0.06 } else { (lo.abs() * 0.1).max(0.5) };
    Some(lo - pad..hi + pad)
}

/// A positive range widened by a constant factor each side, for log axes.
pub fn padded_log(values: impl IntoIterator<Item = f64>) -> Option<Range<f64>> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    (lo <= hi).then(|| lo / 1.5..hi * 1.5)
}

/// Tick values for a log axis over `r`: 1-2-5 per decade (every integer multiple when the range
/// spans little more than a decade, only powers of ten past four and a half). Plotters' own log
/// ticks start at the first power of ten inside the range, which can leave an axis with one
/// or two labels.
pub fn log_ticks(r: &Range<f64>) -> Vec<f64> {
    if !(r.start > 0.0 && r.end > r.start && r.end.is_finite()) {
        return Vec::new();
    }
    let (lo, hi) = (r.start.log10().floor() as i32, r.end.log10().ceil() as i32);
    let decades = (r.end / r.start).log10();
    let mantissas: &[f64] = if decades < 1.3 {
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    } else if decades <= 4.5 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    (lo..=hi)
        .flat_map(|e| mantissas.iter().map(move |m| m * 10f64.powi(e)))
        .filter(|v| *v >= r.start && *v <= r.end)
        .collect()
}

/// A log axis over `r` with [`log_ticks`] as its labelled points.
pub fn log_axis(r: Range<f64>) -> WithKeyPoints<LogCoord<f64>> {
    let ticks = log_ticks(&r);
    r.log_scale().with_key_points(ticks)
}

/// A log axis pays off once values span more than a factor of 20.
pub fn wants_log(values: &[f64]) -> bool {
    let pos: Vec<f64> = values.iter().copied().filter(|v| v.is_finite() && *v > 0.0).collect();
    let (lo, hi) = pos.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    pos.len() == values.len() && !pos.is_empty() && hi / lo > 20.0
}

#[cfg(test)]
#[path = "tests/plots.rs"]
mod tests;
