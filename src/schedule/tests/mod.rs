//! The forecast and the choice of start, against a brute-force search.

use super::choose::best_start;
use super::forecast::parse_forecast;
use chrono::{DateTime, FixedOffset, TimeDelta};

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// The example forecast the docs and experiments/scheduled.toml use.
const NIGHT: &str = include_str!("../../../experiments/schedule/forecast.csv");

#[test]
fn a_forecast_is_a_step_function_that_ends_one_interval_after_its_last_row() {
    let f = parse_forecast(NIGHT, "night.csv").unwrap();
    assert_eq!(f.at(t("2026-12-03T21:59:59+01:00")), Some(300.0));
    assert_eq!(f.at(t("2026-12-04T01:00:00+01:00")), Some(119.0));
    assert_eq!(f.at(t("2026-12-04T08:59:00+01:00")), Some(320.0), "the last holds 2 h");
    assert_eq!(f.at(t("2026-12-04T09:00:00+01:00")), None);
    assert_eq!(f.at(t("2026-12-03T19:00:00Z")), Some(300.0), "zones compare as instants");
    let one_hour = f.integral(t("2026-12-04T00:30:00+01:00"), t("2026-12-04T01:30:00+01:00"));
    assert!((one_hour - (217.0 + 119.0) * 1800.0).abs() < 1e-6);
}

/// The cheapest start by trying every minute (ties: the earliest).
fn brute(
    f: &super::forecast::Forecast,
    now: &str,
    deadline: &str,
    d_s: i64,
) -> DateTime<FixedOffset> {
    let (now, deadline) = (t(now), t(deadline));
    let d = TimeDelta::seconds(d_s);
    let mut best = (now, f64::INFINITY);
    let mut s = now;
    while s + d <= deadline {
        let v = f.integral(s, s + d);
        if v < best.1 - 1e-6 {
            best = (s, v);
        }
        s += TimeDelta::minutes(1);
    }
    best.0
}

#[test]
fn the_chosen_start_equals_a_brute_force_search() {
    let f = parse_forecast(NIGHT, "night.csv").unwrap();
    let now = "2026-12-03T20:00:00+01:00";
    for (deadline, hours_s) in [
        ("2026-12-04T07:00:00+01:00", 2 * 3600),
        ("2026-12-04T07:00:00+01:00", 5 * 3600),
        ("2026-12-04T07:00:00+01:00", 11 * 3600),
        // The cheapest window (01:00–03:30) would end after this deadline: the best start
        // within it is earlier.
        ("2026-12-04T02:00:00+01:00", 3 * 3600),
        ("2026-12-04T09:00:00+01:00", 90 * 60),
    ] {
        let got = best_start(&f, t(now), t(deadline), hours_s as f64).unwrap();
        assert_eq!(got, brute(&f, now, deadline, hours_s), "deadline {deadline}, {hours_s} s");
        assert!(got + TimeDelta::seconds(hours_s) <= t(deadline));
    }
    // 2 h before 07:00: the 119 g/kWh stretch.
    let got = best_start(&f, t(now), t("2026-12-04T07:00:00+01:00"), 7200.0).unwrap();
    assert_eq!(got, t("2026-12-04T01:00:00+01:00"));
    // Now is the cheapest: start at once.
    let got =
        best_start(&f, t("2026-12-04T01:10:00+01:00"), t("2026-12-04T07:00:00+01:00"), 3600.0);
    assert_eq!(got.unwrap(), t("2026-12-04T01:10:00+01:00"));
    // A flat forecast: the earliest.
    let flat = parse_forecast(
        "time,carbon_intensity_g_per_kwh\n2026-12-03T00:00:00Z,100\n2026-12-04T00:00:00Z,100\n",
        "flat",
    )
    .unwrap();
    assert_eq!(
        best_start(&flat, t("2026-12-03T01:00:00Z"), t("2026-12-03T12:00:00Z"), 600.0).unwrap(),
        t("2026-12-03T01:00:00Z")
    );
}

#[test]
fn a_deadline_that_cannot_be_met_and_a_forecast_that_does_not_cover_are_errors() {
    let f = parse_forecast(NIGHT, "night.csv").unwrap();
    let e = best_start(&f, t("2026-12-04T05:00:00+01:00"), t("2026-12-04T06:00:00+01:00"), 7200.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("schedule.deadline") && e.contains("7200 s"), "{e}");
    let e = best_start(&f, t("2026-12-03T19:00:00+01:00"), t("2026-12-04T06:00:00+01:00"), 60.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("night.csv") && e.contains("covers"), "{e}");
    let e = best_start(&f, t("2026-12-03T21:00:00+01:00"), t("2026-12-04T10:00:00+01:00"), 60.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("covers"), "{e}");
}

#[test]
fn bad_forecasts_name_the_file_and_line() {
    let head = "time,carbon_intensity_g_per_kwh\n2026-12-03T20:00:00+01:00,300\n";
    for (body, what) in [
        ("2026-12-03 21:00,200\n", "night.csv:3: time"),
        ("2026-12-03T21:00:00+01:00,lots\n", "night.csv:3: carbon_intensity_g_per_kwh"),
        ("2026-12-03T21:00:00+01:00,-5\n", "night.csv:3: carbon_intensity_g_per_kwh -5"),
        (
            "2026-12-03T19:00:00+01:00,200\n",
            "night.csv:3: time 2026-12-03 19:00:00 +01:00 is not after",
        ),
        ("", "night.csv: needs at least two rows"),
    ] {
        let e = format!("{:#}", parse_forecast(&format!("{head}{body}"), "night.csv").unwrap_err());
        assert!(e.contains(what), "{body:?}: {e}");
    }
    let e = format!("{:#}", parse_forecast("when,g\n", "x.csv").unwrap_err());
    assert!(e.contains("x.csv:1: no `time` column"), "{e}");
}
