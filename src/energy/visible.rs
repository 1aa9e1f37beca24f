//! Which GPUs a run measures. NVML lists every board in the machine and ignores
//! `CUDA_VISIBLE_DEVICES`, but on a shared node (Slurm sets the variable per job) only the
//! job's GPUs are the trial's: the others' energy is other jobs' work, and their power limits
//! are not ours to change. `[energy] gpus` chooses ([`GpuSelection`]); its default, `visible`,
//! takes the GPUs `CUDA_VISIBLE_DEVICES` names, resolved as CUDA resolves them:
//! * unset: every GPU; set but empty (or `-1`, `NoDevFiles`): none;
//! * a comma-separated list of indices, `GPU-<uuid>` (a unique prefix is enough) or `MIG-<uuid>`;
//!   CUDA stops at the first entry it cannot resolve and ignores the rest, and so do we;
//! * indices count in PCI bus order, which is CUDA's order with `CUDA_DEVICE_ORDER=PCI_BUS_ID`;
//!   CUDA's default order puts the fastest board first, so indices are ambiguous on a machine
//!   with different boards unless the variable says PCI_BUS_ID: a warning says so;
//! * a MIG instance is measured as its whole board (NVML has no per-instance energy or power),
//!   found through NVML's MIG queries (each board lists its instances' UUIDs), and the board is
//!   marked shared: its other instances may run other jobs.
//!
//! An explicit list (`gpus = [0, "GPU-…"]`) is resolved the same way, but an entry that names
//! no GPU is an error rather than the end of the list: the user wrote it on purpose.

/// What the selection needs of a GPU.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct GpuId {
    pub(crate) name: String,
    /// `GPU-…`, as NVML and nvidia-smi print it.
    pub(crate) uuid: Option<String>,
    /// `0000:3B:00.0`: the PCI bus order CUDA's indices follow with `PCI_BUS_ID`.
    pub(crate) pci_bus_id: Option<String>,
    /// The UUIDs (`MIG-…`) of the MIG instances on this board; empty without MIG.
    pub(crate) mig: Vec<String>,
}

/// `[energy] gpus`: which GPUs are measured and get power limits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum GpuSelection {
    /// Those `CUDA_VISIBLE_DEVICES` names; every GPU when it is unset.
    #[default]
    Visible,
    All,
    None,
    /// Indices (PCI bus order), GPU UUIDs (or unique prefixes) and MIG UUIDs.
    List(Vec<String>),
}

/// The GPUs chosen (indices into NVML's order), those of them reached through a MIG instance
/// (their energy is the whole board's, shared), warnings to log, and errors (an explicit list
/// naming a GPU that is not here).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Chosen {
    pub(crate) gpus: Vec<usize>,
    pub(crate) mig: Vec<usize>,
    pub(crate) warnings: Vec<String>,
    pub(crate) errors: Vec<String>,
}

/// Resolve `selection` over `gpus` (NVML's order) with the environment's
/// `CUDA_VISIBLE_DEVICES` and `CUDA_DEVICE_ORDER`.
pub(crate) fn select_gpus(
    gpus: &[GpuId],
    selection: &GpuSelection,
    cuda_visible_devices: Option<&str>,
    cuda_device_order: Option<&str>,
) -> Chosen {
    match selection {
        GpuSelection::All => Chosen { gpus: (0..gpus.len()).collect(), ..Chosen::default() },
        GpuSelection::None => Chosen::default(),
        GpuSelection::Visible => match cuda_visible_devices {
            None => Chosen { gpus: (0..gpus.len()).collect(), ..Chosen::default() },
            Some(list) => {
                let entries: Vec<&str> = list.split(',').map(str::trim).collect();
                resolve(gpus, &entries, cuda_device_order, "CUDA_VISIBLE_DEVICES", false)
            }
        },
        GpuSelection::List(list) => {
            let entries: Vec<&str> = list.iter().map(|s| s.trim()).collect();
            resolve(gpus, &entries, cuda_device_order, "energy.gpus", true)
        }
    }
}

