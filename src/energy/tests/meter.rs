//! Meter behaviour: exact windows, wraps, sampling period, fallbacks, GPUs,
//! power logs and the `sensors` report.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::super::nvml::{GpuDevice, GpuError, GpuMeter, GpuMode};
use super::super::rapl::{ZoneStatus, default_reader};
use super::super::reading::DomainKind;
use super::super::sampler::sample_period;
use super::super::{EnergyOptions, Meter, sensors};
use super::*;

#[test]
fn window_is_exact_to_the_microjoule_and_skips_subparts() {
    let t = single_socket();
    let (p, _) = probes(default_reader());
    let m = Meter::start_with_probes(t.opts(), LoadedGpus::default(), p);
    let r0 = m.read();
    t.set("intel-rapl:0", 1_000_000 + 1_234_567);
    t.set("intel-rapl:0:0", 2_000_000 + 999_999);
    t.set("intel-rapl:0:1", 3_000_000 + 111);
    t.set("intel-rapl:0:2", 4_000_000 + 333_333);
    t.set("intel-rapl:1", 5_000_000 + 5_000_001);
    let r1 = m.read();
    let w = r1.since(&r0);
    assert_eq!(w.cpu_energy_j, Some(1.234567));
    assert_eq!(w.dram_energy_j, Some(0.333333));
    assert_eq!(w.psys_energy_j, Some(5.000001));
    assert_eq!(w.energy_j, 1.5679);
    assert_eq!(r1.energy_uj("core-0").unwrap() - r0.energy_uj("core-0").unwrap(), 999_999);
    assert!(w.duration_s > 0.0);
    assert_eq!(m.source(), "rapl");
    assert_eq!(m.sample_period(), Duration::from_millis(10));
}

#[test]
fn wrap_inside_a_window_is_corrected() {
    let t = FakeTree::new();
    t.zone("intel-rapl:0", "package-0", 999_000, 1_000_000);
    let (p, _) = probes(default_reader());
    let m = Meter::start_with_probes(t.opts(), LoadedGpus::default(), p);
    // A 1 J range wraps in 1 ms at 1000 W: the sampler must go as fast as it can.
    assert_eq!(m.sample_period(), Duration::from_millis(1));
    let r0 = m.read();
    t.set("intel-rapl:0", 999_900);
    t.set("intel-rapl:0", 500);
    let w = m.read().since(&r0);
    // (1_000_000 - 999_000) + 500 + 1: range is 0..=max.
    assert_eq!(w.cpu_energy_j, Some(0.001501));
}

#[test]
fn windows_name_their_zones_count_wraps_and_flag_a_counter_that_stopped_reading() {
    let t = single_socket();
    let failing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let f = Arc::clone(&failing);
    let real = default_reader();
    // The package counter (…/intel-rapl:0/energy_uj) can be made to fail with EIO.
    let reader: Reader = Arc::new(move |p: &std::path::Path| {
        let package = p.ends_with("energy_uj")
            && p.parent().and_then(|d| d.file_name()).is_some_and(|n| n == "intel-rapl:0");
        if package && f.load(Ordering::SeqCst) {
            Err(std::io::Error::from_raw_os_error(libc::EIO))
        } else {
            real(p)
        }
    });
    let (p, _) = probes(reader);
    let m = Meter::start_with_probes(t.opts(), LoadedGpus::default(), p);
    let r0 = m.read();
    t.set("intel-rapl:0", 1_500_000);
    let w = m.read().since(&r0);
    assert_eq!(w.zones, ["package-0", "dram-0"], "what was summed; core, uncore, psys are not");
    assert_eq!((w.counter_wraps, w.read_failures), (0, 0));

    // A wrap of the package counter (range MAX) is counted.
    t.set("intel-rapl:0", MAX - 10);
    let r1 = m.read();
    t.set("intel-rapl:0", 5);
    let w = m.read().since(&r1);
    assert_eq!(w.counter_wraps, 1);
    assert_eq!(w.cpu_energy_j, Some(16e-6));

    // The package stops reading mid-window: the window says so instead of passing for complete.
    let r2 = m.read();
    failing.store(true, Ordering::SeqCst);
    t.set("intel-rapl:0", 1_000);
    let _ = m.read();
    failing.store(false, Ordering::SeqCst);
    let w = m.read().since(&r2);
    assert!(w.read_failures >= 1, "{w:?}");
    let after = m.read();
    assert_eq!(after.since(&after).read_failures, 0);
}

