//! CPU energy estimate used when no RAPL package counter is readable.
//!
//! Formula, as a cumulative counter so windows are plain differences:
//!
//! ```text
//! cpu_energy_J = TDP_W × process_cpu_seconds / logical_cpus
//! ```
//!
//! i.e. the process is charged the share of the package's TDP that its CPU
//! time occupies. `process_cpu_seconds` is user + system time of all threads
//! of this process (`getrusage(RUSAGE_SELF)`, microsecond resolution; sysinfo's
//! `accumulated_cpu_time` only has 10 ms tick resolution).
//!
//! Known error: it ignores idle/static package power, uncore and DRAM, assumes
//! power grows linearly with utilisation and that the chip runs at TDP when
//! fully busy (turbo can exceed it; light vector loads stay below), counts
//! SMT siblings as full CPUs, and the TDP is per package while `logical_cpus`
//! spans all sockets (so multi-socket machines are under-estimated unless
//! `cpu_tdp_w` is given as the sum). Expect it to be off by tens of percent;
//! it is labelled `estimate` everywhere for that reason.

use std::io;

/// Used when neither `cpu_tdp_w` nor the table gives a value: the most common
/// desktop TDP class.
pub const DEFAULT_TDP_W: f64 = 65.0;

/// Model-name substrings (matched case-insensitively, first hit wins, so
/// more specific entries come first) and their TDP / base power in watts.
const TDP_TABLE: &[(&str, f64)] = &[
    ("i9-14900k", 125.0),
    ("i9-13900k", 125.0),
    ("i7-13700k", 125.0),
    ("i7-12700k", 125.0),
    ("i5-13600k", 125.0),
    ("i5-12400", 65.0),
    ("i7-1165g7", 28.0),
    ("i5-1135g7", 28.0),
    ("i7-1260p", 28.0),
    ("xeon(r) platinum 8480", 350.0),
    ("xeon(r) platinum 8380", 270.0),
    ("xeon(r) gold 6248", 150.0),
    ("ryzen 9 7950x", 170.0),
    ("ryzen 9 5950x", 105.0),
    ("ryzen 7 5800x", 105.0),
    ("ryzen 5 5600x", 65.0),
    ("ryzen 7 7840u", 28.0),
    ("epyc 9654", 360.0),
    ("epyc 7763", 280.0),
];

/// Where the TDP came from, for `wattsweep sensors`.
#[derive(Clone, Debug, PartialEq)]
pub enum TdpSource {
    Option,
    Table(&'static str),
    Default,
}

pub fn resolve_tdp(option_w: Option<f64>, cpu_model: &str) -> (f64, TdpSource) {
    if let Some(w) = option_w.filter(|w| w.is_finite() && *w > 0.0) {
        return (w, TdpSource::Option);
    }
    let model = cpu_model.to_lowercase();
    match TDP_TABLE.iter().find(|(key, _)| model.contains(key)) {
        Some((key, w)) => (*w, TdpSource::Table(key)),
        None => (DEFAULT_TDP_W, TdpSource::Default),
    }
}

/// Cumulative CPU time of this process in µs.
pub type CpuClock = Box<dyn FnMut() -> io::Result<u64> + Send>;

pub fn process_cpu_clock() -> CpuClock {
    Box::new(|| {
        // SAFETY: getrusage only writes into the zeroed struct we pass.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
        Ok(us(ru.ru_utime) + us(ru.ru_stime))
    })
}

/// CPU model name and logical CPU count of this machine (via sysinfo).
pub fn cpu_identity() -> (String, usize) {
    use sysinfo::{CpuRefreshKind, RefreshKind, System};
    let sys =
        System::new_with_specifics(RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing()));
    let model = sys.cpus().first().map(|c| c.brand().trim().to_string()).unwrap_or_default();
    let n = sys.cpus().len().max(1);
    (model, n)
}

/// The estimate as a cumulative energy counter (domain `cpu-estimate`).
pub struct CpuEstimate {
    pub tdp_w: f64,
    pub tdp_source: TdpSource,
    pub logical_cpus: usize,
    clock: CpuClock,
    /// CPU time at the start; `None` until the clock first answers.
    base_cpu_us: Option<u64>,
    pub cumulative_uj: u64,
    failing: bool,
}

impl CpuEstimate {
    pub fn new(
        tdp_w: f64,
        tdp_source: TdpSource,
        logical_cpus: usize,
        mut clock: CpuClock,
    ) -> CpuEstimate {
        let base_cpu_us = clock().ok();
        CpuEstimate {
            tdp_w,
            tdp_source,
            logical_cpus: logical_cpus.max(1),
            clock,
            base_cpu_us,
            cumulative_uj: 0,
            failing: false,
        }
    }

    /// Recompute from the CPU clock; recomputing from the base (rather than
    /// adding slices) keeps the value exact and monotonic.
    pub fn sample(&mut self) {
        match (self.clock)() {
            Ok(cpu_us) => {
                let base = *self.base_cpu_us.get_or_insert(cpu_us);
                let used_us = cpu_us.saturating_sub(base) as f64;
                // W × µs = µJ
                let uj = (self.tdp_w * used_us / self.logical_cpus as f64).round() as u64;
                self.cumulative_uj = self.cumulative_uj.max(uj);
                self.failing = false;
            }
            Err(e) if !self.failing => {
                tracing::warn!("CPU time unavailable for the energy estimate: {e}");
                self.failing = true;
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
#[path = "tests/estimate.rs"]
mod tests;
