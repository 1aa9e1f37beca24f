//! Reading RAPL counters: the sysfs edge (`energy_uj`, `max_energy_range_uj`),
//! the errors it can produce, the per-zone wrap-corrected accumulator, and the
//! one-time advice when counters are root-only.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::counter::CounterDiff;
use super::rapl::{ZoneInfo, ZoneKind, ZoneStatus};

/// How sysfs files are read. Injectable because tests run as root, where
/// `chmod 000` does not make a file unreadable; production uses
/// [`default_reader`].
pub type Reader = Arc<dyn Fn(&Path) -> io::Result<String> + Send + Sync>;

pub fn default_reader() -> Reader {
    Arc::new(|p: &Path| std::fs::read_to_string(p))
}

#[derive(Debug, thiserror::Error)]
pub enum RaplError {
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
pub fn read_u64(reader: &Reader, path: &Path) -> Result<u64, RaplError> {
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
pub struct RaplZone {
    pub label: String,
    pub kind: ZoneKind,
    path: PathBuf,
    counter: CounterDiff,
    pub cumulative_uj: u64,
    failing: bool,
}

impl RaplZone {
    pub fn new(info: &ZoneInfo) -> RaplZone {
        RaplZone {
            label: info.label.clone(),
            kind: info.kind,
            path: info.energy_path(),
            counter: CounterDiff::with_max_value(info.max_energy_range_uj),
            cumulative_uj: 0,
            failing: false,
        }
    }

    pub fn max_energy_range_uj(&self) -> u64 {
        self.counter.max_value()
    }

    /// Read the counter now and add the wrap-corrected increase. On a failed
    /// read the accumulator stays put and the previous raw value is kept, so
    /// the next successful read covers the gap (one wrap at most, as always).
    pub fn sample(&mut self, reader: &Reader) {
        match read_u64(reader, &self.path) {
            Ok(v) => {
                if self.failing {
                    tracing::info!("RAPL {}: readable again", self.label);
                    self.failing = false;
                }
                self.cumulative_uj += self.counter.update(v).delta();
            }
            Err(e) if !self.failing => {
                tracing::warn!(
                    "RAPL {}: {e}; its energy is not updated until it reads again",
                    self.label
                );
                self.failing = true;
            }
            Err(_) => {}
        }
    }
}

static PERMISSION_ADVICE_GIVEN: AtomicBool = AtomicBool::new(false);

/// How to make `energy_uj` readable, for the warning and `wattsweep sensors`.
pub fn permission_advice(root: &Path) -> String {
    let root = root.display();
    format!(
        "to grant read access until the next reboot: `sudo chmod o+r {root}/intel-rapl:*/energy_uj` \
         (add `{root}/intel-rapl-mmio:*/energy_uj` if present); to make it permanent, a udev rule such as \
         /etc/udev/rules.d/99-rapl-read.rules containing \
         `ACTION==\"add\", SUBSYSTEM==\"powercap\", KERNEL==\"intel-rapl*:*\", RUN+=\"/bin/chmod o+r /sys%p/energy_uj\"`; \
         or run as root. Note that this re-opens to local users the power side channel that CVE-2020-8694 (\"Platypus\") closed"
    )
}

/// Log, once per process, the problems found at discovery: one warning for all
/// permission-denied counters, one error per garbled or failing counter.
pub fn log_discovery_problems(root: &Path, zones: &[ZoneInfo], cpu_falls_back: bool) {
    let denied: Vec<&ZoneInfo> =
        zones.iter().filter(|z| matches!(z.status, ZoneStatus::Unreadable(_))).collect();
    if !denied.is_empty() && !PERMISSION_ADVICE_GIVEN.swap(true, Ordering::SeqCst) {
        let what = if cpu_falls_back {
            "CPU energy falls back to a TDP-based estimate"
        } else {
            "those domains are not measured"
        };
        tracing::warn!(
            "RAPL energy counters are root-only on this kernel ({} of {} zones unreadable, e.g. {}); {what}. Fix: {}",
            denied.len(),
            zones.len(),
            denied[0].energy_path().display(),
            permission_advice(root)
        );
    }
    for z in zones {
        match &z.status {
            ZoneStatus::Garbled(msg) => {
                tracing::error!("RAPL zone {} ({}) is unusable: {msg}", z.id, z.name)
            }
            ZoneStatus::Failed(msg) => {
                tracing::warn!("RAPL zone {} ({}) is unusable: {msg}", z.id, z.name)
            }
            ZoneStatus::Mirror { of } => {
                tracing::debug!("RAPL zone {} ({}) mirrors {of}; not counted", z.id, z.name)
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_denied_is_unreadable_and_garbage_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("energy_uj");
        std::fs::write(&file, "12x4\n").unwrap();
        let err = read_u64(&default_reader(), &file).unwrap_err();
        assert!(matches!(err, RaplError::Garbled { .. }));
        assert!(err.to_string().contains(&file.display().to_string()), "{err}");

        // Root ignores mode bits, so only a non-root run can test the real kernel path.
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&file, "42\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
        let real = read_u64(&default_reader(), &file);
        if unsafe { libc::geteuid() } == 0 {
            assert_eq!(real.unwrap(), 42);
        } else {
            assert!(matches!(real, Err(RaplError::Unreadable { .. })), "{real:?}");
        }
        // The injected reader reproduces EACCES for root too.
        let denied: Reader =
            Arc::new(|_: &Path| Err(io::Error::from(io::ErrorKind::PermissionDenied)));
        assert!(matches!(read_u64(&denied, &file), Err(RaplError::Unreadable { .. })));
        let eio: Reader = Arc::new(|_: &Path| Err(io::Error::from_raw_os_error(libc::EIO)));
        assert!(matches!(read_u64(&eio, &file), Err(RaplError::Io { .. })));
    }

    #[test]
    fn advice_names_the_root_and_the_cve() {
        let a = permission_advice(Path::new("/x/powercap"));
        assert!(a.contains("sudo chmod o+r /x/powercap/intel-rapl:*/energy_uj"));
        assert!(a.contains("CVE-2020-8694"));
    }
}
