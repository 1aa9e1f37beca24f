//! A carbon-aware start (`[schedule]`): the forecast (`forecast`: a file or a command's CSV) →
//! the choice of start (`choose`: duration predicted, cheapest window before the deadline) →
//! the clock the runner dates trials by (`clock`: intensity per trial, `--now`).

pub(crate) mod choose;
pub(crate) mod clock;
pub(crate) mod forecast;

#[cfg(test)]
#[path = "tests/mod.rs"]
mod tests;
