//! Wrap-around correction for hardware energy counters, and the sampling
//! interval that keeps that correction sound.
//!
//! RAPL exposes `energy_uj`, a counter that restarts from 0 after reaching
//! `max_energy_range_uj`. A single wrap between two readings is recoverable; two
//! wraps are indistinguishable from one, so the sampler must read each counter
//! more often than the fastest possible wrap (see [`min_safe_interval`]).

use std::time::Duration;

/// Generous upper bound on the power of one RAPL zone, used only to size the
/// sampling interval. Real packages peak well below this (500 W for the biggest
/// server parts), so the bound leaves a wide margin.
pub(super) const MAX_ZONE_POWER_W: f64 = 1000.0;

/// Outcome of feeding one raw value to a [`CounterDiff`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CounterUpdate {
    /// First value seen: nothing to difference against yet.
    First,
    /// The counter moved forward normally by this much.
    Difference(u64),
    /// The counter went backwards; this is the wrap-corrected difference
    /// (exactly one wrap is assumed).
    Wrapped(u64),
}

impl CounterUpdate {
    /// The energy added by this update (0 for the first reading).
    pub(super) fn delta(self) -> u64 {
        match self {
            CounterUpdate::First => 0,
            CounterUpdate::Difference(d) | CounterUpdate::Wrapped(d) => d,
        }
    }
}

/// Differences of a counter whose value lies in `0..=max_value` and wraps to 0.
///
/// Wrap formula: `delta = (max_value - old) + new + 1`, i.e. the counter is
/// treated as counting modulo `max_value + 1`, which is the generic powercap
/// meaning of `max_energy_range_uj` ("range of the energy counter").
///
/// Kernel detail behind the `+ 1`: intel_rapl computes `max_energy_range_uj` as
/// `ENERGY_STATUS_MASK * energy_unit` (mask = 2^32 - 1) and `energy_uj` as
/// `raw * energy_unit`, so the exact modulus is `max + energy_unit` where the
/// unit (typically 15.3 or 61 µJ) is not exposed in sysfs. Our choice is low
/// by at most one unit (< 62 µJ) per wrap, i.e. < 1e-9 of the energy counted
/// between wraps; alternatives (`+ 0`, as some tools do) are equally inexact.
///
/// A `max_value` of 0 means "range unknown": a decrease is then treated as a
/// counter reset and only the new value is counted.
#[derive(Clone, Debug)]
pub(super) struct CounterDiff {
    max_value: u64,
    previous: Option<u64>,
}

impl CounterDiff {
    pub(super) fn with_max_value(max_value: u64) -> CounterDiff {
        CounterDiff { max_value, previous: None }
    }

    pub(super) fn max_value(&self) -> u64 {
        self.max_value
    }

    /// Feed the current raw value; returns the (wrap-corrected) increase since
    /// the previous value.
    pub(super) fn update(&mut self, new: u64) -> CounterUpdate {
        let result = match self.previous {
            None => CounterUpdate::First,
            Some(old) if new >= old => CounterUpdate::Difference(new - old),
            Some(_) if self.max_value == 0 => CounterUpdate::Wrapped(new),
            // saturating: a value above the advertised max would be a driver bug;
            // count from the max rather than underflow.
            Some(old) => CounterUpdate::Wrapped(self.max_value.saturating_sub(old) + new + 1),
        };
        self.previous = Some(new);
        result
    }
}

/// Longest interval between two readings of a counter with range
/// `max_energy_range_uj` that still rules out a hidden second wrap, assuming
/// the zone never draws more than `max_power_w`.
///
/// One wrap takes at least `range_j / max_power_w` seconds; we take half of
/// that so that scheduling jitter of the sampler cannot eat the margin.
/// With a typical 262 143 J range and 1000 W this is 131 s, with the smaller
/// 65 535 J range 32.7 s: far longer than the 0.1 s default sample period, but
/// the rule still binds for exotic small ranges.
pub(super) fn min_safe_interval(max_energy_range_uj: u64, max_power_w: f64) -> Duration {
    if max_energy_range_uj == 0 || max_power_w.is_nan() || max_power_w <= 0.0 {
        // Unknown range: fall back to frequent reads.
        return Duration::from_millis(100);
    }
    let wrap_s = max_energy_range_uj as f64 / 1e6 / max_power_w;
    Duration::from_secs_f64((wrap_s / 2.0).max(0.001))
}

#[cfg(test)]
#[path = "tests/counter.rs"]
mod tests;
