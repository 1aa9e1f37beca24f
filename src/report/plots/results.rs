//! Plots with one point (or bar) per trial, from results.csv: accuracy against energy with the
//! Pareto front, accuracy against training time, and learning-rate sensitivity on a log axis
//! (Adam against SGD is in `bars.rs`). Only `ok` trials are drawn. Each returns SVG text or a
//! [`NoData`] error saying why there is nothing to draw.

use std::collections::BTreeMap;
use std::ops::Range;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use super::axes::{NoData, Points, log_axis, ok_rows, padded, padded_log, wants_log};
use super::style::{
    AxisText, Icon, Legend, SeriesOrder, chart_builder, draw_line, marker, render_chart,
};
use crate::report::analysis::{distinct, pareto_trials};
use crate::report::fmt::{finite, lr, tick};
use crate::results::ResultRow;

/// A point of series `series` (the model's index).
struct Pt {
    series: usize,
    x: f64,
    y: f64,
}

/// Accuracy (%) against training energy (J); the Pareto front is a dashed black line through
/// ringed points.
pub(super) fn plot_accuracy_vs_energy(results: &[ResultRow]) -> Result<String> {
    let rows: Vec<&ResultRow> =
        ok_rows(results).into_iter().filter(|r| finite(r.energy_j).is_some()).collect();
    if rows.is_empty() {
        return Err(NoData("no ok trial has both an accuracy and an energy figure".into()).into());
    }
    let front: Vec<(f64, f64)> = pareto_trials(results)
        .iter()
        .filter_map(|r| Some((finite(r.energy_j)?, finite(r.test_accuracy)? * 100.0)))
        .collect();
    scatter(
        "Test accuracy against training energy",
        "training energy (J)",
        &SeriesOrder::of(results),
        &rows,
        |r| r.energy_j,
        &front,
    )
}

/// Accuracy (%) against training time (s).
pub(super) fn plot_accuracy_vs_time(results: &[ResultRow]) -> Result<String> {
    let rows = ok_rows(results);
    if rows.is_empty() {
        return Err(NoData("no ok trial has an accuracy".into()).into());
    }
    scatter(
        "Test accuracy against training time",
        "training time (s)",
        &SeriesOrder::of(results),
        &rows,
        |r| Some(r.train_time_s),
        &[],
    )
}

fn scatter(
    title: &str,
    x_desc: &str,
    order: &SeriesOrder,
    rows: &[&ResultRow],
    x_of: impl Fn(&ResultRow) -> Option<f64>,
    front: &[(f64, f64)],
) -> Result<String> {
    let pts: Vec<Pt> = rows
        .iter()
        .filter_map(|r| {
            Some(Pt {
                series: order.model(r),
                x: finite(x_of(r))?,
                y: finite(r.test_accuracy)? * 100.0,
            })
        })
        .collect();
    let xs: Vec<f64> = pts.iter().map(|p| p.x).collect();
    let y = padded(pts.iter().map(|p| p.y)).ok_or_else(|| NoData("no finite values".into()))?;
    let y = y.start..y.end.min(100.5);
    let axes = Axes { x_desc, y_desc: "test accuracy (%)" };
    if wants_log(&xs) {
        let x = padded_log(xs).ok_or_else(|| NoData("no positive values".into()))?;
        render_chart(title, |area| {
            scatter_on(area, log_axis(x), y, &axes, &order.models, &pts, front)
        })
    } else {
        let x = padded(xs).ok_or_else(|| NoData("no finite values".into()))?;
        render_chart(title, |area| scatter_on(area, x, y, &axes, &order.models, &pts, front))
    }
}

/// Axis titles, units included.
struct Axes<'a> {
    x_desc: &'a str,
    y_desc: &'a str,
}

