//! Zones that mirror a counter already counted, so that no energy is counted
//! twice. Two cases are known:
//! * `intel-rapl-mmio:*` (and any other `intel-rapl-*` control type) re-exposes
//!   the package counter of `intel-rapl:*` through MMIO on many Intel laptops;
//!   codecarbon#950 and powerstat#4 show the 2x over-count that summing causes.
//!   Per name path (`package-0`, `package-0/dram`) we keep the `intel-rapl`
//!   zone, and use another control type's zone only if `intel-rapl` has none
//!   readable.
//! * On multi-die AMD parts, `package-N-die-M` zones all read the same
//!   socket-wide counter (codecarbon#1274). Dies whose counter equals die 0's
//!   at discovery are marked mirrors (distinct Intel per-die counters differ).

use std::collections::HashMap;

use super::read::{Reader, read_u64};
use super::zone::{ZoneInfo, ZoneKind, ZoneStatus, parse_id};

/// Per name path keep one counted zone, preferring control type `intel-rapl`.
pub(super) fn mark_control_type_mirrors(zones: &mut [ZoneInfo]) {
    let mut order: Vec<usize> = (0..zones.len()).collect();
    order.sort_by_key(|&i| {
        (
            zones[i].control_type != "intel-rapl",
            zones[i].control_type.clone(),
            parse_id(&zones[i].id),
        )
    });
    let mut kept: HashMap<String, String> = HashMap::new();
    for i in order {
        if zones[i].status != ZoneStatus::Active {
            continue;
        }
        let key = zones[i].name_path.clone();
        match kept.get(&key) {
            Some(of) if zones[i].control_type != id_control(of) => {
                zones[i].status = ZoneStatus::Mirror { of: of.clone() };
            }
            _ => {
                kept.entry(key).or_insert_with(|| zones[i].id.clone());
            }
        }
    }
}

fn id_control(id: &str) -> String {
    parse_id(id).map(|(c, _)| c).unwrap_or_default()
}

/// `package-N-die-M` zones whose counter equals die 0's (re-read around it to
/// allow for a tick in between) are the same socket-wide counter; they and
/// their subzones become mirrors.
pub(super) fn mark_die_mirrors(zones: &mut [ZoneInfo], reader: &Reader) {
    let die_of = |name: &str| -> Option<(String, u32)> {
        let rest = name.strip_prefix("package-")?;
        let (pkg, die) = rest.split_once("-die-")?;
        Some((pkg.to_string(), die.parse().ok()?))
    };
    let mut first_die: HashMap<String, usize> = HashMap::new();
    let mut mirrored: Vec<(String, String)> = Vec::new();
    let mut dies: Vec<(usize, String, u32)> = zones
        .iter()
        .enumerate()
        .filter(|(_, z)| z.kind == ZoneKind::Package && z.status == ZoneStatus::Active)
        .filter_map(|(i, z)| die_of(&z.name).map(|(p, d)| (i, p, d)))
        .collect();
    dies.sort_by_key(|(_, p, d)| (p.clone(), *d));
    for (i, pkg, _) in dies {
        let Some(&r) = first_die.get(&pkg) else {
            first_die.insert(pkg, i);
            continue;
        };
        // Die 0, die M, die 0 again: a shared counter reads between the two.
        let a = read_u64(reader, &zones[r].energy_path());
        let b = read_u64(reader, &zones[i].energy_path());
        let c = read_u64(reader, &zones[r].energy_path());
        if let (Ok(a), Ok(b), Ok(c)) = (a, b, c)
            && a <= b
            && b <= c
        {
            zones[i].status = ZoneStatus::Mirror { of: zones[r].id.clone() };
            mirrored.push((zones[i].id.clone(), zones[r].id.clone()));
        }
    }
    for z in zones.iter_mut() {
        for (m, of) in &mirrored {
            if z.id.starts_with(&format!("{m}:")) && z.status == ZoneStatus::Active {
                z.status = ZoneStatus::Mirror { of: of.clone() };
            }
        }
    }
}
