//! RAPL (Intel, and AMD through the same `intel-rapl` control type) in the Linux powercap tree.
//!
//! Files, each depending only on those above it: `zone` (what a zone is), `read` (the sysfs
//! edge, errors, the wrap-corrected accumulator), `dedupe` (zones that mirror a counted counter),
//! `discover` (walk the tree, classify, label, dedupe, log what is wrong).

mod dedupe;
mod discover;
mod read;
mod zone;

pub(super) use discover::{discover, log_discovery_problems};
pub(super) use read::{RaplZone, Reader, default_reader, permission_advice};
pub(super) use zone::{ZoneInfo, ZoneKind, ZoneStatus};
