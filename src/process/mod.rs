//! Processes a command trial starts: the process tree read from `/proc` (its descendants, their
//! CPU time, ending them), and the supervisor that holds the tree together (a child subreaper
//! that ends the whole tree when its command exits, when it is told to, or when wattsweep dies).
//! A leaf: it knows nothing of trials or energy.
//!
//! Files: `tree` (reading and ending a process tree, the tracked tree's CPU clock), `supervise`
//! (the hidden `wattsweep __supervise` subcommand).

pub(crate) mod supervise;
pub(crate) mod tree;
