//! A trial: its resolved settings (`spec`), the table every setting is listed in once
//! (`settings`), and what the table derives — setting a key, the canonical form and ids, the
//! plan's cells (`derived`).

mod derived;
pub(crate) mod settings;
pub(crate) mod spec;

pub(crate) use crate::value::Value;
pub(crate) use spec::{FREE_FOR_COMMANDS, TrialSpec};
