use super::*;
use crate::energy::cpuinfo::CpuInfo;
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

fn clocks(cpu_us: u64) -> (CpuClock, WallClock, Arc<AtomicU64>, Arc<AtomicU64>) {
    let (cpu, wall) = (Arc::new(AtomicU64::new(cpu_us)), Arc::new(AtomicU64::new(0)));
    let (c, w) = (Arc::clone(&cpu), Arc::clone(&wall));
    (
        Box::new(move || Ok(c.load(Ordering::SeqCst))),
        Box::new(move || w.load(Ordering::SeqCst)),
        cpu,
        wall,
    )
}

fn machine(vm: bool, cpus: usize, packages: usize) -> CpuInfo {
    CpuInfo {
        model_name: "AMD EPYC 7763 64-Core Processor".into(),
        vendor: "AuthenticAMD".into(),
        family: Some(25),
        model: Some(1),
        stepping: Some(1),
        hypervisor: vm,
        logical_cpus: cpus,
        packages,
    }
}

#[test]
fn estimate_is_tdp_times_cpu_share_of_one_package() {
    let model = EstimateModel::Tdp { tdp_w: 100.0, source: TdpSource::Option, cpus_per_package: 8 };
    let (clock, wall, cpu_us, _) = clocks(10_000_000);
    let mut est = CpuEstimate::new(model, clock, wall);
    est.sample();
    assert_eq!(est.cumulative_uj, 0);
    // 4 CPU-seconds on a package of 8 logical CPUs at 100 W: 100 × 4 / 8 = 50 J.
    cpu_us.store(14_000_000, Ordering::SeqCst);
    est.sample();
    assert_eq!(est.cumulative_uj, 50_000_000);
    // 3 µs more: 100 × 3 / 8 = 37.5 µJ -> 50 000 038 (rounded).
    cpu_us.store(14_000_003, Ordering::SeqCst);
    est.sample();
    assert_eq!(est.cumulative_uj, 50_000_038);
}

#[test]
fn a_vm_is_charged_per_vcpu_by_its_microarchitecture() {
    // A 2-vCPU Milan guest, one thread busy for 10 s: 2 × 0.46 W × 10 s + (1.96 − 0.46) W × 10 s
    // = 9.2 + 15 = 24.2 J, i.e. 2.42 W, where a 280 W TDP over 2 CPUs would say 140 W.
    let model = EstimateModel::choose(None, None, None, &machine(true, 2, 1));
    assert_eq!(model.method(), "vcpu-coefficients");
    assert!(model.describe().contains("EPYC Milan"), "{}", model.describe());
    let (clock, wall, cpu_us, wall_us) = clocks(0);
    let mut est = CpuEstimate::new(model, clock, wall);
    cpu_us.store(10_000_000, Ordering::SeqCst);
    wall_us.store(10_000_000, Ordering::SeqCst);
    est.sample();
    assert_eq!(est.cumulative_uj, 24_200_000);
}

#[test]
fn the_model_follows_the_machine_and_the_grid() {
    let bare = EstimateModel::choose(None, None, None, &machine(false, 128, 2));
    assert_eq!(
        bare,
        EstimateModel::Tdp {
            tdp_w: 280.0,
            source: TdpSource::Table("epyc 7763"),
            cpus_per_package: 64
        },
        "one package's TDP over one package's CPUs, not all sockets'"
    );
    assert_eq!(bare.method(), "tdp");
    let user = EstimateModel::choose(None, Some(1.0), Some(5.0), &machine(true, 4, 1));
    assert_eq!(user.method(), "user");
    assert!(matches!(user, EstimateModel::Vcpu { min_w: 1.0, max_w: 5.0, vcpus: 4, .. }));
    let half = EstimateModel::choose(None, None, Some(3.0), &machine(true, 4, 1));
    assert!(matches!(half, EstimateModel::Vcpu { min_w: 0.46, max_w: 3.0, .. }), "{half:?}");
    let tdp_on_vm = EstimateModel::choose(Some(90.0), None, None, &machine(true, 4, 1));
    assert_eq!(tdp_on_vm.method(), "tdp", "an explicit cpu_tdp_w is the user's choice");
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
    let info = crate::energy::cpuinfo::read_cpuinfo();
    assert!(info.logical_cpus >= 1 && info.packages >= 1, "{info:?}");
}
