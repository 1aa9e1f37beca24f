//! The report's plots as SVG text. Files, each depending only on those listed before it:
//! `style` (colours, markers, dashes, legend), `axes` (ranges, "no data", shared helpers), the
//! charts `results`, `bars` and `inference` (one mark per trial) and `series` (per-epoch and
//! power series),
//! and `build` (draw them all). This file only declares and re-exports.

pub(super) mod axes;
mod bars;
mod build;
mod inference;
mod results;
mod series;
pub(super) mod style;

pub(crate) use build::{Plots, build_plots, power_selection};
pub(crate) use series::MAX_POINTS;
