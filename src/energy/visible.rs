//! Which GPUs a run measures. NVML lists every board in the machine and ignores
//! `CUDA_VISIBLE_DEVICES`, but on a shared node (Slurm sets the variable per job) only the
//! job's GPUs are the trial's: the others' energy is other jobs' work, and their power limits
//! are not ours to change. So the GPUs measured are the ones `CUDA_VISIBLE_DEVICES` names,
//! resolved as CUDA resolves them:
//! * unset: every GPU; set but empty (or `-1`, `NoDevFiles`): none;
//! * a comma-separated list of indices, `GPU-<uuid>` (a unique prefix is enough) or `MIG-…`;
//!   CUDA stops at the first entry it cannot resolve and ignores the rest, and so do we;
//! * indices count in PCI bus order, which is CUDA's order with `CUDA_DEVICE_ORDER=PCI_BUS_ID`;
//!   CUDA's default order puts the fastest board first, so indices are ambiguous on a machine
//!   with different boards unless the variable says PCI_BUS_ID: a warning says so;
//! * a MIG instance is measured as its whole board (NVML has no per-instance energy), and the
//!   board can only be found from a MIG UUID through NVML's MIG queries: without them, a warning
//!   and the entry is treated as unresolvable.

/// What the selection needs of a GPU.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GpuId {
    pub(crate) name: String,
    /// `GPU-…`, as NVML and nvidia-smi print it.
    pub(crate) uuid: Option<String>,
    /// `0000:3B:00.0`: the PCI bus order CUDA's indices follow with `PCI_BUS_ID`.
    pub(crate) pci_bus_id: Option<String>,
}

/// The indices (into `gpus`, NVML's order) to measure, and warnings to log.
pub(crate) fn visible_gpus(
    gpus: &[GpuId],
    cuda_visible_devices: Option<&str>,
    cuda_device_order: Option<&str>,
) -> (Vec<usize>, Vec<String>) {
    let mut warnings = Vec::new();
    let Some(list) = cuda_visible_devices else {
        return ((0..gpus.len()).collect(), warnings);
    };
    // PCI bus order (NVML's own order where the bus id is unknown).
    let mut by_bus: Vec<usize> = (0..gpus.len()).collect();
    by_bus.sort_by(|&a, &b| {
        let key = |i: usize| gpus[i].pci_bus_id.as_deref().map(str::to_ascii_lowercase);
        key(a).cmp(&key(b)).then(a.cmp(&b))
    });
    let mut chosen: Vec<usize> = Vec::new();
    let mut warned_order = false;
    for entry in list.split(',').map(str::trim) {
        let found = if let Ok(i) = entry.parse::<i64>() {
            let mixed = gpus.iter().any(|g| g.name != gpus[0].name);
            if mixed && !warned_order && cuda_device_order != Some("PCI_BUS_ID") {
                warned_order = true;
                warnings.push(format!(
                    "CUDA_VISIBLE_DEVICES={list} names GPUs by index on a machine with different boards: CUDA numbers them fastest first unless CUDA_DEVICE_ORDER=PCI_BUS_ID, and wattsweep measures them in PCI bus order; set CUDA_DEVICE_ORDER=PCI_BUS_ID (or use GPU UUIDs) so both agree"
                ));
            }
            usize::try_from(i).ok().and_then(|i| by_bus.get(i).copied())
        } else if entry.starts_with("GPU-") {
            let hits: Vec<usize> = (0..gpus.len())
                .filter(|&i| gpus[i].uuid.as_deref().is_some_and(|u| u.starts_with(entry)))
                .collect();
            if hits.len() > 1 {
                warnings.push(format!("CUDA_VISIBLE_DEVICES: {entry} matches more than one GPU"));
            }
            (hits.len() == 1).then(|| hits[0])
        } else {
            if entry.starts_with("MIG-") {
                warnings.push(format!(
                    "CUDA_VISIBLE_DEVICES: {entry} is a MIG instance, whose board wattsweep cannot find without NVML's MIG queries: not measured (name the board's GPU UUID to measure the whole board)"
                ));
            }
            None
        };
        match found {
            Some(i) if !chosen.contains(&i) => chosen.push(i),
            Some(_) => {}
            None => {
                if !entry.is_empty()
                    && !entry.starts_with("MIG-")
                    && entry != "-1"
                    && entry != "NoDevFiles"
                {
                    warnings.push(format!(
                        "CUDA_VISIBLE_DEVICES: no GPU {entry:?} here; like CUDA, the entries after it are ignored"
                    ));
                }
                break;
            }
        }
    }
    if chosen.len() < gpus.len() {
        let left: Vec<String> = (0..gpus.len())
            .filter(|i| !chosen.contains(i))
            .map(|i| gpus[i].uuid.clone().unwrap_or_else(|| format!("NVML index {i}")))
            .collect();
        tracing::debug!("not measured (outside CUDA_VISIBLE_DEVICES={list}): {}", left.join(", "));
    }
    (chosen, warnings)
}

#[cfg(test)]
#[path = "tests/visible.rs"]
mod tests;
