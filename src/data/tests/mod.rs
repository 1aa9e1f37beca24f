//! Tests of `load` across the file edge: synthetic data dirs, raw and .gz,
//! damaged in each way, and digest verification. Also the helpers that
//! `fetch_tests` builds its synthetic data with. No network.

mod fetch;

use super::digests::{self, PinnedFile};
use super::idx::IdxError;
use super::load::{DataFileError, load_with_pins};
use super::*;
use crate::names::Named;
use flate2::{Compression, write::GzEncoder};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub(super) const STEMS: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

pub(super) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).expect("in-memory write");
    enc.finish().expect("in-memory gzip")
}

/// Contents of the four files: `n_train`/`n_test` 28×28 images.
pub(super) fn synthetic(n_train: usize, n_test: usize) -> [Vec<u8>; 4] {
    let img = |n: usize| {
        let px: Vec<u8> = (0..n * 784).map(|i| (i * 7 % 256) as u8).collect();
        encode_idx_images(&px, n, 28, 28)
    };
    let lbl = |n: usize| encode_idx_labels(&(0..n).map(|i| (i % 10) as u8).collect::<Vec<_>>());
    [img(n_train), lbl(n_train), img(n_test), lbl(n_test)]
}

/// Writes the files into `dir`, gzipping those flagged.
pub(super) fn write_dir(dir: &Path, contents: &[Vec<u8>; 4], gz: [bool; 4]) -> Vec<PathBuf> {
    (0..4)
        .map(|i| {
            let (name, bytes) = if gz[i] {
                (format!("{}.gz", STEMS[i]), gzip(&contents[i]))
            } else {
                (STEMS[i].to_owned(), contents[i].clone())
            };
            let path = dir.join(name);
            fs::write(&path, bytes).expect("write test file");
            path
        })
        .collect()
}

/// Pins matching `contents` (leaked: pins hold `&'static str`).
pub(super) fn pins_for(contents: &[Vec<u8>; 4]) -> [PinnedFile; 4] {
    std::array::from_fn(|i| PinnedFile {
        stem: STEMS[i],
        sha256: Box::leak(digests::sha256_hex(&contents[i]).into_boxed_str()),
        len: contents[i].len() as u64,
    })
}

fn kind(err: &anyhow::Error) -> &IdxError {
    &err.downcast_ref::<DataFileError>().expect("a DataFileError").kind
}

#[test]
fn loads_raw_and_gz_and_verifies_matching_digests() {
    let dir = tempfile::tempdir().expect("tempdir");
    let contents = synthetic(30, 12);
    let paths = write_dir(dir.path(), &contents, [true, false, false, true]);
    let data = load_with_pins(dir.path(), &pins_for(&contents)).expect("loads");
    assert!(data.verified && data.unverified.is_empty());
    assert_eq!((data.train.len(), data.test.len()), (30, 12));
    assert_eq!((data.train.rows, data.train.cols), (28, 28));
    assert_eq!(data.train.images, contents[0][16..]);
    assert_eq!(data.test.labels, contents[3][8..]);
    assert_eq!(data.test.image(11), &contents[2][16 + 11 * 784..]);
    assert_eq!(data.files, paths);
    assert_eq!(data.sha256[2], digests::sha256_hex(&contents[2]));
}

#[test]
fn digest_mismatch_is_flagged_not_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let contents = synthetic(5, 5);
    let paths = write_dir(dir.path(), &contents, [false; 4]);
    let mut pins = pins_for(&contents);
    pins[1].sha256 = digests::MNIST_FILES[1].sha256;
    let data = load_with_pins(dir.path(), &pins).expect("custom data is allowed");
    assert!(!data.verified);
    assert_eq!(data.unverified, vec![paths[1].clone()]);
    // Through the public entry point, synthetic data is unverified against the real pins.
    let data = load(Dataset::Mnist, dir.path(), false).expect("loads");
    assert!(!data.verified);
    assert_eq!(data.unverified.len(), 4);
}

#[test]
fn label_out_of_range_names_file_value_and_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut contents = synthetic(400, 5);
    contents[1][8 + 345] = 12;
    let paths = write_dir(dir.path(), &contents, [false, true, false, false]);
    let err = load(Dataset::Mnist, dir.path(), false).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}: label 12 at index 345 is outside 0–9", paths[1].display())
    );
    assert!(matches!(kind(&err), IdxError::LabelOutOfRange { label: 12, index: 345 }));
}

