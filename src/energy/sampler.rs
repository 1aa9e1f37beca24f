//! The set of live sensors behind one mutex, and the background sampler that
//! reads them periodically.
//!
//! Both the sampler and `Meter::read()` go through [`Sensors::sample`] under
//! the same mutex, so every reading updates the same wrap-corrected
//! accumulators and phase windows are counter differences taken exactly at the
//! phase boundaries. The sampler writes the power log's periodic rows after
//! releasing the sensors lock, so a training thread calling `read()` never
//! waits on file I/O; the meter adds the closing rows when a trial's log ends.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::counter::{MAX_ZONE_POWER_W, min_safe_interval};
use super::cpuinfo::{CpuInfo, read_cpuinfo};
use super::estimate::{
    CpuClock, CpuEstimate, EstimateModel, WallClock, process_cpu_clock, wall_clock,
};
use super::nvml::{GpuMeter, LoadedGpus};
use super::options::{DEFAULT_SAMPLE_HZ, EnergyOptions};
use super::powerlog::PowerLog;
use super::rapl::{RaplZone, Reader, ZoneInfo, ZoneKind, ZoneStatus, default_reader};
use super::reading::{DomainEnergy, DomainKind, Reading};

const MAX_SAMPLE_HZ: f64 = 1000.0;

/// Everything that touches the machine, injectable for tests.
pub(crate) struct Probes {
    pub reader: Reader,
    pub cpu_clock: CpuClock,
    pub wall: WallClock,
    pub cpu: CpuInfo,
}

impl Probes {
    pub(crate) fn system() -> Probes {
        Probes {
            reader: default_reader(),
            cpu_clock: process_cpu_clock(),
            wall: wall_clock(),
            cpu: read_cpuinfo(),
        }
    }
}

pub(crate) struct Sensors {
    rapl: Vec<RaplZone>,
    reader: Reader,
    pub gpus: Vec<GpuMeter>,
    pub estimate: Option<CpuEstimate>,
    pub source: String,
}

fn domain_kind(kind: ZoneKind) -> DomainKind {
    match kind {
        ZoneKind::Package => DomainKind::CpuPackage,
        ZoneKind::Dram => DomainKind::Dram,
        ZoneKind::Subpart => DomainKind::CpuSubpart,
        ZoneKind::Psys => DomainKind::Psys,
        ZoneKind::Other => DomainKind::Other,
    }
}

impl Sensors {
    /// Build the live sensors from discovered zones: active zones are
    /// sampled; without an active package zone the CPU uses the estimate.
    pub(super) fn new(
        opts: &EnergyOptions,
        zones: &[ZoneInfo],
        gpus: LoadedGpus,
        probes: Probes,
    ) -> Sensors {
        let rapl: Vec<RaplZone> =
            zones.iter().filter(|z| z.status == ZoneStatus::Active).map(RaplZone::new).collect();
        let has_package = rapl.iter().any(|z| z.kind == ZoneKind::Package);
        let estimate = (!has_package).then(|| {
            let model = EstimateModel::choose(
                opts.cpu_tdp_w,
                opts.vcpu_min_w,
                opts.vcpu_max_w,
                &probes.cpu,
            );
            CpuEstimate::new(model, probes.cpu_clock, probes.wall)
        });
        let now = Instant::now();
        let gpus: Vec<GpuMeter> = gpus
            .gpus
            .into_iter()
            .zip(gpus.mig)
            .enumerate()
            .filter_map(|(i, (d, mig))| GpuMeter::new(i, d, mig, now))
            .collect();
        let cpu = if has_package { "rapl" } else { "estimate" };
        let source = if gpus.is_empty() { cpu.to_string() } else { format!("{cpu}+nvml") };
        let mut sensors = Sensors { rapl, reader: probes.reader, gpus, estimate, source };
        // Prime every counter so the first window starts from a real value.
        sensors.sample();
        sensors
    }

