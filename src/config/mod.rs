//! The grid file: TOML text → a validated [`Grid`]. Every problem in the file is collected and
//! reported at once (each naming the file and the key), so a user fixes a bad grid in one go
//! instead of one error per run. Nothing here touches the output directory.
//!
//! Files: `grid` (the validated types, `DEFAULT_CARBON_G_PER_KWH`), `parse` (TOML → `Grid`,
//! every problem at once) ← `walker` (the TOML walk, key by key), `command` (`[command]` and its `{key}` templates), `energy` (the `[energy]` table). This file only re-exports.

pub(crate) mod command;
mod energy;
mod grid;
pub(crate) mod parse;
pub(crate) mod schedule;
#[cfg(test)]
#[path = "tests/mod.rs"]
mod tests;
mod walker;

pub(crate) use command::CommandSpec;
pub(crate) use grid::{
    BackgroundLoad, Budget, EnergySettings, Grid, GridErrors, Halving, InferenceSettings,
    Objective, Problem, Search,
};
pub(crate) use parse::load_grid;
pub(crate) use schedule::{ForecastSource, ScheduleSpec};
