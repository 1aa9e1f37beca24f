//! Inference energy per image, measured here and modelled for dedicated hardware, on one log
//! axis: one column per ok trial (ranked by measured batch energy), four markers each. The
//! decades between the measured and the modelled points are the point of the plot.

use anyhow::Result;

use super::axes::{NoData, log_axis, ok_rows, padded_log};
use super::style::{AxisText, FONT, Icon, Legend, chart_builder, marker, render_chart};
use crate::report::fmt::{finite, tick};
use crate::results::ResultRow;

/// The four figures of a trial, joules per image.
fn figures(r: &ResultRow) -> [Option<f64>; 4] {
    let pj = |v: Option<f64>| finite(v).map(|p| p * 1e-12);
    [
        finite(r.infer_j_per_image),
        finite(r.infer_b1_j_per_image),
        pj(r.ops_energy_pj_per_image),
        pj(r.ops_mem_energy_pj_per_image),
    ]
}

/// Legend labels; the first two say "estimated" when a drawn trial's energy is the estimate, so
/// the plot cannot pass a guess off as a measurement.
fn series(estimate: bool) -> [&'static str; 4] {
    if estimate {
        [
            "estimated here, batch",
            "estimated here, batch 1",
            "modelled: compute",
            "modelled: + memory",
        ]
    } else {
        ["measured, batch", "measured, batch 1", "modelled: compute", "modelled: + memory"]
    }
}

pub(super) fn plot_inference_energy(results: &[ResultRow]) -> Result<String> {
    let mut rows: Vec<&ResultRow> = ok_rows(results)
        .into_iter()
        .filter(|r| figures(r).iter().any(|f| f.is_some_and(|v| v > 0.0)))
        .collect();
    if rows.is_empty() {
        return Err(NoData(
            "no ok trial has an inference measurement or an operation count".into(),
        )
        .into());
    }
    rows.sort_by(|a, b| {
        let key = |r: &ResultRow| finite(r.infer_j_per_image).unwrap_or(f64::INFINITY);
        key(a).total_cmp(&key(b))
    });
    let values: Vec<f64> =
        rows.iter().flat_map(|r| figures(r)).flatten().filter(|v| *v > 0.0).collect();
    let y = padded_log(values).ok_or_else(|| NoData("no positive values".into()))?;
    let labels: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {}", r.model, &r.trial_id[..r.trial_id.len().min(6)]))
        .collect();
    let n = rows.len();
    render_chart(
        "Inference energy per image: measured here, modelled for dedicated hardware",
        |area| {
            let mut chart =
                chart_builder(area).build_cartesian_2d(-0.5f64..n as f64 - 0.5, log_axis(y))?;
            chart
                .configure_mesh()
                .x_desc("trial (model, id), by measured energy per image")
                .y_desc("joules per image (log scale)")
                .axis_text()
                // One label per trial along x: a size smaller so they fit.
                .label_style((FONT, 13))
                .x_labels(n.max(2))
                .x_label_formatter(&|v| {
                    let i = v.round();
                    if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                        labels[i as usize].clone()
                    } else {
                        String::new()
                    }
                })
                .y_label_formatter(&|v| tick(*v))
                .draw()?;
            let mut legend = Legend::new();
            let estimate = rows.iter().any(|r| r.energy_source.contains("estimate"));
            for (k, name) in series(estimate).iter().enumerate() {
                let pts: Vec<(f64, f64)> = rows
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| figures(r)[k].filter(|v| *v > 0.0).map(|v| (i as f64, v)))
                    .collect();
                if pts.is_empty() {
                    continue;
                }
                chart.draw_series(pts.into_iter().map(|p| marker(p, k, 7)))?;
                legend.push((name.to_string(), Icon::Marker(k)));
            }
            Ok(legend)
        },
    )
}

#[cfg(test)]
#[path = "tests/inference.rs"]
mod tests;
