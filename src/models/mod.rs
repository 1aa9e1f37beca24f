//! The architectures under test. Each model has a settings struct (its `[models.<name>]` table),
//! an `init(device)` and a `forward` from a batch of flattened, normalised 28×28 images
//! (`[batch, 784]`) to class logits (`[batch, 10]`). `Model` is the closed set the runner trains.
//!
//! Files, each depending only on those listed before it: `shape`, `spiking` (surrogates, the
//! LIF settings both spiking models share, LIF steps), the models (`mlp`, `cnn`, `fused`, `rnn`,
//! `snn`, `csnn`), `kind` (names and settings), `model`, `counts` (each model's layers, so its
//! operation counts per inference image). This file only re-exports.

pub(crate) mod cnn;
pub(crate) mod counts;
pub(crate) mod csnn;
mod fused;
mod kind;
pub(crate) mod mlp;
mod model;
pub(crate) mod rnn;
mod shape;
pub(crate) mod snn;
pub(crate) mod spiking;

pub(crate) use kind::{ModelKind, ModelSettings};
pub(crate) use model::Model;
pub(crate) use shape::PIXELS;

#[cfg(test)]
#[path = "tests/mod.rs"]
mod tests;