/// The indices (into `gpus`, NVML's order) `CUDA_VISIBLE_DEVICES` names, and warnings.
#[cfg(test)]
pub(crate) fn visible_gpus(
    gpus: &[GpuId],
    cuda_visible_devices: Option<&str>,
    cuda_device_order: Option<&str>,
) -> (Vec<usize>, Vec<String>) {
    let c = select_gpus(gpus, &GpuSelection::Visible, cuda_visible_devices, cuda_device_order);
    (c.gpus, c.warnings)
}

fn resolve(
    gpus: &[GpuId],
    entries: &[&str],
    order: Option<&str>,
    source: &str,
    strict: bool,
) -> Chosen {
    let mut out = Chosen::default();
    let list = entries.join(",");
    // PCI bus order (NVML's own order where the bus id is unknown).
    let mut by_bus: Vec<usize> = (0..gpus.len()).collect();
    by_bus.sort_by(|&a, &b| {
        let key = |i: usize| gpus[i].pci_bus_id.as_deref().map(str::to_ascii_lowercase);
        key(a).cmp(&key(b)).then(a.cmp(&b))
    });
    let mut warned_order = false;
    for &entry in entries {
        let found = if let Ok(i) = entry.parse::<i64>() {
            let mixed = gpus.iter().any(|g| g.name != gpus[0].name);
            if mixed && !warned_order && order != Some("PCI_BUS_ID") {
                warned_order = true;
                out.warnings.push(format!(
                    "{source}={list} names GPUs by index on a machine with different boards: CUDA numbers them fastest first unless CUDA_DEVICE_ORDER=PCI_BUS_ID, and wattsweep measures them in PCI bus order; set CUDA_DEVICE_ORDER=PCI_BUS_ID (or use GPU UUIDs) so both agree"
                ));
            }
            usize::try_from(i).ok().and_then(|i| by_bus.get(i).copied())
        } else if entry.starts_with("GPU-") {
            let hits: Vec<usize> = (0..gpus.len())
                .filter(|&i| gpus[i].uuid.as_deref().is_some_and(|u| u.starts_with(entry)))
                .collect();
            if hits.len() > 1 {
                out.warnings.push(format!("{source}: {entry} matches more than one GPU"));
            }
            (hits.len() == 1).then(|| hits[0])
        } else if entry.starts_with("MIG-") {
            let hit = (0..gpus.len()).find(|&i| gpus[i].mig.iter().any(|m| m == entry));
            if let Some(i) = hit {
                out.warnings.push(format!(
                    "{source}: {entry} is a MIG instance of {} ({}): NVML measures only whole boards, so the board's energy is recorded and the GPU is marked shared",
                    gpus[i].uuid.as_deref().unwrap_or("a GPU"),
                    gpus[i].name
                ));
                if !out.mig.contains(&i) {
                    out.mig.push(i);
                }
            }
            hit
        } else {
            None
        };
        match found {
            Some(i) if !out.gpus.contains(&i) => out.gpus.push(i),
            Some(_) => {}
            None if strict => out.errors.push(format!("{source}: no GPU {entry:?} here")),
            None => {
                if !entry.is_empty() && entry != "-1" && entry != "NoDevFiles" {
                    out.warnings.push(format!(
                        "{source}: no GPU {entry:?} here; like CUDA, the entries after it are ignored"
                    ));
                }
                break;
            }
        }
    }
    if out.gpus.len() < gpus.len() {
        let left: Vec<String> = (0..gpus.len())
            .filter(|i| !out.gpus.contains(i))
            .map(|i| gpus[i].uuid.clone().unwrap_or_else(|| format!("NVML index {i}")))
            .collect();
        tracing::debug!("not measured (outside {source}={list}): {}", left.join(", "));
    }
    out
}

#[cfg(test)]
#[path = "tests/visible.rs"]
mod tests;
