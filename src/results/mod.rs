//! The results store: the data every other part of wattsweep reads or writes. It owns the CSV
//! schemas (one serde struct per file), the crash-safe append-only log, torn-tail handling,
//! atomic file replacement and "the last row per trial". The runner, shards, Slurm merge, data
//! placement and the report all go through here; nothing here knows about any of them.
//!
//! Files: `rows` (schemas), `tail` (complete lines of a file that may end torn), `atomic`
//! (replace a file whole), `log` (append, repair, rewrite), `latest` (last row per trial).

mod atomic;
mod latest;
mod log;
mod rows;
mod tail;

pub(crate) use atomic::write_atomic;
pub(crate) use latest::{last_row_per_trial, latest_by_id};
pub(crate) use log::{CsvLog, Repair, encode};
pub(crate) use rows::{DECISIONS_FILE, Decision, EpochRow, PowerSample, ResultRow, one_line};
pub(crate) use tail::{cut_torn_tail, read_complete, read_tolerant, truncate_to};
