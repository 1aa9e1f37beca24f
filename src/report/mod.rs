//! What people read: the summary, the HTML report and the plots, rebuilt from a sweep's CSVs
//! alone (`read`, through `results`) and written through one list of outputs (`export`). Only
//! `commands` uses this module.

pub mod analysis;
pub mod audit;
pub mod certainty;
pub mod configs;
pub mod export;
pub mod fmt;
pub mod halving;
pub mod html;
pub mod inference;
pub mod plots;
pub mod read;
pub mod sections;
pub mod stats;
pub mod summary;

pub use export::{write_live_report, write_report};
