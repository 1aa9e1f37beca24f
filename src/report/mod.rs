//! What people read: the summary, the HTML report and the plots, rebuilt from a sweep's CSVs
//! alone (read through `results`). Only `commands` uses this module.

pub mod analysis;
pub mod audit;
pub mod certainty;
pub mod configs;
pub mod fmt;
pub mod halving;
pub mod html;
pub mod inference;
pub mod load;
pub mod plots;
pub mod sections;
pub mod stats;
pub mod summary;

pub use summary::{write_live_report, write_report};
