//! Reading RAPL counters: the sysfs edge (`energy_uj`, `max_energy_range_uj`), the errors it
//! can produce, the per-zone wrap-corrected accumulator, and the advice when counters are
//! root-only.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::zone::{ZoneInfo, ZoneKind, ZoneStatus};
use crate::energy::counter::{CounterDiff, CounterUpdate};

/// How sysfs files are read. Injectable because tests run as root, where
/// `chmod 000` does not make a file unreadable; production uses
/// [`default_reader`].
pub(crate) type Reader = Arc<dyn Fn(&Path) -> io::Result<String> + Send + Sync>;

pub(crate) fn default_reader() -> Reader {
    Arc::new(|p: &Path| std::fs::read_to_string(p))
}

#[derive(Debug, thiserror::Error)]
pub(super) enum RaplError {
    #[error(
        "{path}: permission denied (RAPL energy counters are root-only since the CVE-2020-8694 fix)"
    )]
    Unreadable { path: PathBuf },
    #[error("{path}: expected a decimal counter, found {content:?}")]
    Garbled { path: PathBuf, content: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Read one decimal counter file. Never turns a failure into 0.
pub(super) fn read_u64(reader: &Reader, path: &Path) -> Result<u64, RaplError> {
    let text = reader(path).map_err(|e| match e.kind() {
        io::ErrorKind::PermissionDenied => RaplError::Unreadable { path: path.to_path_buf() },
        _ => RaplError::Io { path: path.to_path_buf(), source: e },
    })?;
    text.trim().parse().map_err(|_| RaplError::Garbled {
        path: path.to_path_buf(),
        content: text.chars().take(40).collect(),
    })
}

/// An active zone being sampled: wrap correction plus the cumulative energy
/// since the meter started, in integer microjoules so windows are exact.
pub(crate) struct RaplZone {
    pub label: String,
    pub kind: ZoneKind,
    path: PathBuf,
    counter: CounterDiff,
    pub cumulative_uj: u64,
    pub(crate) failing: bool,
    /// Wraps corrected so far.
    pub wraps: u64,
    /// Failed reads so far (the zone's energy stood still during each).
    pub failures: u64,
}

impl RaplZone {
    pub(crate) fn new(info: &ZoneInfo) -> RaplZone {
        RaplZone {
            label: info.label.clone(),
            kind: info.kind,
            path: info.energy_path(),
            counter: CounterDiff::with_max_value(info.max_energy_range_uj),
            cumulative_uj: 0,
            failing: false,
            wraps: 0,
            failures: 0,
        }
    }

    pub(crate) fn max_energy_range_uj(&self) -> u64 {
        self.counter.max_value()
    }

    /// Read the counter now and add the wrap-corrected increase. On a failed
    /// read the accumulator stays put and the previous raw value is kept, so
    /// the next successful read covers the gap (one wrap at most, as always).
    pub(crate) fn sample(&mut self, reader: &Reader) {
        match read_u64(reader, &self.path) {
            Ok(v) => {
                if self.failing {
                    tracing::info!("RAPL {}: readable again", self.label);
                    self.failing = false;
                }
                let update = self.counter.update(v);
                if matches!(update, CounterUpdate::Wrapped(_)) {
                    self.wraps += 1;
                }
                self.cumulative_uj += update.delta();
            }
            Err(_) if self.failing => self.failures += 1,
            Err(e) => {
                self.failures += 1;
                tracing::warn!(
                    "RAPL {}: {e}; its energy is not updated until it reads again",
                    self.label
                );
                self.failing = true;
            }
        }
    }
}

pub(crate) fn status_of(e: &RaplError) -> ZoneStatus {
    match e {
        RaplError::Unreadable { .. } => ZoneStatus::Unreadable(e.to_string()),
        RaplError::Garbled { .. } => ZoneStatus::Garbled(e.to_string()),
        RaplError::Io { .. } => ZoneStatus::Failed(e.to_string()),
    }
}

/// How to make `energy_uj` readable, for the warning and `wattsweep sensors`.
pub(crate) fn permission_advice(root: &Path) -> String {
    let root = root.display();
    format!(
        "to grant read access until the next reboot: `sudo chmod o+r {root}/intel-rapl:*/energy_uj` \
         (add `{root}/intel-rapl-mmio:*/energy_uj` if present); to make it permanent, a udev rule such as \
         /etc/udev/rules.d/99-rapl-read.rules containing \
         `ACTION==\"add\", SUBSYSTEM==\"powercap\", KERNEL==\"intel-rapl*:*\", RUN+=\"/bin/chmod o+r /sys%p/energy_uj\"`; \
         or run as root. Note that this re-opens to local users the power side channel that CVE-2020-8694 (\"Platypus\") closed"
    )
}

#[cfg(test)]
#[path = "tests/read.rs"]
mod tests;