#[test]
fn sample_period_rule() {
    assert_eq!(sample_period(10.0, &[]), Duration::from_millis(100));
    assert_eq!(sample_period(10.0, &[MAX]), Duration::from_millis(100));
    assert_eq!(sample_period(10.0, &[MAX, 50_000_000]), Duration::from_millis(25));
    assert_eq!(sample_period(f64::NAN, &[]), Duration::from_millis(100));
    assert_eq!(sample_period(1e9, &[]), Duration::from_millis(1));
}

#[test]
fn unreadable_counters_fall_back_to_the_estimate() {
    let t = single_socket();
    let (p, cpu_us) = probes(denying("intel-rapl"));
    let m = Meter::start_with_probes(t.opts(), LoadedGpus::default(), p);
    assert!(m.zones().iter().all(|z| matches!(z.status, ZoneStatus::Unreadable(_))));
    assert_eq!(m.source(), "estimate");
    let r0 = m.read();
    cpu_us.store(3_000_000, Ordering::SeqCst);
    let w = m.read().since(&r0);
    // 80 W × 2 CPU-s / 4 CPUs = 40 J.
    assert_eq!(w.cpu_energy_j, Some(40.0));
    assert_eq!((w.dram_energy_j, w.psys_energy_j, w.energy_j), (None, None, 40.0));
}

#[test]
fn garbled_counter_is_an_error_naming_the_file_and_falls_back() {
    let t = FakeTree::new();
    t.zone("intel-rapl:0", "package-0", 1, MAX).zone("intel-rapl:0:0", "dram", 1, MAX);
    t.set_raw("intel-rapl:0", "n/a\n");
    let (p, cpu_us) = probes(default_reader());
    let m = Meter::start_with_probes(t.opts(), LoadedGpus::default(), p);
    match &m.zones()[0].status {
        ZoneStatus::Garbled(msg) => {
            assert!(msg.contains("intel-rapl:0/energy_uj") && msg.contains("n/a"), "{msg}")
        }
        other => panic!("expected Garbled, got {other:?}"),
    }
    assert_eq!(m.source(), "estimate");
    let r0 = m.read();
    cpu_us.store(1_500_000, Ordering::SeqCst);
    t.set("intel-rapl:0:0", 11);
    let w = m.read().since(&r0);
    assert_eq!(w.cpu_energy_j, Some(10.0)); // 80 × 0.5 / 4
    assert_eq!(w.dram_energy_j, Some(0.00001));
}

#[test]
fn gpu_with_energy_counter_uses_differences() {
    let t = single_socket();
    let mj = Arc::new(AtomicU64::new(10_000));
    let gpu = FakeGpu { energy_mj: Some(Arc::clone(&mj)), power_mw: Arc::new(AtomicU32::new(0)) };
    let (p, _) = probes(default_reader());
    let m = Meter::start_with_probes(t.opts(), vec![Box::new(gpu)], p);
    assert_eq!(
        (m.source(), m.gpu_names()),
        ("rapl+nvml".to_string(), vec!["Fake GPU".to_string()])
    );
    let r0 = m.read();
    mj.store(12_345, Ordering::SeqCst);
    let w = m.read().since(&r0);
    assert_eq!(w.gpu_energy_j, Some(2.345));
    assert_eq!(w.energy_j, 2.345);
}

