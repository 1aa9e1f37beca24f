//! Unit tests of the IDX parser and encoder on in-memory bytes: good files
//! and every kind of damage (bad magic, dims, truncation, trailing bytes,
//! out-of-range labels, count mismatch, empty input).
use super::*;

fn images(n: usize, rows: usize, cols: usize) -> Vec<u8> {
    let px: Vec<u8> = (0..n * rows * cols).map(|i| (i % 251) as u8).collect();
    encode_idx_images(&px, n, rows, cols)
}

#[test]
fn good_images_and_labels_round_trip() {
    let px: Vec<u8> = (0..3 * 28 * 28).map(|i| (i % 256) as u8).collect();
    let img = parse_images(&encode_idx_images(&px, 3, 28, 28)[..]).expect("valid");
    assert_eq!((img.count, img.rows, img.cols), (3, 28, 28));
    assert_eq!(img.pixels, px);
    check_dims(&img, 28, 28).expect("28x28");
    let labels = parse_labels(&encode_idx_labels(&[0, 9, 5])[..]).expect("valid");
    assert_eq!(labels, vec![0, 9, 5]);
    check_counts(&img, &labels).expect("3 and 3");
}

#[test]
fn bad_magic_is_reported_with_both_values() {
    let mut bytes = images(2, 28, 28);
    bytes[3] = 0x01; // a labels magic in an images file
    let err = parse_images(&bytes[..]).unwrap_err();
    assert!(matches!(err, IdxError::BadMagic { found: 0x801, expected: 0x803, .. }));
    assert!(err.to_string().contains("0x00000801"), "{err}");
    let err = parse_labels(&images(1, 2, 2)[..]).unwrap_err();
    assert!(matches!(err, IdxError::BadMagic { found: 0x803, expected: 0x801, .. }));
}

#[test]
fn wrong_dims_are_rejected_by_check_dims_and_zero_dims_by_parser() {
    let img = parse_images(&images(2, 32, 32)[..]).expect("structurally fine");
    let err = check_dims(&img, 28, 28).unwrap_err();
    assert!(matches!(err, IdxError::BadDims { rows: 32, cols: 32, .. }));
    assert_eq!(err.to_string(), "images are 32×32 pixels, expected 28×28");
    let err = parse_images(&encode_idx_images(&[], 5, 0, 28)[..]).unwrap_err();
    assert!(matches!(err, IdxError::BadDims { rows: 0, .. }));
}

#[test]
fn truncated_body_and_header_are_rejected() {
    let bytes = images(3, 28, 28);
    let err = parse_images(&bytes[..bytes.len() - 1]).unwrap_err();
    assert!(matches!(err, IdxError::Truncated { count: 3, expected: 2352, actual: 2351 }));
    let err = parse_images(&bytes[..10]).unwrap_err();
    assert!(matches!(err, IdxError::ShortHeader { got: 10, need: 16, .. }));
    let labels = encode_idx_labels(&[1, 2, 3]);
    let err = parse_labels(&labels[..9]).unwrap_err();
    assert!(matches!(err, IdxError::Truncated { count: 3, expected: 3, actual: 1 }));
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut bytes = images(2, 28, 28);
    bytes.extend_from_slice(&[0; 7]);
    let err = parse_images(&bytes[..]).unwrap_err();
    assert!(matches!(err, IdxError::TrailingBytes { count: 2, extra: 7 }));
    let mut labels = encode_idx_labels(&[1, 2]);
    labels.push(3);
    assert!(matches!(parse_labels(&labels[..]), Err(IdxError::TrailingBytes { extra: 1, .. })));
}

#[test]
fn label_out_of_range_names_value_and_index() {
    let mut labels = vec![3u8; 400];
    labels[345] = 12;
    labels[399] = 200;
    let err = parse_labels(&encode_idx_labels(&labels)[..]).unwrap_err();
    assert!(matches!(err, IdxError::LabelOutOfRange { label: 12, index: 345 }));
    assert_eq!(err.to_string(), "label 12 at index 345 is outside 0–9");
    // The boundary: 9 is a class, 10 is not.
    let err = parse_labels(&encode_idx_labels(&[9, 10])[..]).unwrap_err();
    assert!(matches!(err, IdxError::LabelOutOfRange { label: 10, index: 1 }));
}

#[test]
fn count_mismatch_between_images_and_labels() {
    let img = parse_images(&images(3, 28, 28)[..]).expect("valid");
    let err = check_counts(&img, &[1, 2]).unwrap_err();
    assert!(matches!(err, IdxError::CountMismatch { images: 3, labels: 2 }));
}

#[test]
fn empty_input_and_empty_header() {
    assert!(matches!(parse_images(&[][..]), Err(IdxError::Empty)));
    assert!(matches!(parse_labels(&[][..]), Err(IdxError::Empty)));
    assert!(matches!(parse_labels(&encode_idx_labels(&[])[..]), Err(IdxError::NoItems)));
}

#[test]
fn hostile_count_does_not_allocate_terabytes() {
    // Header claims u32::MAX images of 28×28; must fail as truncated, fast.
    let mut bytes = images(1, 28, 28);
    bytes[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(parse_images(&bytes[..]), Err(IdxError::Truncated { .. })));
}