    /// Read every sensor now and return cumulative energies.
    pub(super) fn sample(&mut self) -> Reading {
        let at = Instant::now();
        let mut domains = Vec::with_capacity(self.rapl.len() + self.gpus.len() + 1);
        for z in &mut self.rapl {
            z.sample(&self.reader);
            domains.push(DomainEnergy {
                domain: z.label.clone(),
                kind: domain_kind(z.kind),
                energy_uj: z.cumulative_uj,
                wraps: z.wraps,
                failures: z.failures,
                failed: z.failing,
            });
        }
        for g in &mut self.gpus {
            g.sample(at);
            domains.push(DomainEnergy {
                domain: g.label.clone(),
                kind: DomainKind::Gpu,
                energy_uj: g.cumulative_uj(),
                wraps: 0,
                failures: g.failures,
                failed: g.failing,
            });
        }
        if let Some(e) = &mut self.estimate {
            e.sample();
            domains.push(DomainEnergy {
                domain: "cpu-estimate".into(),
                kind: DomainKind::CpuEstimate,
                energy_uj: e.cumulative_uj,
                wraps: 0,
                failures: 0,
                failed: false,
            });
        }
        Reading { at, domains, source: self.source.clone() }
    }

    pub(super) fn max_ranges_uj(&self) -> Vec<u64> {
        self.rapl.iter().map(|z| z.max_energy_range_uj()).collect()
    }
}

/// Sampling period: `1 / sample_hz` (default 10 Hz, capped at 1 kHz), but
/// never longer than the wrap-safe interval of any counter
/// ([`min_safe_interval`] at [`MAX_ZONE_POWER_W`]).
pub(super) fn sample_period(sample_hz: f64, max_ranges_uj: &[u64]) -> Duration {
    let hz = if sample_hz.is_finite() && sample_hz > 0.0 {
        sample_hz.min(MAX_SAMPLE_HZ)
    } else {
        tracing::warn!(
            "sample_hz = {sample_hz} is not a positive number; using {DEFAULT_SAMPLE_HZ}"
        );
        DEFAULT_SAMPLE_HZ
    };
    let mut period = Duration::from_secs_f64(1.0 / hz);
    for &range in max_ranges_uj {
        period = period.min(min_safe_interval(range, MAX_ZONE_POWER_W));
    }
    period.max(Duration::from_millis(1))
}

/// State shared by the meter handle and the sampler thread.
pub(crate) struct Shared {
    pub sensors: Mutex<Sensors>,
    pub log: Mutex<Option<PowerLog>>,
}

/// Poisoning only means another thread panicked mid-update; the counters are
/// still consistent enough to keep measuring.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(super) fn read(&self) -> Reading {
        lock(&self.sensors).sample()
    }

    /// One sampler tick: read under the sensors lock, write outside it.
    fn tick(&self) {
        let reading = self.read();
        if let Some(log) = lock(&self.log).as_mut() {
            log.append(&reading);
        }
    }
}

/// Run this (the sampler's) thread at nice 19: it then rarely preempts a training thread when it
/// wakes, which matters on few cores — at nice 0 each wake-up stalled one worker of every parallel
/// matrix product in flight (scripts/bench/sampler-overhead.sh: +1.2 % at 10 Hz, +11 % at 100 Hz on
/// 2 cores). Not `SCHED_IDLE`: a thread of that class can be starved for long while it holds the
/// sensors lock, and the training thread's phase-boundary read then waits behind it, stretching
/// the measured window past the end of the phase. A nice-19 thread still gets the CPU within a
/// scheduler slice. Timestamps are taken at each read, so late samples stay exact.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions; setpriority on our own thread id only changes us.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as libc::id_t;
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, 19) } != 0 {
            tracing::debug!(
                "energy sampler: nice 19 refused ({}); normal priority",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// Start the sampler: a std thread running a current-thread tokio runtime
/// whose interval drives the ticks. Dropping the returned sender stops it.
pub(crate) fn spawn(
    shared: Arc<Shared>,
    period: Duration,
) -> (oneshot::Sender<()>, Option<JoinHandle<()>>) {
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    let body = move || {
        lower_priority();
        let rt = match tokio::runtime::Builder::new_current_thread().enable_time().build() {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!(
                    "energy sampler not started ({e}); energy is only read at phase boundaries"
                );
                return;
            }
        };
        rt.block_on(async move {
            let mut interval = tokio::time::interval(period);
            // After a stall, carry on from now instead of bursting catch-up reads.
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut stop_rx => break,
                    _ = interval.tick() => shared.tick(),
                }
            }
        });
    };
    let handle = std::thread::Builder::new().name("energy-sampler".into()).spawn(body);
    match handle {
        Ok(h) => (stop_tx, Some(h)),
        Err(e) => {
            tracing::error!("energy sampler thread not started: {e}");
            (stop_tx, None)
        }
    }
}
