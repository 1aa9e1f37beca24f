//! Names users type: the closed sets of datasets, models, optimizers and backends, and the
//! "did you mean" hint. One trait, so the grid parser, the CLI and error messages all list the
//! same valid names, taken from the types themselves rather than copied by hand.

/// A closed set of values, each with the one name users write in grids, on the command line
/// and in the CSVs.
pub(crate) trait Named: Copy + Send + Sync + 'static {
    /// Every value, in the order help texts list them.
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
    /// Inverse of [`Named::name`] (a type may accept more spellings).
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.name() == s)
    }
}

/// The valid names of `T`, comma-separated.
pub(crate) fn valid_names<T: Named>() -> String {
    T::ALL.iter().map(|x| x.name()).collect::<Vec<_>>().join(", ")
}

/// Parse a name of `T`; the error lists the valid names and the nearest one (the caller shows
/// the value itself, e.g. `grid.optimizer[0] = "adamm": …`).
pub(crate) fn parse_named<T: Named>(s: &str) -> Result<T, String> {
    T::parse(s).ok_or_else(|| {
        let near = nearest(s, T::ALL.iter().map(|x| x.name()));
        format!("unknown name; valid: {}{near}", valid_names::<T>())
    })
}

/// ` (did you mean `x`?)` when some candidate is close to `word`, else empty.
pub(crate) fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let best = candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, c)) if d <= 3.max(word.len() / 3) && d < word.len().max(1) => {
            format!(" (did you mean `{c}`?)")
        }
        _ => String::new(),
    }
}

#[cfg(test)]
#[path = "tests/names.rs"]
mod tests;
