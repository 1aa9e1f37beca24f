//! Crash-safe CSV files: rows are appended whole (one `write` of a complete line) and fsynced as
//! they are written, so a SIGKILL or power loss leaves at worst a torn last line, which
//! [`CsvLog::open`] cuts off and reports. Rewrites (dropping a superseded attempt) go through
//! [`write_atomic`], never in place.

use super::atomic::write_atomic;
use super::tail::{complete_len, read_rows};
use anyhow::{Context, Result};
use serde::{Serialize, de::DeserializeOwned};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

pub(crate) struct CsvLog<T> {
    path: PathBuf,
    _row: PhantomData<T>,
}

/// What `open` had to fix in an existing file.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Repair {
    /// Bytes cut from the end (a torn last line, or NUL padding after a power loss).
    pub cut_bytes: usize,
    /// The file had another version's columns and was rewritten with this version's (rows kept,
    /// new columns empty or at their documented default).
    pub upgraded: bool,
}

impl<T: Serialize + DeserializeOwned + Default> CsvLog<T> {
    /// Open (or prepare to create) the log at `path`, repairing a torn tail.
    pub(crate) fn open(path: &Path) -> Result<(CsvLog<T>, Repair)> {
        let log = CsvLog { path: path.to_path_buf(), _row: PhantomData };
        let mut repair = log.repair()?;
        repair.upgraded = log.upgrade()?;
        Ok((log, repair))
    }

    /// Appending rows under another version's header would shift every column: a file written
    /// by an older wattsweep (fewer columns) is rewritten once, atomically, with today's header.
    fn upgrade(&self) -> Result<bool> {
        let Ok(bytes) = std::fs::read(&self.path) else { return Ok(false) };
        let Some(end) = bytes.iter().position(|&b| b == b'\n') else { return Ok(false) };
        let expected = encode::<T>(&[], true)?;
        if bytes[..=end] == expected[..] {
            return Ok(false);
        }
        // Rows that do not parse are left for the caller's read, which names the damaged row.
        let Ok(rows) = self.read_all() else { return Ok(false) };
        self.replace_all(&rows)?;
        Ok(true)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn repair(&self) -> Result<Repair> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Repair::default()),
            Err(e) => {
                return Err(e).with_context(|| format!("{}: cannot read", self.path.display()));
            }
        };
        let keep = complete_len(&bytes);
        if keep == bytes.len() {
            return Ok(Repair::default());
        }
        let file = OpenOptions::new()
            .write(true)
            .open(&self.path)
            .with_context(|| format!("{}: cannot open to repair", self.path.display()))?;
        file.set_len(keep as u64)
            .and_then(|_| file.sync_all())
            .with_context(|| format!("{}: cannot cut the torn last line", self.path.display()))?;
        Ok(Repair { cut_bytes: bytes.len() - keep, upgraded: false })
    }

    /// All rows; a row that does not parse is an error naming the file and line.
    pub(crate) fn read_all(&self) -> Result<Vec<T>> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(e).with_context(|| format!("{}: cannot read", self.path.display()));
            }
        };
        read_rows(file, &self.path)
    }

    /// Append one row (the header first if the file is new) and fsync. A failed write (a full
    /// disk, a quota) cuts the file back to where it was at once, so no torn row is left for a
    /// reader or the next run to repair.
    pub(crate) fn append(&self, row: &T) -> Result<()> {
        self.append_with(row, |file, bytes| file.write_all(bytes).and_then(|_| file.sync_data()))
    }

    /// [`CsvLog::append`] with the write itself injectable (the tests make it fail half-way).
    fn append_with(
        &self,
        row: &T,
        write: impl FnOnce(&mut std::fs::File, &[u8]) -> std::io::Result<()>,
    ) -> Result<()> {
        let needs_header = std::fs::metadata(&self.path).map(|m| m.len() == 0).unwrap_or(true);
        let bytes = encode(std::slice::from_ref(row), needs_header)?;
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("{}: cannot open for appending", self.path.display()))?;
        let before = file
            .metadata()
            .with_context(|| format!("{}: cannot read its length", self.path.display()))?
            .len();
        let Err(e) = write(&mut file, &bytes) else { return Ok(()) };
        // Truncating frees blocks, so it works on a full disk too.
        let cut = file.set_len(before).and_then(|_| file.sync_data());
        let what = match cut {
            Ok(()) => "the file was cut back to its last whole row".to_string(),
            Err(c) => format!(
                "and cutting it back to its last whole row failed too ({c}): the next run repairs it"
            ),
        };
        Err(e).with_context(|| format!("{}: cannot append a row; {what}", self.path.display()))
    }

    /// Replace the whole file atomically with `rows`.
    pub(crate) fn replace_all(&self, rows: &[T]) -> Result<()> {
        write_atomic(&self.path, &encode(rows, true)?)
    }
}

/// Rows as CSV bytes (RFC 4180, `\n` line ends), optionally with the header. An empty table with
/// a header is the header line alone, so the file still names its columns.
pub(crate) fn encode<T: Serialize + Default>(rows: &[T], header: bool) -> Result<Vec<u8>> {
    if rows.is_empty() {
        if !header {
            return Ok(Vec::new());
        }
        // The csv crate writes the header with the first row only: take it from a default row.
        let mut bytes = encode(&[T::default()], true)?;
        let end = bytes.iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| i + 1);
        bytes.truncate(end);
        return Ok(bytes);
    }
    let mut w = csv::WriterBuilder::new().has_headers(header).from_writer(Vec::new());
    for row in rows {
        w.serialize(row)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))
}

#[cfg(test)]
#[path = "tests/log.rs"]
mod tests;
