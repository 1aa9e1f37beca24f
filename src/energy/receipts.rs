//! Measurement receipts: how well a trial was sampled, read off the readings its power log saw.
//!
//! * the sampler's interval (median) and its longest gap: a sampler starved by the training
//!   threads leaves RAPL counters unguarded against a double wrap and smears the power series;
//! * counter stalls: a summed counter (CPU package, DRAM, a GPU) that had been advancing and then
//!   stood still for [`STALL_S`] or more while the trial ran. Real counters advance every
//!   millisecond under load; one that stops is a firmware or driver fault, and its energy is lost
//!   without a failed read to show for it.

use std::collections::HashMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::reading::{DomainKind, Reading};

/// How long a summed counter may stand still before it counts as stalled.
pub(crate) const STALL_S: f64 = 1.0;

/// What a trial's sampling looked like.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Receipts {
    /// Median milliseconds between consecutive readings; `None` with fewer than two.
    pub interval_ms_median: Option<f64>,
    /// Longest milliseconds between consecutive readings.
    pub gap_ms_max: Option<f64>,
    /// Times a summed counter stood still for [`STALL_S`] or more after advancing.
    pub counter_stalls: u64,
}

/// Follows the readings of one power log.
#[derive(Default)]
pub(super) struct ReceiptTaker {
    last_at: Option<Instant>,
    intervals_ms: Vec<f64>,
    /// Per summed domain: the last energy, since when it has stood still, whether it ever
    /// advanced, and whether the current standstill was already counted.
    counters: HashMap<String, Counter>,
    stalls: u64,
}

struct Counter {
    energy_uj: u64,
    still_since: Instant,
    advanced: bool,
    counted: bool,
}

impl ReceiptTaker {
    pub(super) fn is_empty(&self) -> bool {
        self.last_at.is_none()
    }

    pub(super) fn see(&mut self, r: &Reading) {
        if let Some(last) = self.last_at {
            if r.at <= last {
                return;
            }
            self.intervals_ms.push(r.at.duration_since(last).as_secs_f64() * 1e3);
        }
        self.last_at = Some(r.at);
        let summed = [DomainKind::CpuPackage, DomainKind::Dram, DomainKind::Gpu];
        for d in r.domains.iter().filter(|d| summed.contains(&d.kind)) {
            match self.counters.get_mut(&d.domain) {
                None => {
                    self.counters.insert(
                        d.domain.clone(),
                        Counter {
                            energy_uj: d.energy_uj,
                            still_since: r.at,
                            advanced: false,
                            counted: false,
                        },
                    );
                }
                Some(c) if d.energy_uj != c.energy_uj => {
                    *c = Counter {
                        energy_uj: d.energy_uj,
                        still_since: r.at,
                        advanced: true,
                        counted: false,
                    };
                }
                Some(c) => {
                    let still = r.at.duration_since(c.still_since).as_secs_f64();
                    if c.advanced && !c.counted && still >= STALL_S {
                        c.counted = true;
                        self.stalls += 1;
                    }
                }
            }
        }
    }

    pub(super) fn receipts(&self) -> Receipts {
        let mut v = self.intervals_ms.clone();
        v.sort_by(f64::total_cmp);
        Receipts {
            interval_ms_median: (!v.is_empty()).then(|| {
                let m = v.len() / 2;
                if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 }
            }),
            gap_ms_max: v.last().copied(),
            counter_stalls: self.stalls,
        }
    }
}

#[cfg(test)]
#[path = "tests/receipts.rs"]
mod tests;