#[test]
fn gpu_without_counter_integrates_power_with_trapezoids() {
    let power = Arc::new(AtomicU32::new(100_000));
    let gpu = FakeGpu { energy_mj: None, power_mw: Arc::clone(&power) };
    let t0 = Instant::now();
    let mut g = GpuMeter::new(0, Box::new(gpu), false, t0).unwrap();
    assert_eq!(g.mode, GpuMode::PowerIntegration);
    power.store(200_000, Ordering::SeqCst);
    g.sample(t0 + Duration::from_millis(500));
    // (100 W + 200 W) / 2 × 0.5 s = 75 J
    assert_eq!(g.cumulative_uj(), 75_000_000);
    g.sample(t0 + Duration::from_millis(750));
    assert_eq!(g.cumulative_uj(), 125_000_000);

    // Through the meter, with no RAPL at all.
    let t = FakeTree::new();
    let (p, _) = probes(default_reader());
    let gpu = FakeGpu { energy_mj: None, power_mw: Arc::new(AtomicU32::new(50_000)) };
    let m = Meter::start_with_probes(t.opts(), vec![Box::new(gpu)], p);
    assert_eq!(m.source(), "estimate+nvml");
    let r0 = m.read();
    std::thread::sleep(Duration::from_millis(20));
    let w = m.read().since(&r0);
    let expect = 50.0 * w.duration_s;
    assert!((w.gpu_energy_j.unwrap() - expect).abs() < 1e-5, "{w:?}");
}

#[test]
fn no_gpu_means_no_gpu_domain() {
    let t = single_socket();
    let (p, _) = probes(default_reader());
    let m = Meter::start_with_probes(t.opts(), LoadedGpus::default(), p);
    assert!(m.gpu_names().is_empty());
    let r0 = m.read();
    assert_eq!(m.read().since(&r0).gpu_energy_j, None);
    assert!(r0.domains.iter().all(|d| d.kind != DomainKind::Gpu));
}

#[test]
fn missing_powercap_root_uses_the_estimate() {
    let opts = EnergyOptions {
        powercap_root: PathBuf::from("/nonexistent/powercap"),
        ..FakeTree::new().opts()
    };
    let (p, _) = probes(default_reader());
    let m = Meter::start_with_probes(opts, LoadedGpus::default(), p);
    assert!(m.zones().is_empty());
    assert_eq!(m.source(), "estimate");
    assert_eq!(m.read().since(&m.read()).cpu_energy_j, Some(0.0));
}

#[test]
fn power_log_writes_rows_and_matches_the_window() {
    let t = single_socket();
    let (p, _) = probes(default_reader());
    let m = Meter::start_with_probes(
        EnergyOptions { sample_hz: 500.0, ..t.opts() },
        LoadedGpus::default(),
        p,
    );
    let path = t.root.parent().unwrap().join("out/power/trial-1.csv");
    m.begin_power_log(&path).unwrap();
    let r0 = m.read();
    for i in 1..=4u64 {
        t.set("intel-rapl:0", 1_000_000 + i * 250_000);
        std::thread::sleep(Duration::from_millis(15));
    }
    let rows = m.end_power_log().unwrap();
    let w = m.read().since(&r0);
    assert!(m.end_power_log().is_err(), "second end must fail");

    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("t_s,domain,power_w,energy_j"));
    let data: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(data.len() as u64, rows);
    assert!(rows >= 5 * 2, "expected several samples of 5 domains, got {rows}");
    let pkg: Vec<&Vec<&str>> = data.iter().filter(|r| r[1] == "package-0").collect();
    assert_eq!(pkg.last().unwrap()[3], "1.000000");
    assert_eq!(w.cpu_energy_j, Some(1.0));
    let ts: Vec<f64> = pkg.iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(ts.windows(2).all(|p| p[0] <= p[1]) && ts[0] > 0.0, "{ts:?}");
    for d in ["core-0", "uncore-0", "dram-0", "psys"] {
        assert!(data.iter().any(|r| r[1] == d), "no rows for {d}");
    }
}

