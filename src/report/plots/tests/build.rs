//! Tests of build_plots and the shared plot helpers: every plot drawn for a full sweep, notes for
//! missing data, distinct colour/shape pairs, axis ranges and ticks.

use super::*;
use crate::report::analysis::fixtures::sample_data;
use crate::report::plots::axes::{log_ticks, padded, wants_log};
use crate::report::plots::style::{color, dash, shape_index};
use plotters::style::RGBColor;

#[test]
fn every_plot_of_a_complete_sweep_is_drawn_as_svg() {
    let data = sample_data();
    let plots = build_plots(&data);
    let names: Vec<&str> = plots.plots.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "accuracy-vs-energy",
            "accuracy-vs-time",
            "lr-sensitivity",
            "adam-vs-sgd",
            "accuracy-vs-epoch-energy",
            "inference-energy",
            "power-t-mlp-a"
        ]
    );
    for p in &plots.plots {
        let svg = p.svg.as_deref().unwrap_or_else(|| panic!("{} not drawn: {:?}", p.name, p.note));
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{}", p.name);
        assert!(
            svg.contains("role=\"img\"") && svg.contains("<title>"),
            "{}: accessible name",
            p.name
        );
        assert!(
            !svg.contains("NaN") && !svg.contains("inf"),
            "{}: a non-finite coordinate leaked",
            p.name
        );
    }
    assert_eq!(plots.power_names(), vec!["power-t-mlp-a"]);
}

#[test]
fn a_plot_without_data_is_skipped_with_a_note_not_drawn_empty() {
    let mut data = sample_data();
    data.results.retain(|r| r.optimizer != "sgd");
    data.power.clear();
    let plots = build_plots(&data);
    let bars = plots.get("adam-vs-sgd").expect("listed");
    assert_eq!(bars.svg, None);
    assert!(bars.note.as_deref().unwrap_or("").contains("no ok SGD trials"), "{:?}", bars.note);
    assert!(plots.power_names().is_empty());
}

#[test]
fn a_sweep_of_only_failed_trials_still_gives_notes_not_a_crash() {
    let mut data = sample_data();
    data.results.retain(|r| r.status != "ok");
    let plots = build_plots(&data);
    assert!(
        plots
            .plots
            .iter()
            .filter(|p| !p.name.starts_with("power-"))
            .all(|p| p.svg.is_none() && p.note.is_some())
    );
}

#[test]
fn colour_and_shape_pairs_stay_distinct_past_the_palette() {
    let pairs: Vec<(RGBColor, usize)> = (0..64).map(|i| (color(i), shape_index(i))).collect();
    for i in 0..pairs.len() {
        for j in 0..i {
            assert!(pairs[i] != pairs[j], "series {i} and {j} look the same");
        }
    }
    let dashes: Vec<_> = (0..5).map(dash).collect();
    for i in 0..dashes.len() {
        for j in 0..i {
            assert_ne!(dashes[i], dashes[j], "dash patterns {i} and {j}");
        }
    }
}

#[test]
fn ranges_are_padded_and_log_axes_chosen_only_for_wide_positive_ranges() {
    let r = padded([10.0, 20.0]).unwrap();
    assert!(r.start < 10.0 && r.end > 20.0);
    let one = padded([5.0]).unwrap();
    assert!(one.start < 5.0 && one.end > 5.0, "a single value still gets a visible range");
    assert_eq!(padded([f64::NAN]), None);
    assert!(wants_log(&[1.0, 100.0]));
    assert!(!wants_log(&[10.0, 100.0]));
    assert!(!wants_log(&[0.0, 100.0]), "zero cannot go on a log axis");
}

#[test]
fn log_ticks_cover_the_range_with_round_values() {
    assert_eq!(
        log_ticks(&(150.0..1200.0)),
        vec![200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0, 1000.0]
    );
    let wide = log_ticks(&(0.5..5000.0));
    assert!(
        wide.contains(&1.0)
            && wide.contains(&2.0)
            && wide.contains(&5.0)
            && wide.contains(&1000.0)
            && !wide.contains(&3.0)
    );
    assert!(log_ticks(&(0.0..1.0)).is_empty());
}

#[test]
fn file_names_are_safe() {
    assert_eq!(file_safe("ab12-x_y"), "ab12-x_y");
    assert_eq!(file_safe("../etc/passwd"), "___etc_passwd");
}
