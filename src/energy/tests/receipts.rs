//! Receipts from hand-made readings: intervals, the longest gap, stalls.

use std::time::{Duration, Instant};

use super::super::reading::{DomainEnergy, DomainKind, Reading};
use super::*;

fn reading(at: Instant, package_uj: u64, estimate_uj: u64) -> Reading {
    let d = |domain: &str, kind, energy_uj| DomainEnergy {
        domain: domain.into(),
        kind,
        energy_uj,
        wraps: 0,
        failures: 0,
        failed: false,
    };
    Reading {
        at,
        domains: vec![
            d("package-0", DomainKind::CpuPackage, package_uj),
            d("cpu-estimate", DomainKind::CpuEstimate, estimate_uj),
        ],
        source: "rapl".into(),
    }
}

#[test]
fn the_median_interval_and_the_longest_gap_are_taken() {
    let t0 = Instant::now();
    let mut r = ReceiptTaker::default();
    for (ms, uj) in [(0, 0), (100, 1), (200, 2), (300, 3), (1500, 4)] {
        r.see(&reading(t0 + Duration::from_millis(ms), uj, 0));
    }
    let got = r.receipts();
    assert_eq!(got.interval_ms_median, Some(100.0));
    assert_eq!(got.gap_ms_max, Some(1200.0));
    assert_eq!(got.counter_stalls, 0);
    assert_eq!(ReceiptTaker::default().receipts().interval_ms_median, None);
}

#[test]
fn a_counter_that_stops_after_advancing_is_one_stall_per_standstill() {
    let t0 = Instant::now();
    let mut r = ReceiptTaker::default();
    let at = |ms| t0 + Duration::from_millis(ms);
    // Never advancing (a zone that reads 0 on this platform) is not a stall; the estimate is
    // not a counter.
    for ms in (0..=2000).step_by(100) {
        r.see(&reading(at(ms), 0, 7));
    }
    assert_eq!(r.receipts().counter_stalls, 0);
    r.see(&reading(at(2100), 10, 7));
    // Stands still from 2100 ms: counted once at 3100 ms, not again at 3500.
    for ms in (2200..=3500).step_by(100) {
        r.see(&reading(at(ms), 10, 7));
    }
    assert_eq!(r.receipts().counter_stalls, 1);
    r.see(&reading(at(3600), 11, 7));
    r.see(&reading(at(3700), 11, 7));
    assert_eq!(r.receipts().counter_stalls, 1, "a 100 ms standstill is sampling, not a stall");
}
