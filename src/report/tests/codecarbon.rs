//! emissions.csv against CodeCarbon's documented fields and units.

use super::*;
use crate::report::analysis::fixtures::row;

/// `EmissionsData`'s fields in codecarbon 3.3.2 (codecarbon/output_methods/emissions_data.py),
/// written out here independently of the constant.
const CODECARBON_3_3_2: &str = "timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,water_consumed,country_name,country_iso_code,region,cloud_provider,cloud_region,os,python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,latitude,ram_total_size,tracking_mode,cpu_utilization_percent,gpu_utilization_percent,ram_utilization_percent,ram_used_gb,on_cloud,pue,wue";

fn parse(bytes: &[u8]) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut rdr = csv::Reader::from_reader(bytes);
    let header = rdr.headers().unwrap().iter().map(String::from).collect();
    (header, rdr.records().map(|r| r.unwrap()).collect())
}

#[test]
fn the_header_is_codecarbons_and_units_are_kwh_kg_and_watts() {
    let mut r = row("t1", "mlp", Some(0.97), 10.0, Some(7200.0));
    r.config_id = "cfg".into();
    r.cpu_energy_j = Some(3600.0);
    r.dram_energy_j = Some(720.0);
    r.gpu_energy_j = Some(2880.0);
    r.co2_g = Some(0.8);
    r.gpu_name = Some("NVIDIA H200;NVIDIA H200".into());
    r.finished_at = "2026-12-04T01:02:03+01:00".into();
    let host = Host {
        os: Some("Debian GNU/Linux 12 (bookworm)".into()),
        cpu_model: Some("AMD EPYC 9R14".into()),
        cpu_count: Some(2),
        ram_gib: Some(7.5),
    };
    let (header, rows) = parse(&emissions_csv(&[r], "nightly", &host).unwrap());
    assert_eq!(header.join(","), CODECARBON_3_3_2);
    let cell = |k: &str| rows[0][header.iter().position(|h| h == k).unwrap()].to_string();
    let close = |k: &str, want: f64| {
        let got: f64 = cell(k).parse().unwrap_or_else(|_| panic!("{k}: {:?}", cell(k)));
        assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{k}: {got} vs {want}");
    };
    assert_eq!(cell("timestamp"), "2026-12-04T01:02:03", "CodeCarbon's format, local time");
    assert_eq!(
        (cell("project_name"), cell("run_id"), cell("experiment_id")),
        ("nightly".into(), "t1".into(), "cfg".into())
    );
    close("duration", 10.0);
    close("energy_consumed", 0.002); // 7200 J = 2 Wh
    close("cpu_energy", 0.001);
    close("ram_energy", 0.0002);
    close("gpu_energy", 0.0008);
    close("cpu_power", 360.0);
    close("gpu_power", 288.0);
    close("ram_power", 72.0);
    close("emissions", 0.0008); // 0.8 g
    close("emissions_rate", 0.00008);
    close("ram_total_size", 7.5);
    assert_eq!((cell("gpu_count"), cell("gpu_model")), ("2".into(), "2 x NVIDIA H200".into()));
    assert_eq!((cell("cpu_count"), cell("cpu_model")), ("2".into(), "AMD EPYC 9R14".into()));
    assert_eq!(cell("tracking_mode"), "machine", "RAPL meters the machine");
    assert_eq!(cell("pue"), "1");
    for unknown in [
        "water_consumed",
        "country_name",
        "region",
        "cloud_provider",
        "python_version",
        "codecarbon_version",
        "longitude",
        "on_cloud",
        "wue",
        "cpu_utilization_percent",
    ] {
        assert_eq!(cell(unknown), "", "{unknown}: not known, so empty");
    }
}

#[test]
fn an_estimate_is_process_tracking_and_missing_energy_stays_empty() {
    let mut est = row("t2", "cnn", Some(0.9), 5.0, Some(50.0));
    est.energy_source = "estimate".into();
    let failed = crate::report::analysis::fixtures::failed("t3", "failed", "panic");
    let (header, rows) = parse(&emissions_csv(&[est, failed], "p", &Host::default()).unwrap());
    let cell = |i: usize, k: &str| rows[i][header.iter().position(|h| h == k).unwrap()].to_string();
    assert_eq!(rows.len(), 2, "one row per trial");
    assert_eq!(cell(0, "tracking_mode"), "process");
    assert_eq!((cell(0, "gpu_count"), cell(0, "gpu_energy")), (String::new(), String::new()));
    assert_eq!(cell(1, "energy_consumed"), "", "no energy: an empty cell, never 0");
    assert_eq!(cell(0, "os"), "");
}
