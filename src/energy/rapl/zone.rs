//! What a RAPL zone is: its kind (how its energy adds up), whether it is sampled, and what
//! discovery learned about it. Plain data shared by discovery, reading and deduplication.

use std::path::PathBuf;

/// What a zone's energy means for the totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ZoneKind {
    /// `package-N` (or `package-N-die-M`): summed into CPU energy.
    Package,
    /// `dram`: summed into DRAM energy.
    Dram,
    /// `core`, `uncore`: parts of their package, shown but never added.
    Subpart,
    /// `psys`: the whole platform, overlapping everything else; recorded alone.
    Psys,
    /// Any other name: shown, never added.
    Other,
}

/// Whether a zone is sampled, and if not, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ZoneStatus {
    Active,
    /// Permission denied on `energy_uj` (root-only since CVE-2020-8694).
    Unreadable(String),
    /// `energy_uj` or `max_energy_range_uj` is not a number.
    Garbled(String),
    /// Any other read failure (EIO, ENODATA, missing file, ...).
    Failed(String),
    /// Same counter as the zone with this id, which is counted instead.
    Mirror {
        of: String,
    },
}

/// One zone as discovered, readable or not (also what `sensors` prints).
#[derive(Clone, Debug)]
pub(crate) struct ZoneInfo {
    /// Directory name, e.g. `intel-rapl:0:1`.
    pub id: String,
    /// e.g. `intel-rapl`, `intel-rapl-mmio`.
    pub control_type: String,
    /// Content of `name`, e.g. `dram`.
    pub name: String,
    /// Names from the top zone down, e.g. `package-0/dram`.
    pub name_path: String,
    /// Domain label used in readings and power logs, e.g. `dram-0`.
    pub label: String,
    pub kind: ZoneKind,
    pub dir: PathBuf,
    pub max_energy_range_uj: u64,
    pub status: ZoneStatus,
}

impl ZoneInfo {
    /// Read and summed into `energy_j`: an active package or DRAM zone.
    pub(crate) fn is_summed(&self) -> bool {
        self.status == ZoneStatus::Active && matches!(self.kind, ZoneKind::Package | ZoneKind::Dram)
    }

    pub(crate) fn energy_path(&self) -> PathBuf {
        self.dir.join("energy_uj")
    }
}

pub(super) fn classify(name: &str) -> ZoneKind {
    match name {
        "dram" => ZoneKind::Dram,
        "core" | "uncore" => ZoneKind::Subpart,
        "psys" => ZoneKind::Psys,
        _ if name.starts_with("package-") => ZoneKind::Package,
        _ => ZoneKind::Other,
    }
}

/// `intel-rapl-mmio:0:1` -> (`intel-rapl-mmio`, [0, 1]).
pub(super) fn parse_id(id: &str) -> Option<(String, Vec<u32>)> {
    let mut parts = id.split(':');
    let control = parts.next()?.to_string();
    let nums = parts.map(|p| p.parse().ok()).collect::<Option<Vec<u32>>>()?;
    (!nums.is_empty()).then_some((control, nums))
}
