//! Energy measurement of training trials.
//!
//! A [`Meter`] discovers the sensors once (RAPL zones in the powercap tree,
//! NVIDIA GPUs through NVML, else a TDP-based CPU estimate), keeps a
//! wrap-corrected cumulative energy per domain, and runs a background sampler
//! that keeps counters wrap-safe and writes per-trial power logs. Phase
//! energies come from [`Reading::since`]: counter differences taken at the
//! phase boundaries by [`Meter::read`], not integrals of samples.
//!
//! Files, each depending only on those listed before it: `options`, `reading`
//! (readings and windows), `counter` (wrap correction), `cpuinfo` (/proc/cpuinfo), `rapl/` (zone, read,
//! dedupe, discover), `device` (one GPU, behind a trait), `visible` (which GPUs), `limits` (the power-limit journal), `nvml` (GPUs), `estimate` (CPU fallback), `background` (other
//! processes' share of the CPU), `receipts` (how well a trial was sampled), `thermal` (temperatures), `powerlog`
//! (per-trial CSV), `sampler` (live sensors + thread), `meter`, `sensors`
//! (`wattsweep sensors`); apart from them, `ops` (modelled energy per inference image from
//! operation counts). This file only declares and re-exports.

mod background;
mod counter;
mod cpuinfo;
mod device;
mod estimate;
mod limits;
mod meter;
mod nvml;
mod ops;
mod options;
mod powerlog;
mod rapl;
mod reading;
mod receipts;
mod sampler;
mod sensors;
#[cfg(test)]
#[path = "tests/mod.rs"]
mod tests;
mod thermal;
mod visible;

pub(crate) use background::{LoadProbe, LoadSample, LoadWindows, MIN_BUSY_S, background_effect};
pub(crate) use cpuinfo::{microarch_name, parse_cpuinfo};
pub(crate) use limits::default_state_dir;
pub(crate) use meter::Meter;
pub(crate) use nvml::restore_own_limits;
pub(crate) use ops::{LayerOps, OpEnergies, SpikeProfile, price};
pub(crate) use options::{
    DEFAULT_POWERCAP_ROOT, DEFAULT_SAMPLE_HZ, EnergyOptions, default_thermal_root,
};
pub(crate) use reading::{Reading, Window};
pub(crate) use receipts::Receipts;
pub(crate) use sensors::sensors_report;
pub(crate) use visible::GpuSelection;
