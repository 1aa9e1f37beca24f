//! RAPL zone discovery in the Linux powercap tree (Intel, and AMD through the
//! same `intel-rapl` control type), classification of each zone, and
//! deduplication of the two views sysfs gives of each zone.
//!
//! Real sysfs shows every zone twice: as a top-level symlink
//! (`/sys/class/powercap/intel-rapl:0:1 -> ../../devices/virtual/powercap/intel-rapl/intel-rapl:0/intel-rapl:0:1`)
//! and nested under its parent zone. We walk both and key zones by their id
//! (`intel-rapl:0:1`, unique per control type) and by canonical path.
//!
//! Zones that mirror an already counted counter (MMIO copies, AMD per-die
//! copies) are marked by `dedupe`. Reading is `read`'s job; this file only
//! decides what to read.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::dedupe;
use super::read::{Reader, permission_advice, read_u64, status_of};
use super::zone::{ZoneInfo, ZoneKind, ZoneStatus, classify, parse_id};

fn parent_id(id: &str) -> Option<String> {
    id.rsplit_once(':').filter(|(head, _)| head.contains(':')).map(|(head, _)| head.to_string())
}

/// Collect zone directories below `dir`: entries named `intel-rapl*` that are
/// directories (symlinks followed). Names without `:` are control types and
/// are only descended into. Other entries (`subsystem`, `device`, `power`)
/// are never followed, which also keeps sysfs back-links from looping.
fn walk(
    dir: &Path,
    depth: usize,
    ids: &mut HashSet<String>,
    canon: &mut HashSet<PathBuf>,
    out: &mut Vec<(String, PathBuf)>,
) {
    if depth > 8 {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            tracing::debug!("powercap: cannot list {}: {e}", dir.display());
            return;
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        if !name.starts_with("intel-rapl") || !path.is_dir() {
            continue;
        }
        if name.contains(':') {
            let real = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            // Same id or same real directory: already recorded (symlink vs nested).
            if parse_id(&name).is_none() || ids.contains(&name) || canon.contains(&real) {
                continue;
            }
            ids.insert(name.clone());
            canon.insert(real.clone());
            out.push((name, real.clone()));
            walk(&real, depth + 1, ids, canon, out);
        } else {
            walk(&path, depth + 1, ids, canon, out);
        }
    }
}

/// Discover every RAPL zone under `root` (normally `/sys/class/powercap`) and
/// decide which ones to sample. Returns all zones, active or not, sorted by id.
pub(crate) fn discover(root: &Path, reader: &Reader) -> Vec<ZoneInfo> {
    let (mut ids, mut canon, mut found) = (HashSet::new(), HashSet::new(), Vec::new());
    walk(root, 0, &mut ids, &mut canon, &mut found);
    found.sort_by_key(|(id, _)| parse_id(id));

    let mut zones: Vec<ZoneInfo> =
        found.into_iter().map(|(id, dir)| probe(&id, dir, reader)).collect();
    let names: HashMap<String, String> =
        zones.iter().map(|z| (z.id.clone(), z.name.clone())).collect();
    for z in &mut zones {
        z.name_path = name_path(&z.id, &names);
    }
    assign_labels(&mut zones, &names);
    dedupe::mark_control_type_mirrors(&mut zones);
    dedupe::mark_die_mirrors(&mut zones, reader);
    zones
}

fn probe(id: &str, dir: PathBuf, reader: &Reader) -> ZoneInfo {
    let control_type = parse_id(id).map(|(c, _)| c).unwrap_or_default();
    let name = reader(&dir.join("name")).map(|s| s.trim().to_string()).unwrap_or_default();
    let mut zone = ZoneInfo {
        id: id.to_string(),
        control_type,
        kind: classify(&name),
        name,
        name_path: String::new(),
        label: String::new(),
        dir,
        max_energy_range_uj: 0,
        status: ZoneStatus::Active,
    };
    if zone.name.is_empty() {
        zone.status =
            ZoneStatus::Failed(format!("{}: missing or empty", zone.dir.join("name").display()));
        return zone;
    }
    let max = read_u64(reader, &zone.dir.join("max_energy_range_uj"));
    let energy = read_u64(reader, &zone.energy_path());
    match (max, energy) {
        (Ok(0), Ok(_)) => {
            zone.status = ZoneStatus::Failed(format!(
                "{}: is 0, cannot correct wraps",
                zone.dir.join("max_energy_range_uj").display()
            ))
        }
        (Ok(max), Ok(_)) => zone.max_energy_range_uj = max,
        (_, Err(e)) | (Err(e), _) => zone.status = status_of(&e),
    }
    zone
}

fn name_path(id: &str, names: &HashMap<String, String>) -> String {
    let mut chain = vec![names.get(id).cloned().unwrap_or_default()];
    let mut cur = id.to_string();
    while let Some(p) = parent_id(&cur) {
        chain.push(names.get(&p).cloned().unwrap_or_default());
        cur = p;
    }
    chain.reverse();
    chain.join("/")
}

/// Labels: packages keep their name (`package-1`, `package-0-die-1`); zones
/// below a package get its suffix (`dram-1`, `core-0-die-1`); `psys` stays
/// `psys`. A label repeated within one control type (two `psys`) gets the id's
/// last number appended; across control types labels may repeat, since one of
/// the two is then a mirror and never sampled.
fn assign_labels(zones: &mut [ZoneInfo], names: &HashMap<String, String>) {
    for z in zones.iter_mut() {
        let top = parse_id(&z.id)
            .and_then(|(c, nums)| names.get(&format!("{c}:{}", nums[0])).cloned())
            .unwrap_or_default();
        z.label = match (z.kind, top.strip_prefix("package-")) {
            (ZoneKind::Package, _) | (ZoneKind::Psys, _) => z.name.clone(),
            (_, Some(suffix)) if parent_id(&z.id).is_some() => format!("{}-{suffix}", z.name),
            _ => z.name.clone(),
        };
    }
    // Two distinct zones with the same name path in the same control type
    // (e.g. two psys) get the id's last number appended.
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for z in zones.iter_mut() {
        let n = seen.entry((z.control_type.clone(), z.label.clone())).or_insert(0);
        if *n > 0 {
            z.label = format!("{}-{}", z.label, z.id.rsplit(':').next().unwrap_or("x"));
        }
        *n += 1;
    }
}

static PERMISSION_ADVICE_GIVEN: AtomicBool = AtomicBool::new(false);

/// Log, once per process, the problems found at discovery: one warning for all
/// permission-denied counters, one error per garbled or failing counter.
pub(crate) fn log_discovery_problems(root: &Path, zones: &[ZoneInfo], cpu_falls_back: bool) {
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
