//! The input and output shapes every model is built for.

/// Image side length the models are built for (MNIST and Fashion-MNIST).
pub const SIDE: usize = 28;
pub const PIXELS: usize = SIDE * SIDE;
pub const CLASSES: usize = 10;
