//! Test kit shared by the energy tests: fake powercap trees shaped like real
//! sysfs (zone directories nested under `devices/virtual/powercap/<control
//! type>/...`, top-level entries in `class/powercap` that are relative
//! symlinks to them), fake probes, a permission-denying reader, fake GPUs.
//! The tests themselves are in `discovery.rs` and `meter.rs`.

mod discovery;
mod meter;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::nvml::{GpuDevice, GpuError, LoadedGpus};
use super::rapl::{Reader, ZoneInfo, ZoneKind, ZoneStatus};
use super::sampler::Probes;
use super::*;

pub(super) const MAX: u64 = 262_143_328_850;

pub(super) struct FakeTree {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    devices: PathBuf,
}

impl FakeTree {
    pub(super) fn new() -> FakeTree {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("class/powercap");
        let devices = dir.path().join("devices/virtual/powercap");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&devices).unwrap();
        FakeTree { _dir: dir, root, devices }
    }

    /// `intel-rapl:0:1` -> `intel-rapl/intel-rapl:0/intel-rapl:0:1`.
    fn rel(id: &str) -> PathBuf {
        let (control, rest) = id.split_once(':').unwrap();
        let mut path = PathBuf::from(control);
        let mut cur = control.to_string();
        for n in rest.split(':') {
            cur = format!("{cur}:{n}");
            path.push(&cur);
        }
        path
    }

    pub(super) fn fill(dir: &Path, name: &str, energy_uj: u64, max_uj: u64) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("name"), format!("{name}\n")).unwrap();
        std::fs::write(dir.join("energy_uj"), format!("{energy_uj}\n")).unwrap();
        std::fs::write(dir.join("max_energy_range_uj"), format!("{max_uj}\n")).unwrap();
    }

    /// A zone as Linux lays it out: nested dir + top-level relative symlink
    /// (+ control-type symlink, + a `subsystem` back-link that must not loop).
    pub(super) fn zone(&self, id: &str, name: &str, energy_uj: u64, max_uj: u64) -> &FakeTree {
        let rel = Self::rel(id);
        let dir = self.devices.join(&rel);
        Self::fill(&dir, name, energy_uj, max_uj);
        std::os::unix::fs::symlink(&self.root, dir.join("subsystem")).unwrap();
        let target = Path::new("../../devices/virtual/powercap").join(&rel);
        std::os::unix::fs::symlink(target, self.root.join(id)).unwrap();
        let control = rel.iter().next().unwrap().to_owned();
        let link = self.root.join(&control);
        if !link.exists() {
            std::os::unix::fs::symlink(
                Path::new("../../devices/virtual/powercap").join(&control),
                link,
            )
            .unwrap();
        }
        self
    }

    /// A top-level real directory (no symlink, no nesting).
    pub(super) fn flat(&self, id: &str, name: &str, energy_uj: u64, max_uj: u64) -> &FakeTree {
        Self::fill(&self.root.join(id), name, energy_uj, max_uj);
        self
    }

    /// Atomic replace, so a concurrent sampler never sees a half-written file.
    pub(super) fn set_raw(&self, id: &str, text: &str) {
        let file = self.root.join(id).join("energy_uj");
        let tmp = self.root.join(format!(".{id}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, std::fs::canonicalize(&file).unwrap()).unwrap();
    }

    pub(super) fn set(&self, id: &str, energy_uj: u64) {
        self.set_raw(id, &format!("{energy_uj}\n"));
    }

    pub(super) fn opts(&self) -> EnergyOptions {
        EnergyOptions {
            powercap_root: self.root.clone(),
            use_nvml: false,
            sample_hz: 100.0,
            cpu_tdp_w: Some(80.0),
            vcpu_min_w: None,
            vcpu_max_w: None,
            gpus: Default::default(),
            state_dir: self.root.parent().unwrap().join("state"),
            thermal_root: self.root.parent().unwrap().join("class"),
        }
    }
}

/// Probes with a fake CPU clock (µs), 4 logical CPUs and the given reader.
pub(super) fn probes(reader: Reader) -> (Probes, Arc<AtomicU64>) {
    let cpu_us = Arc::new(AtomicU64::new(1_000_000));
    let c = Arc::clone(&cpu_us);
    let p = Probes {
        reader,
        cpu_clock: Box::new(move || Ok(c.load(Ordering::SeqCst))),
        wall: Box::new(|| 0),
        cpu: crate::energy::cpuinfo::CpuInfo {
            model_name: "Test CPU".into(),
            logical_cpus: 4,
            packages: 1,
            ..Default::default()
        },
    };
    (p, cpu_us)
}

/// Reader that refuses `energy_uj` files whose path contains `needle`, as the
/// kernel does for non-root users (tests run as root, where chmod is moot).
pub(super) fn denying(needle: &'static str) -> Reader {
    Arc::new(move |p: &Path| {
        if p.ends_with("energy_uj") && p.to_string_lossy().contains(needle) {
            Err(io::Error::from(io::ErrorKind::PermissionDenied))
        } else {
            std::fs::read_to_string(p)
        }
    })
}

pub(super) struct FakeGpu {
    pub energy_mj: Option<Arc<AtomicU64>>,
    pub power_mw: Arc<AtomicU32>,
}

impl GpuDevice for FakeGpu {
    fn name(&self) -> String {
        "Fake GPU".into()
    }
    fn total_energy_mj(&mut self) -> Result<Option<u64>, GpuError> {
        Ok(self.energy_mj.as_ref().map(|e| e.load(Ordering::SeqCst)))
    }
    fn power_mw(&mut self) -> Result<u32, GpuError> {
        Ok(self.power_mw.load(Ordering::SeqCst))
    }
}

pub(super) fn summary(zones: &[ZoneInfo]) -> Vec<(String, String, ZoneKind, bool)> {
    zones
        .iter()
        .map(|z| (z.id.clone(), z.label.clone(), z.kind, z.status == ZoneStatus::Active))
        .collect()
}

pub(super) fn single_socket() -> FakeTree {
    let t = FakeTree::new();
    t.zone("intel-rapl:0", "package-0", 1_000_000, MAX)
        .zone("intel-rapl:0:0", "core", 2_000_000, MAX)
        .zone("intel-rapl:0:1", "uncore", 3_000_000, MAX)
        .zone("intel-rapl:0:2", "dram", 4_000_000, MAX)
        .zone("intel-rapl:1", "psys", 5_000_000, MAX);
    t
}
