//! Tests of the per-epoch and power charts, and of power-series downsampling.

use super::super::axes::NoData;
use super::*;
use crate::report::analysis::fixtures::{epoch, row, sample_data};

#[test]
fn downsampling_averages_buckets_and_keeps_short_series() {
    let pts: Vec<(f64, f64)> =
        (0..10).map(|i| (i as f64, if i % 2 == 0 { 10.0 } else { 20.0 })).collect();
    let d = downsample(&pts, 5);
    assert_eq!(d.len(), 5);
    assert_eq!(d[0], (0.5, 15.0));
    let mean = |v: &[(f64, f64)]| v.iter().map(|p| p.1).sum::<f64>() / v.len() as f64;
    assert_eq!(mean(&d), mean(&pts), "the mean power (so the energy) is kept");
    assert_eq!(downsample(&pts, 100), pts);
}

#[test]
fn the_power_timeline_has_a_line_per_domain_and_labelled_axes() {
    let data = sample_data();
    let svg = plot_power_timeline("Power during t-mlp-a", &data.power["t-mlp-a"]).unwrap();
    for text in [
        "package-0",
        "dram-0",
        "power (W)",
        "time since the trial started (s)",
        "Power during t-mlp-a",
    ] {
        assert!(svg.contains(text), "missing {text:?}");
    }
}

#[test]
fn an_empty_power_file_is_no_data() {
    let err = plot_power_timeline("x", &[]).unwrap_err();
    assert!(err.downcast_ref::<NoData>().is_some());
}

#[test]
fn the_epoch_plot_needs_cumulative_energy_of_the_results_attempt() {
    let r = row("t", "mlp", Some(0.97), 10.0, Some(100.0)); // attempt att-2
    let other_attempt = [epoch("t", "att-1", 1, 0.97, 10.0, Some(100.0))];
    let err = plot_accuracy_vs_epoch_energy(std::slice::from_ref(&r), &other_attempt).unwrap_err();
    assert!(err.downcast_ref::<NoData>().is_some(), "epochs of another attempt must not be drawn");
    let no_energy = [epoch("t", "att-2", 1, 0.97, 10.0, None)];
    assert!(plot_accuracy_vs_epoch_energy(std::slice::from_ref(&r), &no_energy).is_err());
    let data = sample_data();
    let svg = plot_accuracy_vs_epoch_energy(&data.results, &data.epochs).unwrap();
    assert!(svg.contains("cumulative training energy (J)") && svg.contains("mlp / adam"));
}
