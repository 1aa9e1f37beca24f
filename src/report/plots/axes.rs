//! What the charts share besides their look: the "no data" signal, point lists, padded and
//! logarithmic axis ranges, file-safe names and the rows a chart may show.

use std::ops::Range;

use plotters::coord::combinators::WithKeyPoints;
use plotters::prelude::*;

use crate::report::analysis::is_ok;
use crate::report::fmt::finite;
use crate::results::ResultRow;

/// A plot that has no data to show: `build_plots` records the message as a note instead of
/// drawing an empty frame.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct NoData(pub String);

/// A trial id as a file name: anything but ASCII letters, digits, `-` and `_` becomes `_`.
pub(crate) fn file_safe(id: &str) -> String {
    id.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect()
}

/// A polyline in data coordinates.
pub(crate) type Points = Vec<(f64, f64)>;

/// The range of `values` widened by 6 % each side (and to a visible width when all values
/// are equal), or `None` without a finite value.
pub(crate) fn padded(values: impl IntoIterator<Item = f64>) -> Option<Range<f64>> {
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
pub(crate) fn padded_log(values: impl IntoIterator<Item = f64>) -> Option<Range<f64>> {
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
pub(crate) fn log_ticks(r: &Range<f64>) -> Vec<f64> {
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
pub(crate) fn log_axis(r: Range<f64>) -> WithKeyPoints<LogCoord<f64>> {
    let ticks = log_ticks(&r);
    r.log_scale().with_key_points(ticks)
}

/// A log axis pays off once values span more than a factor of 20.
pub(crate) fn wants_log(values: &[f64]) -> bool {
    let pos: Vec<f64> = values.iter().copied().filter(|v| v.is_finite() && *v > 0.0).collect();
    let (lo, hi) = pos.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    pos.len() == values.len() && !pos.is_empty() && hi / lo > 20.0
}

pub(crate) fn ok_rows(results: &[ResultRow]) -> Vec<&ResultRow> {
    results.iter().filter(|r| is_ok(r) && finite(r.test_accuracy).is_some()).collect()
}
