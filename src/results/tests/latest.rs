//! The last row per trial, in first-seen order.

use super::*;

fn row(id: &str, status: &str) -> ResultRow {
    ResultRow { trial_id: id.into(), status: status.into(), ..Default::default() }
}

#[test]
fn keeps_the_last_row_per_trial_in_first_seen_order() {
    let rows = vec![row("a", "interrupted"), row("b", "ok"), row("a", "ok"), row("c", "failed")];
    let kept = last_row_per_trial(rows.clone());
    let got: Vec<(&str, &str)> =
        kept.iter().map(|r| (r.trial_id.as_str(), r.status.as_str())).collect();
    assert_eq!(got, vec![("a", "ok"), ("b", "ok"), ("c", "failed")]);
    let by_id = latest_by_id(rows);
    assert_eq!(by_id.len(), 3);
    assert_eq!(by_id["a"].status, "ok");
}
