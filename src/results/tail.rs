//! Reading CSV files that a crash, a power loss or a concurrent writer may have left with a torn
//! last line. The rule lives here once: keep everything up to the last newline before any NUL
//! byte (ext4 may leave zeros after a power loss); a line without its newline was being written
//! when the writer died, or is being written right now.

use anyhow::{Context, Result};
use serde::de::DeserializeOwned;
use std::path::Path;

/// Length of the prefix of `bytes` made of complete lines.
pub(super) fn complete_len(bytes: &[u8]) -> usize {
    let clean_end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    bytes[..clean_end].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
}

/// Cut a torn last line (or NUL padding) off `path` so that appending to it is safe; returns
/// the bytes cut. Only for a file no one else is writing.
pub(crate) fn cut_torn_tail(path: &Path) -> Result<u64> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let keep = complete_len(&bytes);
    if keep < bytes.len() {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("{}: cannot open for writing", path.display()))?;
        f.set_len(keep as u64).with_context(|| format!("{}: cannot truncate", path.display()))?;
    }
    Ok((bytes.len() - keep) as u64)
}

/// Cut `path` to `len` bytes if it is longer (a missing file is fine).
pub(crate) fn truncate_to(path: &Path, len: u64) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > len => std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(len))
            .with_context(|| format!("{}: cannot truncate", path.display())),
        _ => Ok(()),
    }
}

/// Parse CSV rows from any reader; errors name `path` and the line.
pub(super) fn read_rows<T: DeserializeOwned>(
    reader: impl std::io::Read,
    path: &Path,
) -> Result<Vec<T>> {
    let mut rdr = csv::Reader::from_reader(reader);
    let mut rows = Vec::new();
    for (i, rec) in rdr.deserialize().enumerate() {
        rows.push(
            rec.with_context(|| format!("{}: row {} does not parse", path.display(), i + 2))?,
        );
    }
    Ok(rows)
}

/// Rows of the complete lines of `path` (none if it does not exist), and whether a torn last
/// line (or NUL padding) was left out. Never modifies the file: someone may be appending to it.
pub(crate) fn read_tolerant<T: DeserializeOwned>(path: &Path) -> Result<(Vec<T>, bool)> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), false)),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
    };
    let keep = complete_len(&bytes);
    Ok((read_rows(&bytes[..keep], path)?, keep < bytes.len()))
}

/// Rows of the complete lines of a file that must exist (see [`read_tolerant`]).
pub(crate) fn read_complete<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    if !path.exists() {
        anyhow::bail!("{}: no such file", path.display());
    }
    Ok(read_tolerant(path)?.0)
}

#[cfg(test)]
#[path = "tests/tail.rs"]
mod tests;
