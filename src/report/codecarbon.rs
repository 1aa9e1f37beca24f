//! `wattsweep export OUT --format codecarbon`: the trials as CodeCarbon's `emissions.csv`, so
//! its dashboards (`carbonboard`) and the scripts people already point at CodeCarbon's output
//! read a sweep. One row per trial, the columns of CodeCarbon's `EmissionsData` in its order
//! (the CSV header its file output writes), energy in kWh, emissions in kg, power in W; what
//! wattsweep cannot know (location, cloud, Python, water) is an empty cell, never a guess.

use anyhow::Result;

use crate::report::fmt::finite;
use crate::results::ResultRow;

/// CodeCarbon's output fields in its order: `codecarbon/output_methods/emissions_data.py`,
/// `EmissionsData`, unchanged from 3.2.8 to 3.3.2 (CI checks the installed package's fields
/// against this header: scripts/report/check-exports.sh).
pub(crate) const CODECARBON_FIELDS: [&str; 38] = [
    "timestamp",
    "project_name",
    "run_id",
    "experiment_id",
    "duration",
    "emissions",
    "emissions_rate",
    "cpu_power",
    "gpu_power",
    "ram_power",
    "cpu_energy",
    "gpu_energy",
    "ram_energy",
    "energy_consumed",
    "water_consumed",
    "country_name",
    "country_iso_code",
    "region",
    "cloud_provider",
    "cloud_region",
    "os",
    "python_version",
    "codecarbon_version",
    "cpu_count",
    "cpu_model",
    "gpu_count",
    "gpu_model",
    "longitude",
    "latitude",
    "ram_total_size",
    "tracking_mode",
    "cpu_utilization_percent",
    "gpu_utilization_percent",
    "ram_utilization_percent",
    "ram_used_gb",
    "on_cloud",
    "pue",
    "wue",
];

/// Joules in a kilowatt-hour.
const J_PER_KWH: f64 = 3.6e6;

/// What the rows do not say about the machine: from `machine.json` or `run.json`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Host {
    pub os: Option<String>,
    pub cpu_model: Option<String>,
    pub cpu_count: Option<u64>,
    /// Total memory, GiB (CodeCarbon's `ram_total_size`).
    pub ram_gib: Option<f64>,
}

/// `emissions.csv`: a header of [`CODECARBON_FIELDS`] and one row per trial.
pub(crate) fn emissions_csv(results: &[ResultRow], project: &str, host: &Host) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CODECARBON_FIELDS)?;
    for r in results {
        let row = fields(r, project, host);
        w.write_record(CODECARBON_FIELDS.map(&row))?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))
}

fn num(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite()).map(|v| v.to_string()).unwrap_or_default()
}

/// CodeCarbon's `timestamp`: `%Y-%m-%dT%H:%M:%S` in local time without a zone (it writes
/// `datetime.now()` when the run stops); ours is the trial's end in the zone it was recorded in.
fn timestamp(finished_at: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(finished_at) {
        Ok(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
        Err(_) => finished_at.to_string(),
    }
}

/// `2 x NVIDIA H200` (CodeCarbon's form) from the row's `;`-separated GPU names.
fn gpu_model(names: &str) -> String {
    let mut groups: Vec<(&str, usize)> = Vec::new();
    for n in names.split(';').map(str::trim).filter(|n| !n.is_empty()) {
        match groups.iter_mut().find(|(g, _)| *g == n) {
            Some((_, k)) => *k += 1,
            None => groups.push((n, 1)),
        }
    }
    groups.iter().map(|(n, k)| format!("{k} x {n}")).collect::<Vec<_>>().join(", ")
}

/// The cell of each field for one trial.
fn fields<'a>(r: &'a ResultRow, project: &'a str, host: &'a Host) -> impl Fn(&str) -> String + 'a {
    let seconds = Some(r.train_time_s).filter(|t| t.is_finite() && *t > 0.0);
    let kwh = |j: Option<f64>| finite(j).map(|j| j / J_PER_KWH);
    let watts = move |j: Option<f64>| Some(finite(j)? / seconds?);
    let emissions_kg = finite(r.co2_g).map(|g| g / 1000.0);
    let gpus: Vec<&str> = r
        .gpu_name
        .as_deref()
        .map_or(Vec::new(), |g| g.split(';').map(str::trim).filter(|n| !n.is_empty()).collect());
    move |field: &str| match field {
        "timestamp" => timestamp(&r.finished_at),
        "project_name" => project.to_string(),
        "run_id" => r.trial_id.clone(),
        "experiment_id" => r.config_id.clone(),
        "duration" => num(seconds),
        "emissions" => num(emissions_kg),
        "emissions_rate" => num(emissions_kg.zip(seconds).map(|(e, s)| e / s)),
        "cpu_power" => num(watts(r.cpu_energy_j)),
        "gpu_power" => num(watts(r.gpu_energy_j)),
        "ram_power" => num(watts(r.dram_energy_j)),
        "cpu_energy" => num(kwh(r.cpu_energy_j)),
        "gpu_energy" => num(kwh(r.gpu_energy_j)),
        "ram_energy" => num(kwh(r.dram_energy_j)),
        "energy_consumed" => num(kwh(r.energy_j)),
        "os" => host.os.clone().unwrap_or_default(),
        "cpu_count" => host.cpu_count.map(|n| n.to_string()).unwrap_or_default(),
        "cpu_model" => host.cpu_model.clone().unwrap_or_default(),
        // No GPU name: none was measured (or NVML was off), so the count is not known.
        "gpu_count" if gpus.is_empty() => String::new(),
        "gpu_count" => gpus.len().to_string(),
        "gpu_model" => r.gpu_name.as_deref().map(gpu_model).unwrap_or_default(),
        "ram_total_size" => num(host.ram_gib),
        // RAPL meters the whole package (CodeCarbon's `machine`); the estimate charges this
        // process's CPU time (its `process`).
        "tracking_mode" if r.energy_source.starts_with("rapl") => "machine".into(),
        "tracking_mode" if r.energy_source.starts_with("estimate") => "process".into(),
        // The energy is what the machine drew, no data-centre overhead applied: a PUE of 1.
        "pue" => "1".into(),
        // Water, location, cloud, Python, CodeCarbon's version, utilisation: not known here.
        _ => String::new(),
    }
}

#[cfg(test)]
#[path = "tests/codecarbon.rs"]
mod tests;
