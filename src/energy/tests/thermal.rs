//! Temperatures from fake thermal zones and hwmon sensors.

use super::*;

#[test]
fn the_hottest_plausible_sensor_is_taken_from_zones_and_hwmon() {
    let d = tempfile::tempdir().unwrap();
    let put = |rel: &str, text: &str| {
        let p = d.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    assert_eq!(max_temp_c(d.path()), None, "no sensors: none, not 0");
    put("thermal/thermal_zone0/temp", "45000\n");
    put("thermal/thermal_zone1/temp", "-273000\n");
    put("thermal/cooling_device0/temp", "99000\n");
    assert_eq!(max_temp_c(d.path()), Some(45.0));
    put("hwmon/hwmon2/temp1_input", "71500\n");
    put("hwmon/hwmon2/temp1_max", "100000\n");
    put("hwmon/hwmon3/temp2_input", "garbage\n");
    assert_eq!(max_temp_c(d.path()), Some(71.5));
}
