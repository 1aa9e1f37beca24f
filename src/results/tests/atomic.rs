//! Atomic replacement: the whole file or nothing under the final name, no temporary left behind.

use super::*;
use std::fs;

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("temp dir readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn places_the_whole_file_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("f.gz");
    fs::write(&path, b"old").unwrap();
    write_atomic(&path, b"contents").expect("placed");
    assert_eq!(fs::read(&path).expect("readable"), b"contents");
    assert_eq!(entries(dir.path()), vec!["f.gz".to_owned()]);
}

#[test]
fn a_failure_mid_write_leaves_nothing_under_the_final_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let final_path = dir.path().join("train-images-idx3-ubyte");
    let mut visible_mid_write = true;
    let err = write_atomic_with(&final_path, |f| {
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
fn a_missing_directory_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = write_atomic(&dir.path().join("nope").join("x"), b"1").unwrap_err();
    assert!(err.to_string().contains("nope/x"), "{err}");
}
