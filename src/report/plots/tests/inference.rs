//! The inference plot's legend never calls an estimate a measurement.

use super::*;

fn row(source: &str) -> ResultRow {
    ResultRow {
        trial_id: "abcdef123456".into(),
        model: "mlp".into(),
        status: "ok".into(),
        energy_source: source.into(),
        test_accuracy: Some(0.9),
        infer_j_per_image: Some(2e-5),
        infer_b1_j_per_image: Some(1e-4),
        ops_energy_pj_per_image: Some(1.9e6),
        ops_mem_energy_pj_per_image: Some(6.3e7),
        ..Default::default()
    }
}

#[test]
fn the_legend_says_estimated_for_an_estimate_and_measured_for_rapl() {
    let svg = plot_inference_energy(&[row("estimate")]).unwrap();
    assert!(svg.contains("estimated here, batch") && !svg.contains("measured, batch"), "estimate");
    let svg = plot_inference_energy(&[row("rapl")]).unwrap();
    assert!(svg.contains("measured, batch 1") && !svg.contains("estimated"), "rapl");
    assert!(plot_inference_energy(&[]).is_err(), "nothing to draw is NoData");
}
