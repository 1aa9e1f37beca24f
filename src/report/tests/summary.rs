//! Tests of summary.md as text.

use super::*;
use crate::report::analysis::fixtures::{row, sample_data};
use crate::report::plots::build_plots;

/// The summary with freshly drawn plots, as `write_report` renders it.
fn render_summary(data: &ReportData) -> String {
    render_summary_with(data, &build_plots(data))
}

/// The Markdown table under the heading `title`, as rows of trimmed cells.
fn table_after(md: &str, title: &str) -> Vec<Vec<String>> {
    let start = md.find(&format!("## {title}")).unwrap_or_else(|| panic!("no section {title}"));
    md[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .map(|l| l.trim_matches('|').split(" | ").map(|c| c.trim().to_string()).collect())
        .collect()
}

#[test]
fn the_ranking_has_ok_trials_only_best_first() {
    let md = render_summary(&sample_data());
    let rows = table_after(&md, "Ranking");
    let ids: Vec<&str> = rows.iter().skip(1).map(|r| r[1].as_str()).collect();
    // J/pt: mlp-s 1.56, mlp-a 2.05, snn 3.16, cnn-a 9.08, cnn-a2 9.62, cnn-s 10.15.
    assert_eq!(ids, vec!["t-mlp-s", "t-mlp-a", "t-snn", "t-cnn-a", "t-cnn-a2", "t-cnn-s"]);
    assert!(
        rows[0].iter().any(|h| h == "energy (J)") && rows[0].iter().any(|h| h == "mean power (W)")
    );
}

#[test]
fn failed_trials_are_listed_apart_with_their_error_escaped() {
    let md = render_summary(&sample_data());
    let rows = table_after(&md, "Trials that did not finish ok");
    assert_eq!(rows.len(), 3, "header + failed + diverged");
    assert_eq!(rows[1][0], "t-bad");
    // A `|` in the error must not split the Markdown cell.
    assert!(md.contains("out of memory \\| at &lt;alloc>"), "{md}");
    assert!(!table_after(&md, "Ranking").iter().any(|r| r[1] == "t-bad"));
}

#[test]
fn missing_values_show_as_a_dash_never_zero() {
    let mut data = sample_data();
    data.results = vec![row("nomeas", "mlp", Some(0.97), 10.0, None)];
    data.epochs.clear();
    let md = render_summary(&data);
    let ranking = table_after(&md, "Ranking");
    let energy_col = ranking[0].iter().position(|h| h == "energy (J)").unwrap();
    assert_eq!(ranking[1][energy_col], "—");
    assert!(md.contains("— (no epoch rows)"));
}

#[test]
fn energy_to_target_uses_the_results_attempt_only() {
    let md = render_summary(&sample_data());
    let rows = table_after(&md, "Energy to target accuracy");
    let mlp_a = rows.iter().find(|r| r[0] == "t-mlp-a").unwrap();
    // Attempt att-2 reaches 97 % only at epoch 3 (97.5 %); att-1's 99.5 % must not count.
    assert_eq!(mlp_a[3], "200.0 J, 10.00 s (epoch 3)");
    assert_eq!(mlp_a[5], "not reached");
    // t-cnn-a: 95.1 %, 97.1 %, 99.1 % over its three epochs.
    let cnn_a = rows.iter().find(|r| r[0] == "t-cnn-a").unwrap();
    assert_eq!(
        cnn_a[3..],
        ["600.0 J, 33.33 s (epoch 2)", "900.0 J, 50.00 s (epoch 3)", "900.0 J, 50.00 s (epoch 3)"]
    );
}

#[test]
fn snn_trials_show_their_firing_rate() {
    let md = render_summary(&sample_data());
    let rows = table_after(&md, "Spiking networks");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][5], "0.147");
}
