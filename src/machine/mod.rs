//! The machine a sweep ran on, as a receipt: `<out>/machine.json` (CPU model and
//! microarchitecture, logical CPUs, memory, OS and kernel, hostname, whether it is virtualised,
//! frequency governor and turbo, the RAPL zones summed, GPU names, wattsweep's version) and a
//! `machine_id`, a hash of the fields that change what a trial costs in joules, which every
//! results.csv row carries. `probe` reads procfs and sysfs under a root that tests fake;
//! `info` holds the record, its id, the fields two records differ in, and the file.

mod info;
mod probe;

pub(crate) use info::{MACHINE_FILE, MachineInfo, differences, read_machine, record_machine};
pub(crate) use probe::probe;
