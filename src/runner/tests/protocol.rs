use super::*;

#[test]
fn event_lines_parse_and_other_lines_are_not_events() {
    assert_eq!(parse_line("Epoch 1: 97%"), None);
    assert_eq!(
        parse_line("  wattsweep: {\"phase\": \"train\"}").unwrap().unwrap().phase,
        Some(CmdPhase::Train)
    );
    let e = parse_line("wattsweep: {\"epoch\": 3, \"test_accuracy\": 0.97, \"train_loss\": 0.1, \"t\": 1700000000.5}")
        .unwrap()
        .unwrap();
    assert_eq!(
        (e.epoch, e.test_accuracy, e.train_loss, e.t),
        (Some(3), Some(0.97), Some(0.1), Some(1_700_000_000.5))
    );
    let f =
        parse_line("wattsweep: {\"test_accuracy\": 0.98, \"train_images\": 60000, \"colour\": 1}")
            .unwrap()
            .unwrap();
    assert_eq!(
        (f.test_accuracy, f.train_images, f.unknown.clone()),
        (Some(0.98), Some(60000), vec!["colour".to_string()])
    );
}

#[test]
fn pythons_nan_and_infinity_are_read_outside_strings_only() {
    let e = parse_line("wattsweep: {\"train_loss\": NaN, \"test_accuracy\": -Infinity}")
        .unwrap()
        .unwrap();
    assert!(e.train_loss.unwrap().is_nan());
    assert_eq!(e.test_accuracy, Some(f64::NEG_INFINITY));
    // A phase name that merely contains the letters is no number.
    assert!(parse_line("wattsweep: {\"phase\": \"NaN\"}").unwrap().is_err());
    assert_eq!(
        quote_non_finite("{\"a\": \"x NaN \\\" NaN\", \"b\": NaN}"),
        "{\"a\": \"x NaN \\\" NaN\", \"b\": \"NaN\"}"
    );
}

#[test]
fn wrong_events_say_what_is_wrong() {
    for (line, needle) in [
        ("wattsweep: {\"phase\": \"training\"}", "phase must be one of setup, train, eval, infer"),
        ("wattsweep: [1, 2]", "one JSON object"),
        ("wattsweep: {\"epoch\": 0}", "epoch counts from 1"),
        ("wattsweep: {\"epoch\": 1.5}", "whole number"),
        ("wattsweep: {\"test_accuracy\": \"high\"}", "must be a number"),
        ("wattsweep: {oops", "not JSON"),
    ] {
        let e = parse_line(line).unwrap().unwrap_err();
        assert!(e.contains(needle), "{line}: {e}");
    }
}
