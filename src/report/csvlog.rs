//! Crash-safe CSV files: rows are appended whole (one `write` of a complete line) and fsynced as
//! they are written, so a SIGKILL or power loss leaves at worst a torn last line, which
//! [`CsvLog::open`] cuts off and reports. Rewrites (dropping a superseded attempt) go through a
//! temporary file and an atomic rename, never in place.

use anyhow::{Context, Result};
use serde::{Serialize, de::DeserializeOwned};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

pub struct CsvLog<T> {
    path: PathBuf,
    _row: PhantomData<T>,
}

/// What `open` had to fix in an existing file.
#[derive(Debug, Default, PartialEq)]
pub struct Repair {
    /// Bytes cut from the end (a torn last line, or NUL padding after a power loss).
    pub cut_bytes: usize,
}

impl<T: Serialize + DeserializeOwned> CsvLog<T> {
    /// Open (or prepare to create) the log at `path`, repairing a torn tail.
    pub fn open(path: &Path) -> Result<(CsvLog<T>, Repair)> {
        let log = CsvLog { path: path.to_path_buf(), _row: PhantomData };
        let repair = log.repair()?;
        Ok((log, repair))
    }

    pub fn path(&self) -> &Path {
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
        // Keep everything up to the last newline before any NUL byte (ext4 may leave zeros after
        // a power loss) — a line without its newline was being written when the process died.
        let clean_end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        let keep = bytes[..clean_end].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
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
        Ok(Repair { cut_bytes: bytes.len() - keep })
    }

    /// All rows; a row that does not parse is an error naming the file and line.
    pub fn read_all(&self) -> Result<Vec<T>> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(e).with_context(|| format!("{}: cannot read", self.path.display()));
            }
        };
        read_rows(file, &self.path)
    }

    /// Append one row (the header first if the file is new) and fsync.
    pub fn append(&self, row: &T) -> Result<()> {
        let needs_header = std::fs::metadata(&self.path).map(|m| m.len() == 0).unwrap_or(true);
        let bytes = encode(std::slice::from_ref(row), needs_header)?;
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("{}: cannot open for appending", self.path.display()))?;
        file.write_all(&bytes)
            .and_then(|_| file.sync_data())
            .with_context(|| format!("{}: cannot append a row", self.path.display()))
    }

    /// Replace the whole file atomically with `rows`.
    pub fn replace_all(&self, rows: &[T]) -> Result<()> {
        let bytes = encode(rows, true)?;
        write_atomic(&self.path, &bytes)
    }
}

/// Parse CSV rows from any reader; errors name `path` and the line.
pub fn read_rows<T: DeserializeOwned>(reader: impl std::io::Read, path: &Path) -> Result<Vec<T>> {
    let mut rdr = csv::Reader::from_reader(reader);
    let mut rows = Vec::new();
    for (i, rec) in rdr.deserialize().enumerate() {
        rows.push(
            rec.with_context(|| format!("{}: row {} does not parse", path.display(), i + 2))?,
        );
    }
    Ok(rows)
}

/// Rows of the complete lines of a file someone else may be appending to (no repair).
pub fn read_complete<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let clean_end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let keep = bytes[..clean_end].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    read_rows(&bytes[..keep], path)
}

/// Rows as CSV bytes (RFC 4180, `\n` line ends), optionally with the header.
pub fn encode<T: Serialize>(rows: &[T], header: bool) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().has_headers(header).from_writer(Vec::new());
    for row in rows {
        w.serialize(row)?;
    }
    if rows.is_empty() && header {
        // The csv crate writes the header with the first row only; an empty table still gets none.
    }
    Ok(w.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))?)
}

/// Write `bytes` to `path` via a temporary sibling, fsync and rename: readers see the old or the
/// new file, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("{}: cannot write", path.display()))
}
