use super::*;

#[test]
fn the_log_stops_at_its_cap_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.log");
    let mut log = Log::open(Some(&path), 100, false).unwrap();
    for i in 0..50 {
        log.line(&format!("line {i}"));
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("line 0\nline 1\n"));
    assert!(text.contains("log cut here at"), "{text}");
    assert!(!text.contains("line 49"));
    assert!(text.len() < 200);
}

#[test]
fn lines_are_split_cut_at_their_cap_and_the_last_one_kept() {
    let (tx, rx) = mpsc::channel();
    let mut input = b"a\r\nbb\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', LINE_CAP_BYTES + 10));
    input.extend(b"\ntail");
    read_lines(&input[..], Stream::Out, tx);
    let lines: Vec<String> = rx
        .iter()
        .filter_map(|m| match m {
            Msg::Line(_, t, _) => Some(t),
            Msg::Closed => None,
        })
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!((lines[0].as_str(), lines[1].as_str(), lines[3].as_str()), ("a", "bb", "tail"));
    assert!(lines[2].ends_with("[wattsweep: 10 more bytes of this line dropped]"));
    assert_eq!(
        lines[2].len(),
        LINE_CAP_BYTES + " [wattsweep: 10 more bytes of this line dropped]".len()
    );
}

#[test]
fn a_later_rung_goes_on_in_the_same_log_and_its_cap_counts_what_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.log");
    Log::open(Some(&path), 1000, false).unwrap().line("rung 1");
    let mut log = Log::open(Some(&path), 16, true).unwrap();
    log.line("rung 2");
    log.line("more");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("rung 1\nrung 2\n"), "{text}");
    assert!(text.contains("log cut here at 14 bytes"), "{text}");
}
