//! The crash-safe log: appends, torn-tail repair, atomic rewrites, and the header of an empty table.

use super::*;
use crate::results::{EpochRow, ResultRow};

fn epoch(id: &str, n: usize) -> EpochRow {
    EpochRow { trial_id: id.into(), epoch: n, attempt_id: "a1".into(), ..Default::default() }
}

#[test]
fn an_empty_table_still_gets_its_header() {
    let bytes = encode::<EpochRow>(&[], true).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("trial_id,epoch,train_loss,"), "{text:?}");
    assert_eq!(text.matches('\n').count(), 1, "one header line and nothing else: {text:?}");
    assert_eq!(
        text,
        String::from_utf8(encode(&[epoch("t", 1)], true).unwrap())
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
            + "\n"
    );
    assert!(encode::<ResultRow>(&[], false).unwrap().is_empty());
}

#[test]
fn appends_with_one_header_and_repairs_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("epochs.csv");
    let (log, repair) = CsvLog::<EpochRow>::open(&path).unwrap();
    assert_eq!(repair, Repair::default());
    log.append(&epoch("t", 1)).unwrap();
    log.append(&epoch("t", 2)).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches("trial_id,").count(), 1, "{text}");

    let mut torn = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    torn.write_all(b"t,3,0.1").unwrap();
    drop(torn);
    let (log, repair) = CsvLog::<EpochRow>::open(&path).unwrap();
    assert_eq!(repair.cut_bytes, 7);
    assert_eq!(log.read_all().unwrap(), vec![epoch("t", 1), epoch("t", 2)]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "cut back to the last whole line");

    log.replace_all(&[epoch("u", 1)]).unwrap();
    assert_eq!(log.read_all().unwrap(), vec![epoch("u", 1)]);
    log.replace_all(&[]).unwrap();
    assert!(log.read_all().unwrap().is_empty());
    assert!(std::fs::read_to_string(&path).unwrap().starts_with("trial_id,"));
}
