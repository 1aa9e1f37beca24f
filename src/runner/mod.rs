//! The sweep (`sweep`): validate the grid and data before touching the output directory, lock it,
//! repair what an earlier crash left, skip finished trials, measure idle power, run the rest one
//! by one, writing each trial's row the moment it ends; with `[search] strategy = "halving"` rung
//! by rung (`rungs` → `halving`). A trial is a built-in model (`builtin`, its sums in `totals`,
//! its segments in `checkpoint`) or a command (`command`, run by `launch` under the supervisor,
//! its events read by `protocol`); `measure` is one command without a grid. This file only
//! declares and re-exports.

mod budget;
mod builtin;
mod checkpoint;
mod command;
mod environment;
mod halving;
mod idle;
mod interrupt;
mod launch;
mod lock;
mod measure;
mod output;
mod phases;
mod progress;
mod protocol;
mod record;
mod row;
mod rungs;
mod sweep;
mod totals;

pub use lock::OutputLock;
pub(crate) use measure::{MeasureOptions, measure};
pub(crate) use sweep::{RunOptions, load_datasets, output_dir, run_sweep};