/// The scatter on a linear or a log x axis (the two are different plotters types).
fn scatter_on<X>(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    x: X,
    y: Range<f64>,
    axes: &Axes,
    models: &[String],
    pts: &[Pt],
    front: &[(f64, f64)],
) -> Result<Legend>
where
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = chart_builder(area).build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .x_desc(axes.x_desc)
        .y_desc(axes.y_desc)
        .axis_text()
        .x_labels(12)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .draw()?;
    let mut legend = Legend::new();
    if !front.is_empty() {
        chart.draw_series(DashedLineSeries::new(
            front.iter().copied(),
            8,
            5,
            BLACK.stroke_width(2),
        ))?;
        chart.draw_series(front.iter().map(|&p| Circle::new(p, 11, BLACK.stroke_width(2))))?;
        legend.push((
            "Pareto front (ringed)".into(),
            Icon::Line { color: 6, dash: 1, marker: false },
        ));
    }
    for (i, m) in models.iter().enumerate() {
        // A model with no point here (all its trials failed) gets no legend entry.
        if !pts.iter().any(|p| p.series == i) {
            continue;
        }
        chart
            .draw_series(pts.iter().filter(|p| p.series == i).map(|p| marker((p.x, p.y), i, 6)))?;
        legend.push((m.clone(), Icon::Marker(i)));
    }
    Ok(legend)
}

/// Mean accuracy (%) per learning rate, one line per (model, optimizer): colour and marker
/// by model, dash pattern by optimizer.
pub(super) fn plot_lr_sensitivity(results: &[ResultRow]) -> Result<String> {
    let rows: Vec<&ResultRow> = ok_rows(results)
        .into_iter()
        .filter(|r| r.learning_rate.is_finite() && r.learning_rate > 0.0)
        .collect();
    let rates = distinct(
        rows.iter().map(|r| lr(r.learning_rate)).collect::<Vec<_>>().iter().map(String::as_str),
    );
    if rates.len() < 2 {
        let why = match rates.first() {
            Some(one) => format!("every ok trial used the same learning rate ({one})"),
            None => "no ok trial has an accuracy".into(),
        };
        return Err(NoData(why).into());
    }
    let order = SeriesOrder::of(results);
    // (model, optimizer) → learning rate (as bits: positive floats sort like their bits) →
    // accuracies of the trials sharing it.
    let mut lines: BTreeMap<(usize, usize), BTreeMap<u64, Vec<f64>>> = BTreeMap::new();
    for r in &rows {
        let acc = r.test_accuracy.unwrap_or(f64::NAN) * 100.0;
        lines
            .entry((order.model(r), order.optimizer(r)))
            .or_default()
            .entry(r.learning_rate.to_bits())
            .or_default()
            .push(acc);
    }
    let means: Vec<((usize, usize), Points)> = lines
        .iter()
        .map(|(k, by_lr)| {
            (
                *k,
                by_lr
                    .iter()
                    .map(|(b, a)| (f64::from_bits(*b), a.iter().sum::<f64>() / a.len() as f64))
                    .collect(),
            )
        })
        .collect();
    let x = padded_log(rows.iter().map(|r| r.learning_rate))
        .ok_or_else(|| NoData("no learning rates".into()))?;
    let y = padded(means.iter().flat_map(|(_, pts)| pts.iter().map(|p| p.1)))
        .ok_or_else(|| NoData("no finite accuracies".into()))?;
    render_chart("Learning-rate sensitivity", |area| {
        // Ticks at the learning rates of the grid: those are the values a reader looks up.
        let mut ticks: Vec<f64> = means.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)).collect();
        ticks.sort_by(f64::total_cmp);
        ticks.dedup();
        let x = x.clone().log_scale().with_key_points(ticks);
        let mut chart = chart_builder(area).build_cartesian_2d(x, y.start..y.end.min(100.5))?;
        chart
            .configure_mesh()
            .x_desc("learning rate (log scale)")
            .y_desc("test accuracy (%), mean over trials")
            .axis_text()
            .x_label_formatter(&|v| lr(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        let mut legend = Legend::new();
        for ((mi, oi), pts) in &means {
            let (mi, oi) = (*mi, *oi);
            draw_line(&mut chart, pts, mi, oi, 3)?;
            chart.draw_series(pts.iter().map(|&p| marker(p, mi, 6)))?;
            legend.push((
                format!("{} / {}", order.models[mi], order.optimizers[oi]),
                Icon::Line { color: mi, dash: oi, marker: true },
            ));
        }
        Ok(legend)
    })
}

#[cfg(test)]
#[path = "tests/results.rs"]
mod tests;
