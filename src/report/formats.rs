//! `wattsweep export OUT --format …`: a sweep's trials in another tool's format, written into
//! `OUT` beside the CSVs — CodeCarbon's `emissions.csv` (`codecarbon`) or an OpenMetrics text
//! file `metrics.prom` (`openmetrics`). Read from the CSVs alone, like the report; each file is
//! written atomically.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::report::codecarbon::{Host, emissions_csv};
use crate::report::openmetrics::openmetrics;
use crate::report::read::load_report_data;
use crate::results::write_atomic;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExportFormat {
    CodeCarbon,
    OpenMetrics,
}

impl ExportFormat {
    /// The file it writes in the sweep's directory.
    pub(crate) fn file_name(self) -> &'static str {
        match self {
            ExportFormat::CodeCarbon => "emissions.csv",
            ExportFormat::OpenMetrics => "metrics.prom",
        }
    }
}

/// Write `format` into `out` from its CSVs; the path written. A folder without results.csv is
/// an error that names it.
pub(crate) fn write_export(out: &Path, format: ExportFormat) -> Result<PathBuf> {
    let data = load_report_data(out)?;
    let bytes = match format {
        ExportFormat::CodeCarbon => emissions_csv(&data.results, &project_name(out), &host(out))?,
        ExportFormat::OpenMetrics => openmetrics(&data.results).into_bytes(),
    };
    let path = out.join(format.file_name());
    write_atomic(&path, &bytes)?;
    Ok(path)
}

/// CodeCarbon's `project_name`: the output folder's name (the grid's `name` by default).
fn project_name(out: &Path) -> String {
    let abs = std::fs::canonicalize(out).unwrap_or_else(|_| out.to_path_buf());
    abs.file_name().and_then(|n| n.to_str()).unwrap_or("wattsweep").to_string()
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// The machine as `machine.json` describes it, else the `machine` of `run.json` (sweeps written
/// before machine.json); an unreadable file gives empty cells, not an error.
pub(crate) fn host(out: &Path) -> Host {
    let text = |v: &serde_json::Value, k: &str| {
        v.get(k).and_then(|x| x.as_str()).filter(|s| !s.is_empty()).map(String::from)
    };
    let int = |v: &serde_json::Value, k: &str| v.get(k).and_then(serde_json::Value::as_u64);
    if let Some(m) = read_json(&out.join(crate::machine::MACHINE_FILE)) {
        return Host {
            os: text(&m, "os"),
            cpu_model: text(&m, "cpu_model"),
            cpu_count: int(&m, "logical_cpus"),
            ram_gib: int(&m, "memory_mb").map(|mb| mb as f64 / 1024.0),
        };
    }
    let Some(run) = read_json(&out.join("run.json")) else { return Host::default() };
    let Some(m) = run.get("machine") else { return Host::default() };
    Host {
        os: text(m, "os"),
        cpu_model: text(m, "cpu_model"),
        cpu_count: int(m, "logical_cores"),
        ram_gib: int(m, "ram_mb").map(|mb| mb as f64 / 1024.0),
    }
}

#[cfg(test)]
#[path = "tests/formats.rs"]
mod tests;
