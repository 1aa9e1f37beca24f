//! Loading a data set into memory, validated and digest-checked. The file edge lives here: an
//! IDX problem becomes a [`DataFileError`] naming the file.

use super::dataset::{Dataset, locate, manual_instructions};
use super::digests::{self, PinnedFile};
use super::fetch::fetch;
use super::idx::{self, IdxError};
use super::split::Split;
use crate::names::Named;
use anyhow::Context;
use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub(crate) struct LoadedData {
    pub train: Split,
    pub test: Split,
    /// All four files match the pinned digests. `false` is allowed (custom
    /// or synthetic data): the caller warns and records it in run.json.
    pub verified: bool,
    /// The four files read, in [`Dataset::files`] order.
    pub files: Vec<PathBuf>,
    /// SHA-256 (hex) of each file's decompressed bytes, parallel to `files`.
    pub sha256: Vec<String>,
    /// The files whose digest differs from the pinned one.
    pub unverified: Vec<PathBuf>,
}

/// An IDX problem in a particular file: `Display` is `PATH: what is wrong`.
/// Reaches callers inside `anyhow::Error`; `downcast_ref` to match `kind`.
#[derive(Debug)]
pub(super) struct DataFileError {
    pub path: PathBuf,
    pub kind: IdxError,
    /// For `CountMismatch`: the image file the label file disagrees with.
    pub images_path: Option<PathBuf>,
}

impl fmt::Display for DataFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.kind, &self.images_path) {
            (IdxError::CountMismatch { images, labels }, Some(img)) => write!(
                f,
                "{}: {labels} labels, but {} has {images} images",
                self.path.display(),
                img.display()
            ),
            (kind, _) => write!(f, "{}: {kind}", self.path.display()),
        }
    }
}

impl std::error::Error for DataFileError {}

fn file_error(path: &Path, kind: IdxError) -> anyhow::Error {
    DataFileError { path: path.to_owned(), kind, images_path: None }.into()
}

/// Opens `path` for parsing: decompressing if it ends in `.gz`. Returns the
/// reader and whether it is gzip (so read errors can be blamed correctly).
fn open(path: &Path) -> anyhow::Result<(Box<dyn Read>, bool)> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let len = file.metadata().with_context(|| format!("{}: cannot stat", path.display()))?.len();
    if len == 0 {
        return Err(file_error(path, IdxError::Empty));
    }
    let gz = path.extension().is_some_and(|e| e == "gz");
    let buf = BufReader::with_capacity(1 << 16, file);
    Ok(if gz {
        (Box::new(flate2::read::MultiGzDecoder::new(buf)), true)
    } else {
        (Box::new(buf), false)
    })
}

/// Parses one file with `parse`, hashing it on the way; I/O errors inside a
/// gzip stream are reported as corrupt gzip.
fn read_file<T>(
    path: &Path,
    parse: impl FnOnce(&mut dyn Read) -> Result<T, IdxError>,
) -> anyhow::Result<(T, String)> {
    let (reader, gz) = open(path)?;
    let mut hashing = digests::HashingReader::new(reader);
    match parse(&mut hashing) {
        Ok(v) => Ok((v, hashing.finish().0)),
        Err(IdxError::Io(e)) if gz => Err(file_error(path, IdxError::CorruptGzip(e))),
        Err(kind) => Err(file_error(path, kind)),
    }
}

/// Loads and cross-checks one split's image and label files.
fn load_split(images_path: &Path, labels_path: &Path) -> anyhow::Result<(Split, [String; 2])> {
    let (images, img_sha) = read_file(images_path, |r| idx::parse_images(r))?;
    idx::check_dims(&images, idx::ROWS, idx::COLS).map_err(|k| file_error(images_path, k))?;
    let (labels, lbl_sha) = read_file(labels_path, |r| idx::parse_labels(r))?;
    if let Err(kind) = idx::check_counts(&images, &labels) {
        let path = labels_path.to_owned();
        return Err(DataFileError { path, kind, images_path: Some(images_path.to_owned()) }.into());
    }
    let split = Split { images: images.pixels, labels, rows: images.rows, cols: images.cols };
    Ok((split, [img_sha, lbl_sha]))
}

/// Load the four files from `dir` (raw or .gz); if any is missing and `fetch_missing`, fetch first.
pub(crate) fn load(
    dataset: Dataset,
    dir: &Path,
    fetch_missing: bool,
) -> anyhow::Result<LoadedData> {
    let missing: Vec<&str> =
        dataset.files().iter().map(|f| f.stem).filter(|s| locate(dir, s).is_none()).collect();
    if !missing.is_empty() {
        if !fetch_missing {
            anyhow::bail!(
                "{}: missing {} file(s): {}. Run `wattsweep fetch {}`. {}",
                dir.display(),
                dataset.title(),
                missing.join(", "),
                dataset.name(),
                manual_instructions(dataset, dir)
            );
        }
        for line in fetch(dataset, dir)? {
            tracing::info!("{line}");
        }
    }
    load_with_pins(dir, dataset.files())
}

/// [`load`] without fetching, against the given pins (tests pin synthetic data).
pub(crate) fn load_with_pins(dir: &Path, pins: &[PinnedFile; 4]) -> anyhow::Result<LoadedData> {
    let paths: Vec<PathBuf> = pins
        .iter()
        .map(|p| {
            locate(dir, p.stem).with_context(|| {
                format!("{}: no {} (raw or .gz)", dir.display(), dir.join(p.stem).display())
            })
        })
        .collect::<anyhow::Result<_>>()?;
    // Structural checks of all four files come first: they say more than a
    // digest mismatch would.
    let (train, [s0, s1]) = load_split(&paths[0], &paths[1])?;
    let (test, [s2, s3]) = load_split(&paths[2], &paths[3])?;
    let sha256 = vec![s0, s1, s2, s3];
    let mut unverified = Vec::new();
    for ((path, pin), got) in paths.iter().zip(pins).zip(&sha256) {
        if pin.sha256 != got.as_str() {
            tracing::debug!("{}: sha256 {got}, pinned {}", path.display(), pin.sha256);
            unverified.push(path.clone());
        }
    }
    Ok(LoadedData {
        train,
        test,
        verified: unverified.is_empty(),
        files: paths,
        sha256,
        unverified,
    })
}
