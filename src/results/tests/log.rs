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

#[test]
fn a_file_with_an_older_header_is_rewritten_once_with_todays_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.csv");
    // An older version's results.csv: no config_id, no repeat column.
    let row =
        ResultRow { trial_id: "abc".into(), status: "ok".into(), seed: 3, ..Default::default() };
    let mut text = String::from_utf8(encode(std::slice::from_ref(&row), true).unwrap()).unwrap();
    let mut lines: Vec<Vec<String>> = text
        .lines()
        .map(|l| {
            csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(l.as_bytes())
                .records()
                .next()
                .unwrap()
                .unwrap()
                .iter()
                .map(String::from)
                .collect()
        })
        .collect();
    let drop: Vec<usize> = ["config_id", "repeat"]
        .iter()
        .map(|c| lines[0].iter().position(|h| h == c).unwrap())
        .collect();
    for l in &mut lines {
        for &i in drop.iter().rev() {
            l.remove(i);
        }
    }
    text = lines.iter().map(|l| l.join(",") + "\n").collect();
    std::fs::write(&path, &text).unwrap();

    let (log, repair) = CsvLog::<ResultRow>::open(&path).unwrap();
    assert!(repair.upgraded);
    assert_eq!(log.read_all().unwrap(), vec![row.clone()]);
    log.append(&ResultRow { trial_id: "def".into(), repeat: 2, ..Default::default() }).unwrap();
    let back = log.read_all().unwrap();
    assert_eq!((back[1].trial_id.as_str(), back[1].repeat), ("def", 2), "columns line up");
    let (_, again) = CsvLog::<ResultRow>::open(&path).unwrap();
    assert!(!again.upgraded, "today's header is left alone");
}

#[test]
fn a_write_that_fails_half_way_leaves_no_torn_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("epochs.csv");
    let (log, _) = CsvLog::<EpochRow>::open(&path).unwrap();
    log.append(&epoch("t", 1)).unwrap();
    let whole = std::fs::read(&path).unwrap();
    // A full disk: half the row reaches the file, then ENOSPC.
    let err = log
        .append_with(&epoch("t", 2), |file, bytes| {
            file.write_all(&bytes[..bytes.len() / 2])?;
            Err(std::io::Error::from_raw_os_error(libc::ENOSPC))
        })
        .unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("epochs.csv") && msg.contains("cut back to its last whole row"), "{msg}");
    assert!(msg.contains("No space left on device"), "{msg}");
    assert_eq!(std::fs::read(&path).unwrap(), whole, "the half row is gone at once");
    // The file goes on as if the failed append never happened.
    log.append(&epoch("t", 2)).unwrap();
    assert_eq!(log.read_all().unwrap(), vec![epoch("t", 1), epoch("t", 2)]);
}
