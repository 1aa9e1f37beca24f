//! Which data set ([`Dataset`]): its name, files, normalisation, and where its files live.

use super::digests::{self, PinnedFile};
use crate::names::Named;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dataset {
    Mnist,
    FashionMnist,
}

impl Named for Dataset {
    const ALL: &'static [Dataset] = &[Dataset::Mnist, Dataset::FashionMnist];

    /// CLI / run.json name.
    fn name(self) -> &'static str {
        match self {
            Dataset::Mnist => "mnist",
            Dataset::FashionMnist => "fashion-mnist",
        }
    }

    /// Inverse of [`Dataset::name`]; case-insensitive, and forgiving about
    /// the separator since people type `fashion_mnist` too.
    fn parse(s: &str) -> Option<Dataset> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "mnist" => Some(Dataset::Mnist),
            "fashion-mnist" | "fashionmnist" | "fashion" => Some(Dataset::FashionMnist),
            _ => None,
        }
    }
}

impl Dataset {
    /// Human name for messages.
    pub fn title(self) -> &'static str {
        match self {
            Dataset::Mnist => "MNIST",
            Dataset::FashionMnist => "Fashion-MNIST",
        }
    }

    pub fn default_dir(self) -> PathBuf {
        Path::new("data").join(self.name())
    }

    /// (mean, std) of training pixels/255, for input normalisation.
    pub fn mean_std(self) -> (f32, f32) {
        match self {
            Dataset::Mnist => digests::MNIST_MEAN_STD,
            Dataset::FashionMnist => digests::FASHION_MNIST_MEAN_STD,
        }
    }

    /// The four files, in the order train images, train labels, test
    /// images, test labels, with their pinned digests.
    pub fn files(self) -> &'static [PinnedFile; 4] {
        match self {
            Dataset::Mnist => &digests::MNIST_FILES,
            Dataset::FashionMnist => &digests::FASHION_MNIST_FILES,
        }
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The file for `stem` in `dir`: raw if present, else `.gz`.
pub(super) fn locate(dir: &Path, stem: &str) -> Option<PathBuf> {
    [dir.join(stem), dir.join(format!("{stem}.gz"))].into_iter().find(|p| p.is_file())
}

/// The paragraph every "data not there" error ends with.
pub(super) fn manual_instructions(dataset: Dataset, dir: &Path) -> String {
    let names: Vec<&str> = dataset.files().iter().map(|f| f.stem).collect();
    format!(
        "To place the {} files by hand, put these four files in {}/, each either raw or \
         gzip-compressed with a .gz suffix: {} (e.g. {}).",
        dataset.title(),
        dir.display(),
        names.join(", "),
        dir.join(format!("{}.gz", names[0])).display()
    )
}
