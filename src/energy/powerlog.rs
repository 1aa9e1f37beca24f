//! The per-trial power time series, `<out>/power/<trial_id>.csv`:
//!
//! ```text
//! t_s,domain,power_w,energy_j
//! 0.100012,package-0,23.512,2.351200
//! ```
//!
//! `t_s`: seconds since the log was opened; `power_w`: mean power of that
//! domain since the previous row; `energy_j`: cumulative energy of that domain
//! since the log was opened. One row per domain per sampler tick, plus a final
//! set of rows taken when the log is closed so the last `energy_j` matches a
//! window read at the same moment.
//!
//! A trial that continues from a checkpoint (successive halving) appends to its series: `t_s`
//! and `energy_j` go on from the file's last row, so the gap between the two runs is left out.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::reading::Reading;
use super::receipts::{ReceiptTaker, Receipts};
use crate::results::{PowerSample, cut_torn_tail, read_tolerant};

pub(crate) struct PowerLog {
    path: PathBuf,
    writer: csv::Writer<BufWriter<File>>,
    start: Reading,
    last: Reading,
    rows: u64,
    /// Where a continued series left off: seconds, and joules per domain.
    t_offset_s: f64,
    energy_offset_j: HashMap<String, f64>,
    /// First write error; reported by `finish` (the sampler cannot return it).
    error: Option<String>,
    /// How well the readings this log saw were spaced.
    receipts: ReceiptTaker,
}

impl PowerLog {
    pub(super) fn create(path: &Path, start: Reading) -> anyhow::Result<PowerLog> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let file =
            File::create(path).with_context(|| format!("creating power log {}", path.display()))?;
        let mut writer = csv::Writer::from_writer(BufWriter::new(file));
        writer
            .write_record(["t_s", "domain", "power_w", "energy_j"])
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(PowerLog {
            path: path.to_path_buf(),
            writer,
            last: start.clone(),
            start,
            rows: 0,
            t_offset_s: 0.0,
            energy_offset_j: HashMap::new(),
            error: None,
            receipts: ReceiptTaker::default(),
        })
    }

    /// Append to the series in `path` (a new one if there is none): times and cumulative
    /// energies go on from its last complete row.
    pub(super) fn continue_at(path: &Path, start: Reading) -> anyhow::Result<PowerLog> {
        let (samples, _) = read_tolerant::<PowerSample>(path)?;
        if !path.exists() || samples.is_empty() {
            return PowerLog::create(path, start);
        }
        cut_torn_tail(path)?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("opening power log {}", path.display()))?;
        let t_offset_s = samples.last().map_or(0.0, |s| s.t_s);
        let mut energy_offset_j = HashMap::new();
        for s in &samples {
            energy_offset_j.insert(s.domain.clone(), s.energy_j);
        }
        Ok(PowerLog {
            path: path.to_path_buf(),
            writer: csv::WriterBuilder::new().has_headers(false).from_writer(BufWriter::new(file)),
            last: start.clone(),
            start,
            rows: 0,
            t_offset_s,
            energy_offset_j,
            error: None,
            receipts: ReceiptTaker::default(),
        })
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Append one row per domain. Readings not newer than the last row (e.g.
    /// taken by the sampler just before this log was opened) are skipped.
    pub(super) fn append(&mut self, reading: &Reading) {
        if reading.at <= self.last.at {
            return;
        }
        if self.receipts.is_empty() {
            self.receipts.see(&self.last);
        }
        self.receipts.see(reading);
        if self.error.is_some() {
            return;
        }
        let dt_s = reading.at.duration_since(self.last.at).as_secs_f64();
        let t_s = self.t_offset_s + reading.at.duration_since(self.start.at).as_secs_f64();
        for d in &reading.domains {
            let prev = self.last.energy_uj(&d.domain).unwrap_or(d.energy_uj);
            let base = self.start.energy_uj(&d.domain).unwrap_or(d.energy_uj);
            let power_w = d.energy_uj.saturating_sub(prev) as f64 / 1e6 / dt_s;
            let energy_j = self.energy_offset_j.get(&d.domain).copied().unwrap_or(0.0)
                + d.energy_uj.saturating_sub(base) as f64 / 1e6;
            let record = [
                format!("{t_s:.6}"),
                d.domain.clone(),
                format!("{power_w:.3}"),
                format!("{energy_j:.6}"),
            ];
            if let Err(e) = self.writer.write_record(&record) {
                tracing::warn!("power log {}: {e}; no more rows are written", self.path.display());
                self.error = Some(e.to_string());
                return;
            }
            self.rows += 1;
        }
        self.last = reading.clone();
    }

    /// The sampling receipts of the readings seen so far.
    pub(super) fn receipts(&self) -> Receipts {
        self.receipts.receipts()
    }

    /// Flush, and return the file's length in bytes and the data rows written so far.
    pub(super) fn mark(&mut self) -> anyhow::Result<(u64, u64)> {
        if let Some(e) = &self.error {
            anyhow::bail!("power log {} is incomplete: {e}", self.path.display());
        }
        self.writer.flush().with_context(|| format!("flushing {}", self.path.display()))?;
        let len = self
            .writer
            .get_ref()
            .get_ref()
            .metadata()
            .with_context(|| format!("reading {}", self.path.display()))?
            .len();
        Ok((len, self.rows))
    }

    /// Flush and close; returns the number of data rows written.
    pub(super) fn finish(mut self) -> anyhow::Result<u64> {
        if let Some(e) = self.error.take() {
            anyhow::bail!("power log {} is incomplete: {e}", self.path.display());
        }
        self.writer.flush().with_context(|| format!("flushing {}", self.path.display()))?;
        Ok(self.rows)
    }
}
