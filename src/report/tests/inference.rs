//! The inference section's ranking and sentences.

use super::*;

fn row(id: &str, model: &str, j: f64, pj: f64, mem: f64, acc: f64) -> ResultRow {
    ResultRow {
        trial_id: id.into(),
        model: model.into(),
        status: "ok".into(),
        energy_source: "rapl".into(),
        test_accuracy: Some(acc),
        energy_j: Some(10.0),
        infer_j_per_image: Some(j),
        ops_energy_pj_per_image: Some(pj),
        ops_mem_energy_pj_per_image: Some(mem),
        firing_rate: (model == "snn").then_some(0.1),
        infer_runtime: Some(if model == "snn" { "flex" } else { "deploy-avx2" }.into()),
        ..Default::default()
    }
}

#[test]
fn ranks_by_measured_energy_and_compares_modelled_snn_with_ann() {
    let data = ReportData {
        results: vec![
            row("a", "cnn", 3e-4, 1.1e7, 9.5e7, 0.99),
            row("b", "mlp", 2e-5, 1.9e6, 6.3e7, 0.98),
            row("c", "snn", 4e-5, 1.9e6, 12.6e7, 0.97),
        ],
        ..Default::default()
    };
    let t = inference_text(&data).unwrap();
    let ids: Vec<&str> = t.rows.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(ids, vec!["b", "c", "a"], "cheapest measured first");
    let all = t.paragraphs.join("\n");
    assert!(all.contains("2.00× the energy of the cheapest non-spiking one (mlp b"), "{all}");
    assert!(all.contains("up to 98.49 %"), "{all}");
    assert!(all.contains("Classified by (the runtime column): deploy-avx2, flex."), "{all}");
    let runtime = HEADERS.iter().position(|h| *h == "runtime").unwrap();
    let runtimes: Vec<&str> = t.rows.iter().map(|r| r[runtime].as_str()).collect();
    assert_eq!(runtimes, vec!["deploy-avx2", "flex", "deploy-avx2"]);
    assert!(inference_text(&ReportData::default()).is_none());
}
