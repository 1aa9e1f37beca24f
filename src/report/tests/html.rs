//! Tests of index.html as bytes: self-contained (CSP, nothing fetched), every plot inline once,
//! notes for skipped plots, and escaping of CSV text.

use super::*;
use crate::report::analysis::fixtures::{row, sample_data};
use crate::report::plots::build_plots;

#[test]
fn the_page_is_self_contained() {
    let data = sample_data();
    let html = render_html(&data, &build_plots(&data));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Content-Security-Policy") && html.contains("default-src 'none'"));
    let lower = html.to_lowercase();
    for bad in ["<script", "<link", "src=\"http", "href=\"http", "url(", "@import", "<img"] {
        assert!(!lower.contains(bad), "found {bad:?}");
    }
}

#[test]
fn every_drawn_plot_is_inline_once_and_skipped_ones_have_a_note() {
    let mut data = sample_data();
    data.results.retain(|r| r.optimizer != "sgd");
    let plots = build_plots(&data);
    let html = render_html(&data, &plots);
    let drawn: Vec<_> = plots.plots.iter().filter(|p| p.svg.is_some()).collect();
    assert_eq!(html.matches("<svg").count(), drawn.len());
    for p in &drawn {
        assert_eq!(
            html.matches(&format!("data-file=\"plots/{}.svg\"", p.name)).count(),
            1,
            "{}",
            p.name
        );
    }
    assert!(html.contains("id=\"plot-adam-vs-sgd\"") && html.contains("no ok SGD trials"));
}

#[test]
fn text_from_the_csvs_is_escaped() {
    let mut data = sample_data();
    data.title = "<script>alert(1)</script>".into();
    data.results.push(row("x\"><img src=y>", "<i>mlp</i>", Some(0.9), 1.0, Some(2.0)));
    let html = render_html(&data, &build_plots(&data));
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<img") && !html.contains("<i>mlp"));
}

#[test]
fn the_estimate_caution_is_highlighted() {
    let mut data = sample_data();
    for r in &mut data.results {
        r.energy_source = "estimate".into();
    }
    let html = render_html(&data, &build_plots(&data));
    assert!(html.contains("<p class=\"note\">Caution: energy here is only an estimate"));
}

#[test]
fn long_tables_show_their_first_rows_and_say_where_the_rest_is() {
    let mut data = sample_data();
    let template = data.results[0].clone();
    for i in 0..250 {
        let mut r = template.clone();
        r.trial_id = format!("extra-{i:03}");
        r.config_id = format!("c{i:03}");
        data.results.push(r);
    }
    let html = render_html(&data, &build_plots(&data));
    assert!(html.contains("shows its first 100 of"), "the page says the table is cut");
    assert!(html.contains("extra-000") && !html.contains("extra-249"), "only the first rows");
}
