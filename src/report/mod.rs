//! What people read: the summary, the HTML report and the plots, rebuilt from a sweep's CSVs
//! alone (`read`, through `results`) and written through one list of outputs (`export`); the
//! trials in other tools' formats (`formats`: `codecarbon`, `openmetrics`); two sweeps side by
//! side (`compare` → `compare_out`). Only `commands` uses this module.

pub(crate) mod analysis;
pub(crate) mod audit;
pub(crate) mod certainty;
pub(crate) mod codecarbon;
pub(crate) mod compare;
pub(crate) mod compare_out;
pub(crate) mod configs;
pub(crate) mod export;
pub(crate) mod fmt;
pub(crate) mod formats;
pub(crate) mod halving;
pub(crate) mod html;
pub(crate) mod inference;
pub(crate) mod openmetrics;
pub(crate) mod plots;
pub(crate) mod read;
pub(crate) mod sections;
pub(crate) mod stats;
pub(crate) mod summary;

pub(crate) use compare_out::run_compare;
pub(crate) use export::{write_live_report, write_report};
pub(crate) use formats::{ExportFormat, write_export};
