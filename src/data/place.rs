//! Atomic placement of a fetched file: write to a hidden temporary name in
//! the destination directory, fsync, rename over the final name, fsync the
//! directory. A crash or error never leaves a partial file under the final
//! name (which `load` would otherwise trust as "placed by hand").

use anyhow::Context;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Temporary name for `name` in `dir`: hidden, and unique per process so two
/// concurrent fetches cannot interleave their bytes.
fn temp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.part-{}", std::process::id()))
}

/// Creates `dir/name` with contents produced by `write`, atomically.
pub fn write_atomic(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> anyhow::Result<PathBuf> {
    let final_path = dir.join(name);
    let tmp = temp_path(dir, name);
    let result = (|| -> io::Result<()> {
        let mut file = File::create(&tmp)?;
        write(&mut file)?;
        file.flush()?;
        file.sync_all()?;
        fs::rename(&tmp, &final_path)
    })();
    if let Err(e) = result {
        // Best effort: the temp file may not even exist.
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("{}: cannot write", final_path.display()));
    }
    // Make the rename itself durable; failure here loses nothing already
    // written, so it is not worth failing the fetch over.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(final_path)
}

/// Creates `dir/name` holding `bytes`, atomically.
pub fn place_bytes(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    write_atomic(dir, name, |f| f.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .expect("temp dir readable")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn places_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = place_bytes(dir.path(), "f.gz", b"contents").expect("placed");
        assert_eq!(fs::read(&path).expect("readable"), b"contents");
        assert_eq!(entries(dir.path()), vec!["f.gz".to_owned()]);
    }

    #[test]
    fn failure_mid_write_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let final_path = dir.path().join("train-images-idx3-ubyte");
        let mut visible_mid_write = true;
        let err = write_atomic(dir.path(), "train-images-idx3-ubyte", |f| {
            f.write_all(&[1u8; 4096])?;
            // A crash now must not leave a partial file under the final name.
            visible_mid_write = final_path.exists();
            Err(io::Error::other("connection reset"))
        })
        .unwrap_err();
        assert!(!visible_mid_write, "partial file visible under the final name");
        assert!(format!("{err:#}").contains("connection reset"), "{err:#}");
        assert!(entries(dir.path()).is_empty(), "left: {:?}", entries(dir.path()));
    }

    #[test]
    fn missing_dir_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("nope");
        let err = place_bytes(&sub, "x", b"1").unwrap_err();
        assert!(err.to_string().contains("nope/x"), "{err}");
    }
}
