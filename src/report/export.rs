//! The report's outputs as one list, as hyperfine's `ExportManager` runs every `Exporter`:
//! plots/*.svg, summary.csv, summary.md and index.html are each an [`Output`] in [`OUTPUTS`],
//! and `write_report` regenerates them all from a sweep's CSVs alone. A new output (an export
//! format) is an entry in the list, not another call. Every file is written atomically
//! (temporary file + rename), so a reader never sees half a report file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::report::configs::{configurations, summary_csv};
use crate::report::html::render_html;
use crate::report::plots::{Plots, build_plots, power_selection};
use crate::report::read::{ReportData, load_report_data};
use crate::report::summary::render_summary_with;
use crate::results::write_atomic;

/// One output of the report, drawn from the CSVs' contents and the plots built from them.
pub(crate) trait Output {
    /// What it writes, relative to the sweep's directory (`plots/`, `summary.md`, …).
    fn name(&self) -> &'static str;
    /// Write it into `out`; the paths written, in order.
    fn write(&self, data: &ReportData, plots: &Plots, out: &Path) -> Result<Vec<PathBuf>>;
}

/// Every output, in the order written. index.html stays last: a present index.html means the
/// plots and summaries beside it are current.
pub(crate) const OUTPUTS: [&dyn Output; 4] = [
    &PlotFiles,
    &Document {
        name: "summary.csv",
        render: |data, _| summary_csv(&configurations(&data.results)),
    },
    &Document {
        name: "summary.md",
        render: |data, plots| Ok(render_summary_with(data, plots).into_bytes()),
    },
    &Document {
        name: "index.html",
        render: |data, plots| Ok(render_html(data, plots).into_bytes()),
    },
];

/// Write every output into `out`, from the CSVs in `out`. Returns the paths written.
pub(crate) fn write_report(out: &Path) -> Result<Vec<PathBuf>> {
    write_report_as(out, false)
}

/// The report of a sweep that is still running, rebuilt after each trial: `index.html` says so
/// and reloads itself every 30 s (the final report, from `write_report`, does not).
pub(crate) fn write_live_report(out: &Path) -> Result<Vec<PathBuf>> {
    write_report_as(out, true)
}

fn write_report_as(out: &Path, live: bool) -> Result<Vec<PathBuf>> {
    let mut data = load_report_data(out)?;
    let drawn = power_selection(&data);
    data.load_power(&drawn);
    data.live = live;
    let plots = build_plots(&data);
    let mut written = Vec::new();
    for output in OUTPUTS {
        tracing::debug!("report: writing {}", output.name());
        written.extend(output.write(&data, &plots, out)?);
    }
    Ok(written)
}

/// An output that is one file, its bytes rendered without I/O (as hyperfine's exporters
/// serialize to bytes).
struct Document {
    /// The file's name in the sweep's directory.
    name: &'static str,
    render: fn(&ReportData, &Plots) -> Result<Vec<u8>>,
}

impl Output for Document {
    fn name(&self) -> &'static str {
        self.name
    }

    fn write(&self, data: &ReportData, plots: &Plots, out: &Path) -> Result<Vec<PathBuf>> {
        let bytes = (self.render)(data, plots)?;
        let path = out.join(self.name);
        write_atomic(&path, &bytes)?;
        Ok(vec![path])
    }
}

/// `plots/<name>.svg` for every plot drawn. Plots left over from an earlier report that were
/// not drawn this time are removed, so plots/ never shows a figure the page no longer has.
struct PlotFiles;

impl Output for PlotFiles {
    fn name(&self) -> &'static str {
        "plots/"
    }

    fn write(&self, _: &ReportData, plots: &Plots, out: &Path) -> Result<Vec<PathBuf>> {
        let dir = out.join("plots");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
        let mut written = Vec::new();
        for p in &plots.plots {
            if let Some(svg) = &p.svg {
                let path = dir.join(format!("{}.svg", p.name));
                write_atomic(&path, svg.as_bytes())?;
                written.push(path);
            }
        }
        remove_stale_plots(&dir, &written);
        Ok(written)
    }
}

fn remove_stale_plots(dir: &Path, keep: &[PathBuf]) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.flatten().map(|e| e.path()) {
        if path.extension().is_some_and(|e| e == "svg")
            && !keep.contains(&path)
            && let Err(e) = std::fs::remove_file(&path)
        {
            tracing::warn!("cannot remove stale plot {}: {e}", path.display());
        }
    }
}

#[cfg(test)]
#[path = "tests/export.rs"]
mod tests;
