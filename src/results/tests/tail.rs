//! Torn tails: what a crash, a power loss or a live writer leaves at the end of a CSV file.

use super::*;
use crate::results::EpochRow;

#[test]
fn complete_len_keeps_whole_lines_only() {
    assert_eq!(complete_len(b""), 0);
    assert_eq!(complete_len(b"a,b\n1,2\n"), 8);
    assert_eq!(complete_len(b"a,b\n1,2\n3,"), 8, "a line without its newline is torn");
    assert_eq!(complete_len(b"a,b\n1,2\n\0\0\0"), 8, "NUL padding after a power loss");
    assert_eq!(complete_len(b"a,b\n1,\0,2\n"), 4, "nothing after the first NUL is trusted");
    assert_eq!(complete_len(b"a,b"), 0);
}

#[test]
fn read_tolerant_drops_a_torn_line_and_says_so_without_touching_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("epochs.csv");
    let row = EpochRow { trial_id: "t".into(), epoch: 1, ..Default::default() };
    let mut bytes = crate::results::encode(std::slice::from_ref(&row), true).unwrap();
    let whole = bytes.clone();
    bytes.extend_from_slice(b"t,2,0.5");
    std::fs::write(&path, &bytes).unwrap();
    let (rows, torn) = read_tolerant::<EpochRow>(&path).unwrap();
    assert_eq!((rows, torn), (vec![row.clone()], true));
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "a reader never modifies the file");
    std::fs::write(&path, &whole).unwrap();
    assert_eq!(read_tolerant::<EpochRow>(&path).unwrap(), (vec![row.clone()], false));
    assert_eq!(read_complete::<EpochRow>(&path).unwrap(), vec![row]);
}

#[test]
fn a_missing_file_is_empty_for_read_tolerant_and_an_error_for_read_complete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.csv");
    assert_eq!(read_tolerant::<EpochRow>(&path).unwrap(), (vec![], false));
    let err = read_complete::<EpochRow>(&path).unwrap_err().to_string();
    assert!(err.contains("results.csv"), "{err}");
}

#[test]
fn a_row_that_does_not_parse_names_the_file_and_line() {
    let bytes = b"trial_id,epoch\nt,1\nt,two\n";
    let err = read_rows::<(String, usize)>(&bytes[..], Path::new("x/epochs.csv")).unwrap_err();
    assert!(err.to_string().contains("x/epochs.csv: row 3"), "{err}");
}
