//! Everything written for people and spreadsheets: the CSV records and their crash-safe files,
//! and (from the CSVs alone) the summary, the HTML report and the plots.

pub mod csvlog;
pub mod rows;

pub use csvlog::{CsvLog, Repair};
pub use rows::{one_line, EpochRow, ResultRow};
