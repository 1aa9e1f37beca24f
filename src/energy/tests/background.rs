//! Background load from a fake /proc/stat and a fake process clock.

use super::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

fn stat(user: u64, system: u64, idle: u64) -> String {
    format!("cpu  {user} 0 {system} {idle} 7 0 3 5 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 12345\n")
}

#[test]
fn busy_ticks_leave_out_idle_iowait_and_steal() {
    assert_eq!(busy_ticks(&stat(100, 50, 9999)), Some(153));
    assert_eq!(busy_ticks("cpu  1 2 3\n"), None, "too few fields");
    assert_eq!(busy_ticks("intr 1 2\n"), None);
}

#[test]
fn another_process_keeping_a_core_busy_shows_in_the_share() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stat");
    let us = Arc::new(AtomicU64::new(0));
    let u = Arc::clone(&us);
    let mut probe =
        LoadProbe::new(path.clone(), Box::new(move || Ok(u.load(Ordering::SeqCst))), 100.0);
    std::fs::write(&path, stat(1000, 0, 0)).unwrap();
    let a = probe.sample();
    // 10 s of wall time on 2 CPUs: we used 10 CPU-seconds, the machine 20: the other 10 are
    // someone else's.
    std::fs::write(&path, stat(3000, 0, 0)).unwrap();
    us.store(10_000_000, Ordering::SeqCst);
    let b = probe.sample();
    let mut w = LoadWindows::default();
    w.add(a, b);
    assert_eq!(w.other_cpu_share(), Some(0.5));

    // A quiet window: all the busy time is ours; clock skew never makes the share negative.
    std::fs::write(&path, stat(4000, 0, 0)).unwrap();
    us.store(21_000_000, Ordering::SeqCst);
    let c = probe.sample();
    let mut quiet = LoadWindows::default();
    quiet.add(b, c);
    assert_eq!(quiet.other_cpu_share(), Some(0.0));

    // Summed over windows: 30 busy seconds of which 21 were ours (tick and µs clocks disagree a
    // little inside one window; the sums still balance).
    w.add(b, c);
    assert!((w.other_cpu_share().unwrap() - 9.0 / 30.0).abs() < 1e-9);

    // An unreadable /proc/stat gives no share, not 0.
    std::fs::remove_file(&path).unwrap();
    let mut broken = LoadWindows::default();
    broken.add(probe.sample(), probe.sample());
    assert_eq!(broken.other_cpu_share(), None);
}

#[test]
fn windows_of_a_few_ticks_are_too_short_to_judge_and_longer_ones_are_judged() {
    let sample = |busy: f64, ours: f64| Some(LoadSample { machine_busy_s: busy, process_s: ours });
    // A 30 ms trial on a busy 2-CPU machine: 6 ticks busy, 3 of them ours by rounding alone.
    let mut short = LoadWindows::default();
    short.add(sample(100.0, 50.0), sample(100.06, 50.03));
    assert!(short.too_short());
    assert_eq!(short.other_cpu_share(), None, "a ratio of rounding errors is not reported");
    // A 2 s trial with a neighbour on the other CPU: 4 s busy, 2 s ours: judged, and flagged.
    let mut long = LoadWindows::default();
    long.add(sample(100.0, 50.0), sample(104.0, 52.0));
    assert!(!long.too_short());
    assert_eq!(long.other_cpu_share(), Some(0.5));
    // Many short windows add up: a trial is judged on all its windows together.
    let mut many = LoadWindows::default();
    for i in 0..20 {
        let t = 100.0 + i as f64 * 0.05;
        many.add(sample(t, 0.0), sample(t + 0.04, 0.04));
    }
    assert!(!many.too_short(), "0.8 s busy in all");
    assert!(many.other_cpu_share().unwrap() < 1e-9);
}
