//! Adam against SGD, per model, as grouped bars: for each model the best `ok` trial of each
//! optimizer, its test error (100 − accuracy, %) on the left and its energy per accuracy point
//! on the right. Error rather than accuracy so the bars can start at zero honestly and still
//! show the difference between 97 % and 99 %.

use std::ops::Range;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axes::NoData;
use super::axes::ok_rows;
use super::style::{AxisText, FONT, Icon, PALETTE, opaque, panel_builder, render_chart};
use crate::report::analysis::{distinct, joules_per_point};
use crate::report::fmt::{finite, tick};
use crate::results::ResultRow;

/// Adam filled orange, SGD hollow with a thick blue outline: they differ in fill as well as
/// in colour.
const STYLES: [ShapeStyle; 2] = [
    ShapeStyle { color: opaque(PALETTE[0]), filled: true, stroke_width: 1 },
    ShapeStyle { color: opaque(PALETTE[3]), filled: false, stroke_width: 3 },
];

/// Best trial per model for one optimizer: highest accuracy.
struct Bar {
    error_pct: f64,
    joules_per_point: Option<f64>,
}

fn best(rows: &[&ResultRow], model: &str, optimizer: &str) -> Option<Bar> {
    rows.iter()
        .filter(|r| r.model == model && r.optimizer.eq_ignore_ascii_case(optimizer))
        .max_by(|a, b| a.test_accuracy.unwrap_or(0.0).total_cmp(&b.test_accuracy.unwrap_or(0.0)))
        .and_then(|r| {
            Some(Bar {
                error_pct: 100.0 - finite(r.test_accuracy)? * 100.0,
                joules_per_point: joules_per_point(r),
            })
        })
}

pub(super) fn plot_adam_vs_sgd(results: &[ResultRow]) -> Result<String> {
    let rows = ok_rows(results);
    let has = |o: &str| rows.iter().any(|r| r.optimizer.eq_ignore_ascii_case(o));
    match (has("adam"), has("sgd")) {
        (true, true) => {}
        (false, false) => return Err(NoData("no ok Adam or SGD trials".into()).into()),
        (true, false) => return Err(NoData("no ok SGD trials to compare Adam with".into()).into()),
        (false, true) => return Err(NoData("no ok Adam trials to compare SGD with".into()).into()),
    }
    let models: Vec<String> = distinct(rows.iter().map(|r| r.model.as_str()))
        .into_iter()
        .filter(|m| {
            rows.iter().any(|r| {
                &r.model == m && ["adam", "sgd"].iter().any(|o| r.optimizer.eq_ignore_ascii_case(o))
            })
        })
        .collect();
    let bars: Vec<[Option<Bar>; 2]> =
        models.iter().map(|m| [best(&rows, m, "adam"), best(&rows, m, "sgd")]).collect();
    let title = "Adam against SGD: best ok trial per model";
    render_chart(title, |area| {
        let half = area.dim_in_pixel().0 / 2;
        let (left, right) = area.split_horizontally(half);
        let err: Vec<[Option<f64>; 2]> =
            bars.iter().map(|b| [0, 1].map(|k| b[k].as_ref().map(|x| x.error_pct))).collect();
        let jpp: Vec<[Option<f64>; 2]> = bars
            .iter()
            .map(|b| [0, 1].map(|k| b[k].as_ref().and_then(|x| x.joules_per_point)))
            .collect();
        panel(&left, &models, &err, "test error (%), lower is better", 2)?;
        panel(&right, &models, &jpp, "energy per accuracy point (J/pt)", 1)?;
        Ok(vec![("Adam".into(), Icon::Bar(STYLES[0])), ("SGD".into(), Icon::Bar(STYLES[1]))])
    })
}

/// One panel of grouped bars: Adam filled, SGD hollow with a thick outline, so the two differ
/// in shape as well as colour; a missing bar is marked "—" on the axis.
fn panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    models: &[String],
    values: &[[Option<f64>; 2]],
    y_desc: &str,
    decimals: usize,
) -> Result<()> {
    let top =
        values.iter().flatten().flatten().copied().filter(|v| v.is_finite()).fold(0.0f64, f64::max);
    // Headroom above the tallest bar for its value label.
    let y: Range<f64> = 0.0..if top > 0.0 { top * 1.15 } else { 1.0 };
    let n = models.len() as f64;
    let mut chart = panel_builder(area).build_cartesian_2d(-0.5..n - 0.5, y)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc(y_desc)
        .axis_text()
        // A half-width panel: axis titles a size smaller.
        .axis_desc_style((FONT, 16))
        .y_label_formatter(&|v| tick(*v))
        // Ask for enough ticks that the step is at most 1 (plotters picks 1, 0.5, 0.2 …, all of
        // which hit every integer), and label only the integers, which are the models.
        .x_labels(2 * models.len() + 2)
        .x_label_formatter(&|v| {
            let i = v.round();
            if (v - i).abs() > 1e-6 || i < 0.0 {
                String::new()
            } else {
                models.get(i as usize).cloned().unwrap_or_default()
            }
        })
        .draw()?;
    let label_style =
        TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    for k in 0..2 {
        let x0 = |i: usize| i as f64 + if k == 0 { -0.4 } else { 0.04 };
        let mut rects = Vec::new();
        let mut labels = Vec::new();
        for (i, v) in values.iter().enumerate() {
            match v[k].filter(|v| v.is_finite()) {
                Some(v) => {
                    rects.push(Rectangle::new([(x0(i), 0.0), (x0(i) + 0.36, v)], STYLES[k]));
                    labels.push(Text::new(
                        format!("{v:.decimals$}"),
                        (x0(i) + 0.18, v),
                        label_style.clone(),
                    ));
                }
                None => labels.push(Text::new(
                    "—".to_string(),
                    (x0(i) + 0.18, 0.0),
                    label_style.clone(),
                )),
            }
        }
        chart.draw_series(rects)?;
        chart.draw_series(labels)?;
    }
    Ok(())
}