#[test]
fn reopening_a_log_closes_the_previous_one() {
    let t = single_socket();
    let (p, _) = probes(default_reader());
    let m = Meter::start_with_probes(t.opts(), LoadedGpus::default(), p);
    let dir = t.root.parent().unwrap().join("out/power");
    m.begin_power_log(&dir.join("a.csv")).unwrap();
    m.begin_power_log(&dir.join("b.csv")).unwrap();
    m.end_power_log().unwrap();
    let a = std::fs::read_to_string(dir.join("a.csv")).unwrap();
    assert!(a.starts_with("t_s,domain,power_w,energy_j\n"), "{a}");
}

#[test]
fn sensors_report_explains_every_sensor() {
    let t = FakeTree::new();
    t.zone("intel-rapl:0", "package-0", 1, MAX)
        .zone("intel-rapl:0:0", "dram", 1, MAX)
        .zone("intel-rapl:1", "psys", 1, MAX)
        .zone("intel-rapl-mmio:0", "package-0", 1, MAX);
    let (p, _) = probes(denying("intel-rapl:1"));
    let gpu = FakeGpu { energy_mj: None, power_mw: Arc::new(AtomicU32::new(1000)) };
    let text = sensors::report_with(&t.opts(), vec![Box::new(gpu)], p, Duration::from_millis(5));
    for needle in [
        "package-0",
        "dram-0",
        "UNREADABLE",
        "chmod o+r",
        "same counter as intel-rapl:0",
        "power integration",
        "Fake GPU",
        "energy source: rapl+nvml",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn meter_is_shareable_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Meter>();
}

/// A GPU whose compute-process list the test sets.
struct ProcGpu(Arc<std::sync::Mutex<Option<Vec<u32>>>>);

impl GpuDevice for ProcGpu {
    fn name(&self) -> String {
        "Fake GPU with processes".into()
    }
    fn total_energy_mj(&mut self) -> Result<Option<u64>, GpuError> {
        Ok(Some(0))
    }
    fn power_mw(&mut self) -> Result<u32, GpuError> {
        Ok(0)
    }
    fn compute_pids(&mut self) -> Result<Option<Vec<u32>>, GpuError> {
        Ok(self.0.lock().unwrap().clone())
    }
}

#[test]
fn a_gpu_is_shared_when_nvml_lists_another_process() {
    let t = single_socket();
    let (p, _) = probes(default_reader());
    let pids = Arc::new(std::sync::Mutex::new(Some(vec![])));
    let m = Meter::start_with_probes(t.opts(), vec![Box::new(ProcGpu(Arc::clone(&pids)))], p);
    let own = std::process::id();
    let set = |v: Option<Vec<u32>>| *pids.lock().unwrap() = v;
    assert_eq!(m.gpus_shared(false), [Some(false)], "nobody on the GPU");
    set(Some(vec![own]));
    assert_eq!(m.gpus_shared(true), [Some(false)], "only us");
    set(Some(vec![own, own + 1]));
    assert_eq!(m.gpus_shared(true), [Some(true)]);
    // In a container NVML lists host PIDs: one unknown PID while we use the GPU is us.
    set(Some(vec![4242]));
    assert_eq!(m.gpus_shared(true), [Some(false)]);
    assert_eq!(m.gpus_shared(false), [Some(true)], "a CPU trial never runs on the GPU");
    set(None);
    assert_eq!(m.gpus_shared(false), [None], "NVML cannot tell: unknown, not false");
}

/// A GPU with a settable power limit (150–300 W) that may refuse us, as NVML does for non-root.
struct LimitGpu {
    limit_mw: Arc<AtomicU32>,
    permitted: bool,
}

impl GpuDevice for LimitGpu {
    fn name(&self) -> String {
        "Fake GPU with a power limit".into()
    }
    fn total_energy_mj(&mut self) -> Result<Option<u64>, GpuError> {
        Ok(Some(0))
    }
    fn power_mw(&mut self) -> Result<u32, GpuError> {
        Ok(0)
    }
    fn power_limit_mw(&mut self) -> Result<u32, GpuError> {
        Ok(self.limit_mw.load(Ordering::SeqCst))
    }
    fn power_limit_range_mw(&mut self) -> Result<(u32, u32), GpuError> {
        Ok((150_000, 300_000))
    }
    fn set_power_limit_mw(&mut self, mw: u32) -> Result<(), GpuError> {
        if !self.permitted {
            return Err(GpuError::Other("setting a power limit needs root".into()));
        }
        self.limit_mw.store(mw, Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn a_gpu_power_limit_is_checked_set_and_restored() {
    let t = single_socket();
    let limit = Arc::new(AtomicU32::new(250_000));
    let (p, _) = probes(default_reader());
    let gpu = LimitGpu { limit_mw: Arc::clone(&limit), permitted: true };
    let m = Meter::start_with_probes(t.opts(), vec![Box::new(gpu)], p);
    assert_eq!(m.check_gpu_power_limit(200.0), Ok(()));
    assert_eq!(limit.load(Ordering::SeqCst), 250_000, "the check changes nothing");
    let err = m.check_gpu_power_limit(400.0).unwrap_err();
    assert!(err.contains("accepts 150 to 300 W"), "{err}");
    let before = m.set_gpu_power_limit(175.0).unwrap();
    assert_eq!(limit.load(Ordering::SeqCst), 175_000);
    m.restore_gpu_power_limits(&before);
    assert_eq!(limit.load(Ordering::SeqCst), 250_000);

    let (p, _) = probes(default_reader());
    let refused = LimitGpu { limit_mw: Arc::new(AtomicU32::new(250_000)), permitted: false };
    let m = Meter::start_with_probes(t.opts(), vec![Box::new(refused)], p);
    let err = m.check_gpu_power_limit(200.0).unwrap_err();
    assert!(err.contains("needs root") && err.contains("gpu-0"), "{err}");

    let (p, _) = probes(default_reader());
    let none = Meter::start_with_probes(t.opts(), LoadedGpus::default(), p);
    assert!(none.check_gpu_power_limit(200.0).unwrap_err().contains("no NVIDIA GPU"));
}

#[test]
fn a_power_limit_is_journalled_while_in_force_and_a_refusal_rolls_back_the_others() {
    let t = single_socket();
    let state = t.opts().state_dir;
    let journal = super::super::limits::journal_path(&state, std::process::id());
    let (a, b) = (Arc::new(AtomicU32::new(250_000)), Arc::new(AtomicU32::new(280_000)));
    let both = |second_permitted: bool| -> Vec<Box<dyn GpuDevice>> {
        vec![
            Box::new(LimitGpu { limit_mw: Arc::clone(&a), permitted: true }),
            Box::new(LimitGpu { limit_mw: Arc::clone(&b), permitted: second_permitted }),
        ]
    };
    let (p, _) = probes(default_reader());
    let m = Meter::start_with_probes(t.opts(), both(true), p);
    let before = m.set_gpu_power_limit(200.0).unwrap();
    assert_eq!((a.load(Ordering::SeqCst), b.load(Ordering::SeqCst)), (200_000, 200_000));
    let text = std::fs::read_to_string(&journal).expect("journalled before the change");
    assert!(text.contains("250000") && text.contains("280000"), "{text}");
    m.restore_gpu_power_limits(&before);
    assert_eq!((a.load(Ordering::SeqCst), b.load(Ordering::SeqCst)), (250_000, 280_000));
    assert!(!journal.exists(), "removed once the limits are back");

    // GPU 1 refuses after GPU 0 accepted: GPU 0 goes back, and nothing is left to restore.
    let (p, _) = probes(default_reader());
    let m = Meter::start_with_probes(t.opts(), both(false), p);
    let err = m.set_gpu_power_limit(200.0).unwrap_err();
    assert!(err.contains("gpu-1") && err.contains("put back"), "{err}");
    assert_eq!((a.load(Ordering::SeqCst), b.load(Ordering::SeqCst)), (250_000, 280_000));
    assert!(!journal.exists());
}

/// A GPU whose reads follow a script: `Err` for a failed read, else the counter in mJ.
struct ScriptedGpu(std::collections::VecDeque<Result<u64, ()>>, bool);

impl GpuDevice for ScriptedGpu {
    fn name(&self) -> String {
        "Scripted GPU".into()
    }
    fn total_energy_mj(&mut self) -> Result<Option<u64>, GpuError> {
        match self.0.pop_front().unwrap_or(Err(())) {
            Ok(mj) => Ok(Some(mj)),
            Err(()) => Err(GpuError::Other("GPU is lost".into())),
        }
    }
    fn power_mw(&mut self) -> Result<u32, GpuError> {
        if self.1 { Ok(100_000) } else { Err(GpuError::Other("GPU is lost".into())) }
    }
}

#[test]
fn a_gpu_probe_is_retried_a_backwards_counter_fails_and_an_unreadable_board_is_left_out() {
    let now = Instant::now();
    // One failed read at start, then the counter: still the counter.
    let script = [Err(()), Ok(1_000), Ok(3_000), Ok(500), Ok(700)].into_iter().collect();
    let mut g = GpuMeter::new(0, Box::new(ScriptedGpu(script, true)), false, now).unwrap();
    assert_eq!((g.mode, g.method()), (GpuMode::Counter, "counter"));
    g.sample(now);
    assert_eq!((g.cumulative_uj(), g.failures), (2_000_000, 0));
    g.sample(now);
    assert_eq!(g.failures, 1, "a counter going backwards lost energy: a failure");
    assert!(g.failing);
    g.sample(now);
    assert_eq!((g.cumulative_uj(), g.failures, g.failing), (2_200_000, 1, false));

    // Counter never readable: power integration, named as such.
    let g = GpuMeter::new(1, Box::new(ScriptedGpu(Default::default(), true)), false, now);
    assert_eq!(g.unwrap().method(), "power-integral");
    // Neither: left out.
    assert!(
        GpuMeter::new(2, Box::new(ScriptedGpu(Default::default(), false)), false, now).is_none()
    );
}

#[test]
fn a_failed_read_at_a_window_start_counts_in_that_window() {
    let reading = |failures: u64, failed: bool| super::super::Reading {
        at: Instant::now(),
        domains: vec![super::super::reading::DomainEnergy {
            domain: "gpu-0".into(),
            kind: DomainKind::Gpu,
            energy_uj: 5,
            wraps: 0,
            failures,
            failed,
        }],
        source: "estimate+nvml".into(),
    };
    // The read opening the window failed (its failure is already in the start's count).
    assert_eq!(reading(1, false).since(&reading(1, true)).read_failures, 1);
    assert_eq!(reading(1, false).since(&reading(1, false)).read_failures, 0);
    assert_eq!(reading(3, false).since(&reading(1, false)).read_failures, 2);
}

#[test]
fn a_gpu_reached_through_mig_is_shared_and_only_device_0_can_be_ours() {
    let t = single_socket();
    let (p, _) = probes(default_reader());
    let pids = Arc::new(std::sync::Mutex::new(Some(vec![4242])));
    let gpus: Vec<Box<dyn GpuDevice>> =
        vec![Box::new(ProcGpu(Arc::clone(&pids))), Box::new(ProcGpu(Arc::clone(&pids)))];
    let m = Meter::start_with_probes(t.opts(), gpus, p);
    // A trial on CUDA device 0: the unknown pid on GPU 0 may be us (a container), on GPU 1 not.
    assert_eq!(m.gpus_shared(true), [Some(false), Some(true)]);
    let (p, _) = probes(default_reader());
    let loaded = super::super::nvml::LoadedGpus {
        gpus: vec![Box::new(ProcGpu(Arc::new(std::sync::Mutex::new(Some(vec![])))))],
        mig: vec![true],
        ..Default::default()
    };
    let m = Meter::start_with_probes(t.opts(), loaded, p);
    assert_eq!(m.gpus_shared(false), [Some(true)], "a MIG board is always shared");
}