#[test]
fn corrupt_and_truncated_gzip_are_reported_as_such() {
    let dir = tempfile::tempdir().expect("tempdir");
    let contents = synthetic(50, 5);
    let paths = write_dir(dir.path(), &contents, [true, false, false, false]);
    let mut gz = fs::read(&paths[0]).expect("read back");
    let mid = gz.len() / 2;
    gz[mid] ^= 0x55;
    fs::write(&paths[0], &gz).expect("rewrite");
    let err = load(Dataset::Mnist, dir.path(), false).unwrap_err();
    assert!(matches!(kind(&err), IdxError::CorruptGzip(_)), "{err}");
    assert!(err.to_string().starts_with(&format!("{}: corrupt gzip", paths[0].display())));
    fs::write(&paths[0], &gzip(&contents[0])[..mid]).expect("rewrite"); // cut short
    let err = load(Dataset::Mnist, dir.path(), false).unwrap_err();
    assert!(matches!(kind(&err), IdxError::CorruptGzip(_)), "{err}");
}

#[test]
fn structural_errors_inside_gzip_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut contents = synthetic(5, 5);
    contents[2].extend_from_slice(&[0; 3]);
    let paths = write_dir(dir.path(), &contents, [true; 4]);
    let err = load(Dataset::Mnist, dir.path(), false).unwrap_err();
    assert!(matches!(kind(&err), IdxError::TrailingBytes { count: 5, extra: 3 }), "{err}");
    assert!(err.to_string().starts_with(&paths[2].display().to_string()));
}

#[test]
fn count_mismatch_names_both_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut contents = synthetic(6, 5);
    contents[1] = encode_idx_labels(&[1, 2, 3, 4, 5]);
    let paths = write_dir(dir.path(), &contents, [false; 4]);
    let err = load(Dataset::Mnist, dir.path(), false).unwrap_err();
    assert!(matches!(kind(&err), IdxError::CountMismatch { images: 6, labels: 5 }));
    let msg = err.to_string();
    assert!(
        msg.contains(&*paths[0].to_string_lossy()) && msg.contains(&*paths[1].to_string_lossy())
    );
}

#[test]
fn wrong_dims_bad_magic_and_empty_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut contents = synthetic(3, 3);
    contents[2] = encode_idx_images(&[0; 2 * 32 * 32], 2, 32, 32);
    write_dir(dir.path(), &contents, [false; 4]);
    let err = load(Dataset::Mnist, dir.path(), false).unwrap_err();
    assert!(err.to_string().ends_with("images are 32×32 pixels, expected 28×28"), "{err}");

    contents[2] = synthetic(3, 3)[2].clone();
    contents[3][3] = 0x03;
    write_dir(dir.path(), &contents, [false; 4]);
    let err = load(Dataset::Mnist, dir.path(), false).unwrap_err();
    assert!(matches!(kind(&err), IdxError::BadMagic { found: 0x803, .. }), "{err}");

    for gz in [false, true] {
        let d = tempfile::tempdir().expect("tempdir");
        let paths = write_dir(d.path(), &synthetic(3, 3), [gz; 4]);
        fs::write(&paths[0], b"").expect("truncate to 0");
        let err = load(Dataset::Mnist, d.path(), false).unwrap_err();
        assert_eq!(err.to_string(), format!("{}: file is empty", paths[0].display()));
    }
}

#[test]
fn missing_files_without_fetch_say_how_to_get_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = load(Dataset::FashionMnist, dir.path(), false).unwrap_err().to_string();
    for stem in STEMS {
        assert!(err.contains(stem), "{err}");
    }
    assert!(err.contains("wattsweep fetch fashion-mnist") && err.contains(".gz"), "{err}");
}

#[test]
fn dataset_names_round_trip() {
    for &d in Dataset::ALL {
        assert_eq!(Dataset::parse(d.name()), Some(d));
        assert_eq!(d.default_dir(), Path::new("data").join(d.name()));
    }
    assert_eq!(Dataset::parse("Fashion_MNIST"), Some(Dataset::FashionMnist));
    assert_eq!(Dataset::parse("cifar10"), None);
    assert_eq!(Dataset::Mnist.mean_std(), (0.1307, 0.3081));
    assert_ne!(Dataset::FashionMnist.mean_std(), Dataset::Mnist.mean_std());
}
