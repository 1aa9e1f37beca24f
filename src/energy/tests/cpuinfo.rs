//! /proc/cpuinfo of real machines (abridged) and the microarchitecture each maps to.

use super::*;

fn cpu(vendor: &str, family: u32, model: u32, stepping: u32, flags: &str, ids: &[u32]) -> String {
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            format!(
                "processor\t: {i}\nvendor_id\t: {vendor}\ncpu family\t: {family}\nmodel\t\t: {model}\nmodel name\t: Test CPU {model}\nstepping\t: {stepping}\nphysical id\t: {id}\nflags\t\t: fpu sse2 {flags} avx2\n\n"
            )
        })
        .collect()
}

#[test]
fn a_two_vcpu_cloud_guest_is_a_vm_with_one_package() {
    let info = parse_cpuinfo(&cpu("AuthenticAMD", 25, 1, 1, "hypervisor", &[0, 0]));
    assert!(info.hypervisor);
    assert_eq!((info.logical_cpus, info.packages, info.cpus_per_package()), (2, 1, 2));
    assert_eq!(microarch(&info).name, "EPYC Milan");
    assert_eq!(info.model_name, "Test CPU 1");
}

#[test]
fn a_dual_socket_host_counts_cpus_per_package() {
    let info = parse_cpuinfo(&cpu("GenuineIntel", 6, 85, 7, "", &[0, 0, 0, 0, 1, 1, 1, 1]));
    assert!(!info.hypervisor);
    assert_eq!((info.logical_cpus, info.packages, info.cpus_per_package()), (8, 2, 4));
    assert_eq!(microarch(&info).name, "Cascade Lake", "model 85 stepping 7");
}

#[test]
fn family_model_stepping_pick_the_coefficients() {
    let arch = |v: &str, f, m, s| microarch(&parse_cpuinfo(&cpu(v, f, m, s, "", &[0])));
    assert_eq!(
        arch("GenuineIntel", 6, 85, 4),
        Microarch { name: "Skylake", min_w: 0.61, max_w: 4.10 }
    );
    assert_eq!(arch("GenuineIntel", 6, 106, 6).name, "Ice Lake");
    assert_eq!(
        arch("GenuineIntel", 6, 143, 8),
        Microarch { name: "Sapphire Rapids", min_w: 1.04, max_w: 4.16 }
    );
    assert_eq!(arch("GenuineIntel", 6, 207, 2).name, "Emerald Rapids");
    assert_eq!(arch("AuthenticAMD", 23, 49, 0).name, "EPYC Rome");
    assert_eq!(arch("AuthenticAMD", 25, 17, 1).name, "EPYC Genoa");
    assert_eq!(arch("AuthenticAMD", 26, 68, 0), UNKNOWN_MICROARCH, "Zen 5 desktop: not a server");
    assert_eq!(arch("GenuineIntel", 6, 183, 1), UNKNOWN_MICROARCH, "Raptor Lake: not in the table");
    assert_eq!(microarch(&parse_cpuinfo("")), UNKNOWN_MICROARCH);
}

#[test]
fn the_older_and_newer_server_generations_have_their_own_coefficients() {
    // Before: all four fell back to CCF's average (0.74 / 3.5 W).
    let arch = |v: &str, f, m| microarch(&parse_cpuinfo(&cpu(v, f, m, 1, "hypervisor", &[0])));
    let haswell = Microarch { name: "Haswell", min_w: 1.86, max_w: 5.60 };
    assert_eq!(arch("GenuineIntel", 6, 63), haswell, "Haswell-EP (E5 v3)");
    assert_eq!(arch("GenuineIntel", 6, 60), haswell);
    let broadwell = Microarch { name: "Broadwell", min_w: 0.71, max_w: 3.69 };
    assert_eq!(arch("GenuineIntel", 6, 79), broadwell, "Broadwell-EP (E5 v4)");
    assert_eq!(arch("GenuineIntel", 6, 86), broadwell, "Broadwell-DE");
    let granite = Microarch { name: "Granite Rapids", min_w: 0.58, max_w: 2.53 };
    assert_eq!(arch("GenuineIntel", 6, 173), granite, "Xeon 6 P-core");
    let turin = Microarch { name: "EPYC Turin", min_w: 3.68, max_w: 8.96 };
    assert_eq!(arch("AuthenticAMD", 26, 2), turin, "EPYC 9005");
    assert_eq!(arch("AuthenticAMD", 26, 17), turin, "EPYC 9005 dense (Zen 5c)");
}
