//! One split of a data set in memory.

/// One split: `n` images of rows×cols u8 pixels, row-major, and their labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
    pub rows: usize,
    pub cols: usize,
}

impl Split {
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Pixels of image `i` (panics if out of range, like slice indexing).
    pub fn image(&self, i: usize) -> &[u8] {
        let px = self.rows * self.cols;
        &self.images[i * px..(i + 1) * px]
    }
}
