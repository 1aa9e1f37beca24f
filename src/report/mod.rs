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
pub use load::{load_report_data, PowerSample, ReportData};
pub use plots::{build_plots, Plots};
pub use rows::{one_line, EpochRow, ResultRow};
pub use summary::{render_summary, write_report};
