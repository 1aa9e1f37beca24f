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

#[test]
fn power_is_drawn_for_a_bounded_set_of_trials() {
    use crate::results::ResultRow;
    // 40 ok trials (t00 best … t39 worst by joules per point), 5 failed, 4 files without a row.
    let mut data = ReportData::default();
    for i in 0..40 {
        data.results.push(ResultRow {
            trial_id: format!("t{i:02}"),
            status: "ok".into(),
            test_accuracy: Some(0.9),
            energy_j: Some(10.0 + i as f64),
            energy_complete: Some(true),
            train_time_s: 1.0,
            ..Default::default()
        });
    }
    for i in 0..5 {
        data.results.push(ResultRow {
            trial_id: format!("f{i}"),
            status: "failed".into(),
            ..Default::default()
        });
    }
    data.power_files = data.results.iter().map(|r| r.trial_id.clone()).collect();
    data.power_files.extend((0..4).map(|i| format!("x{i}")));
    data.power_files.sort();
    let chosen = power_selection(&data);
    assert_eq!(chosen.len(), MAX_POWER_PLOTS);
    assert_eq!(&chosen[..5], ["t00", "t01", "t02", "t03", "t04"], "the best");
    assert_eq!(&chosen[5..7], ["t38", "t39"], "the worst");
    assert_eq!(&chosen[7..10], ["f0", "f1", "f2"], "some that did not end ok");
    assert_eq!(&chosen[10..], ["x0", "x1"], "some without a row (a trial still running)");
    // Few trials: each once.
    data.results.truncate(6);
    data.power_files = data.results.iter().map(|r| r.trial_id.clone()).collect();
    let chosen = power_selection(&data);
    assert_eq!(chosen, ["t00", "t01", "t02", "t03", "t04", "t05"]);
}

#[test]
fn per_trial_plots_draw_a_bounded_set_that_keeps_the_best() {
    let rows: Vec<ResultRow> = (0..1000)
        .map(|i| ResultRow {
            trial_id: format!("t{i:04}"),
            status: "ok".into(),
            test_accuracy: Some(0.5 + (i % 97) as f64 / 200.0),
            energy_j: Some(10.0 + (i % 13) as f64),
            energy_complete: Some(true),
            train_time_s: 1.0,
            ..Default::default()
        })
        .collect();
    let (few, note) = bounded(&rows[..50], MAX_PLOTTED_TRIALS);
    assert_eq!((few.len(), note.as_str()), (50, ""), "few trials: all, no note");
    let (shown, note) = bounded(&rows, MAX_PLOTTED_TRIALS);
    assert!(shown.len() <= MAX_PLOTTED_TRIALS && shown.len() > MAX_PLOTTED_TRIALS / 2);
    assert!(note.contains(&format!("{} of 1000 trials drawn", shown.len())), "{note}");
    let best = &crate::report::analysis::ranking(&rows)[0].trial_id;
    assert!(shown.iter().any(|t| &t.trial_id == best), "the best is drawn");
    for front in crate::report::analysis::pareto_trials(&rows) {
        assert!(shown.iter().any(|t| t.trial_id == front.trial_id), "the front is drawn");
    }
    assert!(shown.windows(2).all(|w| w[0].trial_id < w[1].trial_id), "in the trials' order");
}
