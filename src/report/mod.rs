//! Everything written for people and spreadsheets: the CSV records and their crash-safe files,
//! and (from the CSVs alone) the summary, the HTML report and the plots.

pub mod analysis;
pub mod audit;
pub mod csvlog;
pub mod fmt;
pub mod html;
pub mod load;
pub mod plot_style;
pub mod plots;
pub mod plots_bars;
pub mod plots_results;
pub mod plots_series;
pub mod rows;
pub mod sections;
pub mod summary;

pub use csvlog::{CsvLog, Repair};
pub use html::render_html;
pub use load::{PowerSample, ReportData, load_report_data};
pub use plots::{Plots, build_plots};
pub use rows::{EpochRow, ResultRow, one_line};
pub use summary::{render_summary, write_report};
