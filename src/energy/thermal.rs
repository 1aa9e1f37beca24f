//! Temperatures where Linux exposes them: thermal zones (`thermal/thermal_zone*/temp`) and hwmon
//! sensors (`hwmon/hwmon*/temp*_input`), both in millidegrees Celsius. The hottest reading is
//! what matters for a trial (a package near its limit throttles), so that is what is returned.
//! VMs and containers often have none: `None`, never a made-up value.

use std::path::Path;

/// Readings outside this range (°C) are sensors that are absent or broken (-273, 0, 255 …).
const PLAUSIBLE_C: std::ops::RangeInclusive<f64> = 1.0..=150.0;

/// The hottest plausible temperature under `root` (normally `/sys/class`), °C.
pub(crate) fn max_temp_c(root: &Path) -> Option<f64> {
    let mut files = Vec::new();
    if let Ok(zones) = std::fs::read_dir(root.join("thermal")) {
        for z in zones.flatten() {
            if z.file_name().to_string_lossy().starts_with("thermal_zone") {
                files.push(z.path().join("temp"));
            }
        }
    }
    if let Ok(chips) = std::fs::read_dir(root.join("hwmon")) {
        for chip in chips.flatten() {
            let Ok(entries) = std::fs::read_dir(chip.path()) else { continue };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with("temp") && name.ends_with("_input") {
                    files.push(e.path());
                }
            }
        }
    }
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok()?.trim().parse::<f64>().ok())
        .map(|milli| milli / 1000.0)
        .filter(|c| PLAUSIBLE_C.contains(c))
        .max_by(f64::total_cmp)
}

#[cfg(test)]
#[path = "tests/thermal.rs"]
mod tests;
