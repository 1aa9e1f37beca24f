//! Replacing a file whole: write a hidden temporary sibling, fsync, rename over the final name,
//! fsync the directory. Readers see the old file or the new one, never a mix, and a crash or an
//! error never leaves a partial file under the final name.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Write `bytes` to `path` atomically.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Create or replace `path` with what `write` puts into the file, atomically. The temporary
/// name is unique per process, so two processes cannot interleave their bytes.
pub(super) fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> io::Result<()> {
        let mut f = File::create(&tmp)?;
        write(&mut f)?;
        f.flush()?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        // Best effort: the temporary file may not even exist.
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("{}: cannot write", path.display()));
    }
    // Make the rename itself durable; a failure here loses nothing already written.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
#[path = "tests/atomic.rs"]
mod tests;
