use super::*;
use flate2::{Compression, write::GzEncoder};
use std::io::Write;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).expect("in-memory write");
    enc.finish().expect("in-memory gzip")
}

#[test]
fn raw_and_gzip_hash_alike() {
    let data = b"some idx bytes".repeat(100);
    let (raw, n) = content_sha256(&data[..], false).expect("raw");
    let (gz, m) = content_sha256(&gzip(&data)[..], true).expect("gz");
    assert_eq!(raw, gz);
    assert_eq!((n, m), (1400, 1400));
    assert_eq!(raw, sha256_hex(&data));
    assert!(is_gzip(&gzip(&data)) && !is_gzip(&data));
}

#[test]
fn known_sha256_vector() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn corrupt_gzip_is_an_error() {
    let mut gz = gzip(&b"x".repeat(5000));
    let mid = gz.len() / 2;
    gz[mid] ^= 0xff;
    assert!(content_sha256(&gz[..], true).is_err());
    assert!(content_sha256(&b"not gzip at all"[..], true).is_err());
}

#[test]
fn pinned_tables_are_well_formed() {
    for f in MNIST_FILES.iter().chain(&FASHION_MNIST_FILES) {
        assert_eq!(f.sha256.len(), 64, "{}", f.stem);
        assert!(f.sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }
    assert_ne!(MNIST_FILES[0].sha256, FASHION_MNIST_FILES[0].sha256);
}
