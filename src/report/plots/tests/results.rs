//! Tests of the per-trial charts: axis titles with units, Pareto front, log learning-rate axis,
//! the no-data cases, and escaping of CSV text inside the SVG.

use super::super::axes::NoData;
use super::super::bars::plot_adam_vs_sgd;
use super::*;
use crate::report::analysis::fixtures::{failed, row, sample_data, with};

fn no_data(r: Result<String>) -> String {
    match r {
        Ok(_) => panic!("expected no data"),
        Err(e) => e
            .downcast_ref::<NoData>()
            .map(|n| n.0.clone())
            .unwrap_or_else(|| panic!("not NoData: {e:#}")),
    }
}

#[test]
fn accuracy_vs_energy_labels_axes_with_units_and_marks_the_front() {
    let svg = plot_accuracy_vs_energy(&sample_data().results).unwrap();
    for text in
        ["training energy (J)", "test accuracy (%)", "Pareto front (ringed)", "mlp", "cnn", "snn"]
    {
        assert!(svg.contains(text), "missing {text:?}");
    }
}

#[test]
fn accuracy_vs_time_labels_its_axis_in_seconds() {
    let svg = plot_accuracy_vs_time(&sample_data().results).unwrap();
    assert!(svg.contains("training time (s)") && !svg.contains("Pareto"));
}

#[test]
fn failed_trials_are_not_plotted() {
    let rows = vec![failed("a", "failed", "x"), failed("b", "diverged", "y")];
    assert!(no_data(plot_accuracy_vs_energy(&rows)).contains("no ok trial"));
    assert!(no_data(plot_accuracy_vs_time(&rows)).contains("no ok trial"));
}

#[test]
fn lr_sensitivity_has_a_log_axis_and_one_line_per_model_and_optimizer() {
    let svg = plot_lr_sensitivity(&sample_data().results).unwrap();
    for text in ["learning rate (log scale)", "mlp / adam", "mlp / sgd", "cnn / sgd", "0.0001"] {
        assert!(svg.contains(text), "missing {text:?}");
    }
}

#[test]
fn lr_sensitivity_needs_two_learning_rates() {
    let rows = vec![
        row("a", "mlp", Some(0.9), 1.0, Some(1.0)),
        row("b", "cnn", Some(0.95), 1.0, Some(2.0)),
    ];
    assert!(no_data(plot_lr_sensitivity(&rows)).contains("same learning rate (0.001)"));
}

#[test]
fn adam_vs_sgd_needs_both_optimizers() {
    let adam_only = vec![row("a", "mlp", Some(0.9), 1.0, Some(1.0))];
    assert!(no_data(plot_adam_vs_sgd(&adam_only)).contains("no ok SGD trials"));
    let sgd_only = vec![with(row("a", "mlp", Some(0.9), 1.0, Some(1.0)), "sgd", 0.1)];
    assert!(no_data(plot_adam_vs_sgd(&sgd_only)).contains("no ok Adam trials"));
    let svg = plot_adam_vs_sgd(&sample_data().results).unwrap();
    assert!(svg.contains("test error (%)") && svg.contains("J/pt") && svg.contains("SGD"));
}

#[test]
fn text_from_the_csv_is_escaped_in_the_svg() {
    let rows = vec![
        row("a", "<b>&x", Some(0.9), 1.0, Some(1.0)),
        row("b", "mlp", Some(0.95), 2.0, Some(3.0)),
    ];
    let svg = plot_accuracy_vs_energy(&rows).unwrap();
    assert!(svg.contains("&lt;b&gt;&amp;x") && !svg.contains("<b>"));
}
