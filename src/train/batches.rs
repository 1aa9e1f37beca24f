//! Turns a loaded dataset into normalised f32 pixels once, and hands out shuffled mini-batches.
//! Shuffling is a seeded Fisher–Yates per epoch, so the same seed gives the same batches.

use crate::data::{Dataset, LoadedData, Split};
use crate::models::PIXELS;
use burn::tensor::{DType, TensorData};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use std::ops::Range;

/// One split, normalised: `len × 784` row-major f32 images and their labels.
///
/// The images live in one shared buffer, so that a run of consecutive rows (an evaluation or
/// inference batch) becomes a tensor without a copy: a flex tensor reads those rows in place,
/// other backends copy them in as from any buffer. Training batches are shuffled rows and are
/// gathered into a new buffer.
pub(crate) struct Prepared {
    x: TensorData,
    pub y: Vec<u8>,
    /// A blank (0) pixel as normalised.
    blank: f32,
}

impl Prepared {
    pub(crate) fn len(&self) -> usize {
        self.y.len()
    }

    /// The first `limit` images of `split` (all when `None`), normalised with `(mean, std)`.
    pub(crate) fn from_split(
        split: &Split,
        limit: Option<usize>,
        (mean, std): (f32, f32),
    ) -> Prepared {
        let n = limit.map_or(split.len(), |l| l.min(split.len()));
        let normalise = |p: u8| (p as f32 / 255.0 - mean) / std;
        let x: Vec<f32> = split.images[..n * PIXELS].iter().map(|&p| normalise(p)).collect();
        let shared = TensorData::new(x, [n, PIXELS]).into_bytes().shared();
        Prepared {
            x: TensorData::from_bytes(shared, [n, PIXELS], DType::F32),
            y: split.labels[..n].to_vec(),
            blank: normalise(0),
        }
    }

    /// A blank pixel as normalised: the value most of an MNIST image holds.
    pub(crate) fn blank(&self) -> f32 {
        self.blank
    }

    /// All images, row-major.
    pub(crate) fn images(&self) -> &[f32] {
        self.x.as_slice().expect("prepared images are f32")
    }

    /// The images and labels at `indices`, as the buffers a batch tensor takes ownership of.
    pub(crate) fn gather(&self, indices: &[usize]) -> (Vec<f32>, Vec<i64>) {
        let x = self.images();
        let mut xs = Vec::with_capacity(indices.len() * PIXELS);
        let mut ys = Vec::with_capacity(indices.len());
        for &i in indices {
            xs.extend_from_slice(&x[i * PIXELS..(i + 1) * PIXELS]);
            ys.push(self.y[i] as i64);
        }
        (xs, ys)
    }

    /// Images `rows` as `[rows.len(), 784]` tensor data that shares this split's buffer (no
    /// copy; writing to it copies it first, so the split never changes).
    pub(crate) fn rows(&self, rows: Range<usize>) -> TensorData {
        assert!(
            rows.start <= rows.end && rows.end <= self.len(),
            "rows {rows:?} of a split of {} images",
            self.len()
        );
        let bytes = std::mem::size_of::<f32>() * PIXELS;
        let view = self
            .x
            .bytes()
            .view(rows.start * bytes, rows.end * bytes)
            .expect("a shared buffer gives views of any range inside it");
        TensorData::from_bytes(view, [rows.len(), PIXELS], DType::F32)
    }

    /// The pixels of `rows`, row-major (the forward-only path reads them in place).
    pub(crate) fn pixels(&self, rows: Range<usize>) -> &[f32] {
        &self.images()[rows.start * PIXELS..rows.end * PIXELS]
    }

    /// The labels of `rows`, as a label tensor takes them.
    pub(crate) fn labels(&self, rows: Range<usize>) -> Vec<i64> {
        self.y[rows].iter().map(|&y| y as i64).collect()
    }

    /// The split in order, in runs of `size` consecutive images (the last may be shorter).
    pub(crate) fn batches(&self, size: usize) -> impl Iterator<Item = Range<usize>> + use<> {
        let (n, size) = (self.len(), size.max(1));
        (0..n).step_by(size).map(move |start| start..(start + size).min(n))
    }
}

/// Train and test splits of one trial.
pub(crate) struct TrialData {
    pub train: Prepared,
    pub test: Prepared,
}

impl TrialData {
    pub(crate) fn new(
        data: &LoadedData,
        dataset: Dataset,
        train_limit: Option<usize>,
        test_limit: Option<usize>,
    ) -> TrialData {
        let norm = dataset.mean_std();
        TrialData {
            train: Prepared::from_split(&data.train, train_limit, norm),
            test: Prepared::from_split(&data.test, test_limit, norm),
        }
    }
}

/// The order of training images in `epoch` (0-based) for `seed`.
pub(super) fn epoch_order(n: usize, seed: u64, epoch: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng =
        rand::rngs::StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ epoch as u64);
    order.shuffle(&mut rng);
    order
}
