//! Plots of series within a trial: test accuracy against cumulative training energy epoch by
//! epoch (from epochs.csv, the result's own attempt only), and the power timeline of one trial
//! per measured domain (from power/<trial_id>.csv).

use std::ops::Range;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use super::axes::{NoData, Points, log_axis, padded, padded_log, wants_log};
use super::style::{
    AxisText, Icon, Legend, SeriesOrder, chart_builder, draw_line, marker, render_chart,
};
use crate::report::analysis::{attempt_epochs, distinct, ranking};
use crate::report::fmt::{finite, tick};
use crate::results::PowerSample;
use crate::results::{EpochRow, ResultRow};

/// Longer power series are averaged in buckets down to this many points per domain: a browser
/// does not need 36 000 points per hour-long trial (the plot is about 700 pixels wide), and
/// the page stays light.
pub(crate) const MAX_POINTS: usize = 800;

/// One line per ok trial: colour and marker by model, dash pattern by optimizer.
pub(super) fn plot_accuracy_vs_epoch_energy(
    results: &[ResultRow],
    epochs: &[EpochRow],
) -> Result<String> {
    let trials = ranking(results);
    let order = SeriesOrder::of(results);
    let lines: Vec<TrialLine> = trials
        .iter()
        .map(|r| {
            let pts = attempt_epochs(r, epochs)
                .into_iter()
                .filter_map(|e| {
                    Some((finite(e.cumulative_energy_j)?, finite(Some(e.test_accuracy))? * 100.0))
                })
                .collect::<Vec<_>>();
            (order.model(r), order.optimizer(r), pts)
        })
        .filter(|l| !l.2.is_empty())
        .collect();
    if lines.is_empty() {
        return Err(
            NoData("no epoch rows with a cumulative energy for the ok trials".into()).into()
        );
    }
    let xs: Vec<f64> = lines.iter().flat_map(|l| l.2.iter().map(|p| p.0)).collect();
    let y = padded(lines.iter().flat_map(|l| l.2.iter().map(|p| p.1)))
        .ok_or_else(|| NoData("no accuracies".into()))?;
    let y = y.start..y.end.min(100.5);
    if wants_log(&xs) {
        let x = padded_log(xs).ok_or_else(|| NoData("no positive energies".into()))?;
        render_chart(EPOCH_TITLE, |area| epoch_lines_on(area, log_axis(x), y, &lines, &order))
    } else {
        let x = padded(xs).ok_or_else(|| NoData("no energies".into()))?;
        render_chart(EPOCH_TITLE, |area| epoch_lines_on(area, x, y, &lines, &order))
    }
}

/// One trial's epochs: (model index, optimizer index, points).
type TrialLine = (usize, usize, Points);

const EPOCH_TITLE: &str = "Test accuracy against cumulative training energy, per epoch";

/// Draw the per-epoch lines on a linear or a log energy axis.
fn epoch_lines_on<X>(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    x: X,
    y: Range<f64>,
    lines: &[TrialLine],
    order: &SeriesOrder,
) -> Result<Legend>
where
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = chart_builder(area).build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .x_desc("cumulative training energy (J)")
        .y_desc("test accuracy (%)")
        .axis_text()
        .x_labels(12)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .draw()?;
    let mut labelled: Vec<(usize, usize)> = Vec::new();
    let mut legend = Legend::new();
    for (mi, oi, pts) in lines {
        let (mi, oi) = (*mi, *oi);
        draw_line(&mut chart, pts, mi, oi, 2)?;
        chart.draw_series(pts.iter().map(|&p| marker(p, mi, 5)))?;
        // One legend entry per (model, optimizer), not per trial.
        if !labelled.contains(&(mi, oi)) {
            labelled.push((mi, oi));
            legend.push((
                format!("{} / {}", order.models[mi], order.optimizers[oi]),
                Icon::Line { color: mi, dash: oi, marker: true },
            ));
        }
    }
    legend.sort_by_key(|(_, icon)| match icon {
        Icon::Line { color, dash, .. } => (*color, *dash),
        _ => (usize::MAX, 0),
    });
    Ok(legend)
}

/// Average consecutive samples in equal-count buckets down to `max` points (time and power
/// both averaged, so the area under the curve — the energy — is kept).
pub(super) fn downsample(pts: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if pts.len() <= max || max == 0 {
        return pts.to_vec();
    }
    let per = pts.len().div_ceil(max);
    pts.chunks(per)
        .map(|c| {
            let n = c.len() as f64;
            (c.iter().map(|p| p.0).sum::<f64>() / n, c.iter().map(|p| p.1).sum::<f64>() / n)
        })
        .collect()
}

/// Power (W) against time (s), one line per domain (colour, dash and sparse markers differ).
pub(super) fn plot_power_timeline(title: &str, samples: &[PowerSample]) -> Result<String> {
    let ok: Vec<&PowerSample> =
        samples.iter().filter(|s| s.t_s.is_finite() && s.power_w.is_finite()).collect();
    if ok.is_empty() {
        return Err(NoData("the power file has no samples".into()).into());
    }
    let domains = distinct(ok.iter().map(|s| s.domain.as_str()));
    let series: Vec<Vec<(f64, f64)>> = domains
        .iter()
        .map(|d| {
            let pts: Vec<(f64, f64)> =
                ok.iter().filter(|s| &s.domain == d).map(|s| (s.t_s, s.power_w)).collect();
            downsample(&pts, MAX_POINTS)
        })
        .collect();
    let t_max = ok.iter().map(|s| s.t_s).fold(0.0f64, f64::max);
    let p_max = ok.iter().map(|s| s.power_w).fold(0.0f64, f64::max);
    let x = 0.0..if t_max > 0.0 { t_max * 1.02 } else { 1.0 };
    let y = 0.0..if p_max > 0.0 { p_max * 1.15 } else { 1.0 };
    render_chart(title, |area| {
        let mut chart = chart_builder(area).build_cartesian_2d(x, y)?;
        chart
            .configure_mesh()
            .x_desc("time since the trial started (s)")
            .y_desc("power (W)")
            .axis_text()
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        let mut legend = Legend::new();
        for (k, (domain, pts)) in domains.iter().zip(&series).enumerate() {
            draw_line(&mut chart, pts, k, k, 2)?;
            // About a dozen markers per line, enough to tell lines apart in grey print, and
            // staggered between domains so they do not sit on top of each other.
            let every = (pts.len() / 12).max(1);
            let first = (k * every / 3) % every;
            chart.draw_series(pts.iter().skip(first).step_by(every).map(|&p| marker(p, k, 5)))?;
            legend.push((domain.clone(), Icon::Line { color: k, dash: k, marker: true }));
        }
        Ok(legend)
    })
}

#[cfg(test)]
#[path = "tests/series.rs"]
mod tests;
