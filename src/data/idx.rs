//! IDX format: parsing and validating the MNIST-style `idx3-ubyte` image
//! files and `idx1-ubyte` label files, and encoding them (for tests and
//! synthetic data dirs). Works on any `impl Read`, so it neither knows nor
//! cares whether the bytes came from a raw file, a gzip stream or memory;
//! turning an `IdxError` into a message that names the file is `mod.rs`'s job.

use std::io::{self, Read};

/// Magic number of an IDX file of unsigned bytes with three dimensions (images).
pub(super) const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with one dimension (labels).
pub(super) const LABELS_MAGIC: u32 = 0x0000_0801;
/// Classes are digits / garment types 0–9.
pub(super) const NUM_CLASSES: u8 = 10;
/// Image size the models are built for.
pub(super) const ROWS: usize = 28;
pub(super) const COLS: usize = 28;

/// Everything that can be wrong with an IDX file's contents. Callers and
/// tests match on the variants; `Display` says what is wrong without the
/// file name (the caller prefixes that).
#[derive(Debug, thiserror::Error)]
pub(super) enum IdxError {
    #[error("file is empty")]
    Empty,
    #[error("header is truncated: {got} bytes, an IDX {kind} header needs {need}")]
    ShortHeader { kind: &'static str, got: usize, need: usize },
    #[error("bad magic number 0x{found:08x}, expected 0x{expected:08x} (IDX {kind} file)")]
    BadMagic { kind: &'static str, found: u32, expected: u32 },
    #[error("images are {rows}×{cols} pixels, expected {want_rows}×{want_cols}")]
    BadDims { rows: usize, cols: usize, want_rows: usize, want_cols: usize },
    #[error("header declares no items")]
    NoItems,
    #[error(
        "truncated: header declares {count} items = {expected} data bytes, but only {actual} follow"
    )]
    Truncated { count: usize, expected: u64, actual: u64 },
    #[error("{extra} trailing bytes after the {count} items the header declares")]
    TrailingBytes { count: usize, extra: u64 },
    #[error("label {label} at index {index} is outside 0–9")]
    LabelOutOfRange { label: u8, index: usize },
    #[error("{images} images but {labels} labels")]
    CountMismatch { images: usize, labels: usize },
    #[error("corrupt gzip data: {0}")]
    CorruptGzip(io::Error),
    #[error("read failed: {0}")]
    Io(#[from] io::Error),
}

/// A parsed image file: `count` images of `rows`×`cols` pixels, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Images {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

/// Reads up to `buf.len()` bytes, stopping early only at end of input
/// (unlike `read_exact`, which cannot tell us how many bytes there were).
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Reads the `4 * (1 + dims)`-byte header and returns the big-endian words.
fn read_header<const N: usize>(
    r: &mut impl Read,
    kind: &'static str,
    magic: u32,
) -> Result<[u32; N], IdxError> {
    let mut buf = vec![0u8; 4 * N];
    let got = read_full(r, &mut buf)?;
    if got == 0 {
        return Err(IdxError::Empty);
    }
    if got < buf.len() {
        return Err(IdxError::ShortHeader { kind, got, need: buf.len() });
    }
    let mut words = [0u32; N];
    for (w, chunk) in words.iter_mut().zip(buf.chunks_exact(4)) {
        *w = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    if words[0] != magic {
        return Err(IdxError::BadMagic { kind, found: words[0], expected: magic });
    }
    Ok(words)
}

/// Reads exactly the `count`-item body and then drains the rest of the input
/// so that trailing bytes are caught (and, for gzip, the CRC gets checked).
fn read_body(r: &mut impl Read, count: usize, expected: u64) -> Result<Vec<u8>, IdxError> {
    // Cap the up-front allocation: a hostile header could claim terabytes.
    let mut body = Vec::with_capacity(expected.min(64 << 20) as usize);
    r.by_ref().take(expected).read_to_end(&mut body)?;
    let actual = body.len() as u64;
    if actual < expected {
        return Err(IdxError::Truncated { count, expected, actual });
    }
    let extra = io::copy(r, &mut io::sink())?;
    if extra > 0 {
        return Err(IdxError::TrailingBytes { count, extra });
    }
    Ok(body)
}

/// Parses an `idx3-ubyte` image file. Any non-zero dimensions are accepted
/// here; the 28×28 requirement of the models is checked by [`check_dims`].
pub(super) fn parse_images(mut r: impl Read) -> Result<Images, IdxError> {
    let [_, count, rows, cols] = read_header::<4>(&mut r, "images", IMAGES_MAGIC)?;
    let (count, rows, cols) = (count as usize, rows as usize, cols as usize);
    if rows == 0 || cols == 0 {
        return Err(IdxError::BadDims { rows, cols, want_rows: ROWS, want_cols: COLS });
    }
    if count == 0 {
        return Err(IdxError::NoItems);
    }
    let expected = count as u64 * rows as u64 * cols as u64;
    let pixels = read_body(&mut r, count, expected)?;
    Ok(Images { count, rows, cols, pixels })
}

/// Parses an `idx1-ubyte` label file and checks every label is in 0–9.
pub(super) fn parse_labels(mut r: impl Read) -> Result<Vec<u8>, IdxError> {
    let [_, count] = read_header::<2>(&mut r, "labels", LABELS_MAGIC)?;
    let count = count as usize;
    if count == 0 {
        return Err(IdxError::NoItems);
    }
    let labels = read_body(&mut r, count, count as u64)?;
    if let Some((index, &label)) = labels.iter().enumerate().find(|(_, l)| **l >= NUM_CLASSES) {
        return Err(IdxError::LabelOutOfRange { label, index });
    }
    Ok(labels)
}

/// Rejects images whose size the models were not built for.
pub(super) fn check_dims(
    images: &Images,
    want_rows: usize,
    want_cols: usize,
) -> Result<(), IdxError> {
    if (images.rows, images.cols) != (want_rows, want_cols) {
        return Err(IdxError::BadDims {
            rows: images.rows,
            cols: images.cols,
            want_rows,
            want_cols,
        });
    }
    Ok(())
}

/// Checks that an image file and a label file describe the same items.
pub(super) fn check_counts(images: &Images, labels: &[u8]) -> Result<(), IdxError> {
    if images.count != labels.len() {
        return Err(IdxError::CountMismatch { images: images.count, labels: labels.len() });
    }
    Ok(())
}

/// Encodes `n` images of `rows`×`cols` pixels as an `idx3-ubyte` file.
/// Panics if `images.len() != n * rows * cols` (a bug in the caller's test
/// data, not an input error).
pub fn encode_idx_images(images: &[u8], n: usize, rows: usize, cols: usize) -> Vec<u8> {
    assert_eq!(images.len(), n * rows * cols, "encode_idx_images: pixel count != n*rows*cols");
    let mut out = Vec::with_capacity(16 + images.len());
    for word in [IMAGES_MAGIC, n as u32, rows as u32, cols as u32] {
        out.extend_from_slice(&word.to_be_bytes());
    }
    out.extend_from_slice(images);
    out
}

/// Encodes labels as an `idx1-ubyte` file (values are not checked, so tests
/// can write out-of-range labels).
pub fn encode_idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + labels.len());
    out.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

#[cfg(test)]
#[path = "tests/idx.rs"]
mod tests;
