use super::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[test]
fn tdp_from_option_then_table_then_default() {
    assert_eq!(resolve_tdp(Some(95.0), "AMD Ryzen 9 7950X"), (95.0, TdpSource::Option));
    assert_eq!(
        resolve_tdp(None, "AMD Ryzen 9 7950X 16-Core Processor"),
        (170.0, TdpSource::Table("ryzen 9 7950x"))
    );
    assert_eq!(resolve_tdp(None, "Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz").0, 270.0);
    assert_eq!(resolve_tdp(Some(-1.0), "Mystery CPU"), (DEFAULT_TDP_W, TdpSource::Default));
}

#[test]
fn estimate_is_tdp_times_cpu_share() {
    let cpu_us = Arc::new(AtomicU64::new(10_000_000));
    let c = Arc::clone(&cpu_us);
    let mut est = CpuEstimate::new(
        100.0,
        TdpSource::Option,
        8,
        Box::new(move || Ok(c.load(Ordering::SeqCst))),
    );
    est.sample();
    assert_eq!(est.cumulative_uj, 0);
    // 4 CPU-seconds on 8 logical CPUs at 100 W: 100 × 4 / 8 = 50 J.
    cpu_us.store(14_000_000, Ordering::SeqCst);
    est.sample();
    assert_eq!(est.cumulative_uj, 50_000_000);
    // 3 µs more: 100 × 3 / 8 = 37.5 µJ -> 50 000 038 (rounded).
    cpu_us.store(14_000_003, Ordering::SeqCst);
    est.sample();
    assert_eq!(est.cumulative_uj, 50_000_038);
}

#[test]
fn real_clock_advances_with_work() {
    let mut clock = process_cpu_clock();
    let a = clock().unwrap();
    let mut x = 0u64;
    let start = std::time::Instant::now();
    while start.elapsed().as_millis() < 30 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
    }
    std::hint::black_box(x);
    assert!(clock().unwrap() > a);
    let (_, n) = cpu_identity();
    assert!(n >= 1);
}
