//! The input and output shapes every model is built for.

/// Image side length the models are built for (MNIST and Fashion-MNIST).
pub(super) const SIDE: usize = 28;
pub(crate) const PIXELS: usize = SIDE * SIDE;
pub(super) const CLASSES: usize = 10;
