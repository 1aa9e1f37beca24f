//! CUDA_VISIBLE_DEVICES resolved as CUDA does, over fake GPU lists.

use super::*;

fn gpu(name: &str, uuid: &str, bus: &str) -> GpuId {
    GpuId {
        name: name.into(),
        uuid: Some(uuid.into()),
        pci_bus_id: Some(bus.into()),
        mig: Vec::new(),
    }
}

/// Two identical boards, NVML listing the one on the later bus first.
fn two() -> Vec<GpuId> {
    vec![
        gpu("NVIDIA A100", "GPU-bbbb2222-0000", "0000:81:00.0"),
        gpu("NVIDIA A100", "GPU-aaaa1111-0000", "0000:3B:00.0"),
    ]
}

#[test]
fn unset_means_every_gpu_and_empty_means_none() {
    assert_eq!(visible_gpus(&two(), None, None).0, vec![0, 1]);
    assert_eq!(visible_gpus(&two(), Some(""), None).0, Vec::<usize>::new());
    assert_eq!(visible_gpus(&two(), Some("-1"), None), (vec![], vec![]));
    assert_eq!(visible_gpus(&two(), Some("NoDevFiles"), None), (vec![], vec![]));
}

#[test]
fn uuids_and_their_unique_prefixes_pick_their_board() {
    assert_eq!(visible_gpus(&two(), Some("GPU-aaaa1111-0000"), None).0, vec![1]);
    assert_eq!(visible_gpus(&two(), Some("GPU-bbbb"), None).0, vec![0]);
    let (both, w) = visible_gpus(&two(), Some("GPU-aaaa, GPU-bbbb"), None);
    assert_eq!((both, w), (vec![1, 0], vec![]));
    // `GPU-` alone matches both: ambiguous, and CUDA stops there.
    let (none, w) = visible_gpus(&two(), Some("GPU-"), None);
    assert!(none.is_empty() && w[0].contains("more than one"), "{w:?}");
}

#[test]
fn indices_count_in_pci_bus_order_and_stop_at_the_first_unknown_entry() {
    assert_eq!(visible_gpus(&two(), Some("0"), None).0, vec![1], "0 is the lower bus");
    assert_eq!(visible_gpus(&two(), Some("1,0"), Some("PCI_BUS_ID")).0, vec![0, 1]);
    let (chosen, w) = visible_gpus(&two(), Some("1,7,0"), None);
    assert_eq!(chosen, vec![0], "7 does not exist: 0 after it is ignored, as CUDA does");
    assert!(w[0].contains("no GPU \"7\""), "{w:?}");
    // Identical boards: the index order is the same either way, no warning.
    assert!(visible_gpus(&two(), Some("0"), None).1.is_empty());
}

#[test]
fn indices_on_mixed_boards_warn_unless_the_order_is_pci_bus_id() {
    let mixed = vec![
        gpu("NVIDIA A100", "GPU-aaaa", "0000:3B:00.0"),
        gpu("NVIDIA T4", "GPU-bbbb", "0000:81:00.0"),
    ];
    let (chosen, w) = visible_gpus(&mixed, Some("1"), None);
    assert_eq!(chosen, vec![1]);
    assert!(w[0].contains("CUDA_DEVICE_ORDER=PCI_BUS_ID"), "{w:?}");
    assert!(visible_gpus(&mixed, Some("1"), Some("PCI_BUS_ID")).1.is_empty());
}

#[test]
fn an_unknown_mig_instance_stops_the_list() {
    let (chosen, w) = visible_gpus(&two(), Some("MIG-1234-5678,0"), None);
    assert!(chosen.is_empty());
    assert!(w[0].contains("no GPU \"MIG-1234-5678\""), "{w:?}");
}

#[test]
fn a_mig_instance_measures_its_whole_board_marked_shared() {
    let mut gpus = two();
    gpus[0].mig = vec!["MIG-aaaa-1".into(), "MIG-aaaa-2".into()];
    let c = select_gpus(&gpus, &GpuSelection::Visible, Some("MIG-aaaa-2"), None);
    assert_eq!((c.gpus, c.mig.clone()), (vec![0], vec![0]));
    assert!(c.warnings[0].contains("whole boards"), "{:?}", c.warnings);
}

#[test]
fn the_grid_can_take_all_none_or_a_list() {
    let all = select_gpus(&two(), &GpuSelection::All, Some("0"), None);
    assert_eq!(all.gpus, vec![0, 1], "all ignores CUDA_VISIBLE_DEVICES");
    assert!(select_gpus(&two(), &GpuSelection::None, None, None).gpus.is_empty());
    let list = GpuSelection::List(vec!["GPU-bbbb".into(), "0".into()]);
    let c = select_gpus(&two(), &list, Some("1"), None);
    assert_eq!((c.gpus, c.errors.len()), (vec![0, 1], 0), "the list wins over the variable");
    let bad = GpuSelection::List(vec!["3".into(), "GPU-aaaa".into()]);
    let c = select_gpus(&two(), &bad, None, None);
    assert_eq!(c.gpus, vec![1], "a bad entry does not stop an explicit list");
    assert!(c.errors[0].contains("energy.gpus: no GPU \"3\""), "{:?}", c.errors);
}
