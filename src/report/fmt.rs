//! How numbers look in the summary and the HTML tables: plain `.` decimals, no thousands
//! separators, and "—" for a value that is missing or not finite — never `0` or `NaN`, so a
//! missing sensor cannot pass for a measurement.

/// Shown wherever a value is missing.
pub(crate) const MISSING: &str = "—";

/// "mlp adam lr=0.001 bs=64" (plus the backend when it is not `flex`, `threads=` and
/// `gpu_power_limit=` where set, as the settings table's `label` says): enough to tell trials
/// and configurations apart at a glance.
pub(crate) fn setting_label(r: &crate::results::ResultRow) -> String {
    use crate::trial::settings::{Label, SETTINGS};
    let mut parts = Vec::new();
    for s in &SETTINGS {
        let cell = (s.of_row)(r);
        // Numbers as the report writes learning rates (1e-5, not 0.00001).
        let shown = || cell.parse::<f64>().map_or(cell.clone(), lr);
        match s.label {
            Label::Hidden => {}
            _ if cell.is_empty() => {}
            Label::Bare => parts.push(shown()),
            Label::Tagged(prefix, suffix) => parts.push(format!("{prefix}{}{suffix}", shown())),
            Label::BracketedUnless(default) if cell != default => parts.push(format!("[{cell}]")),
            Label::BracketedUnless(_) => {}
        }
    }
    parts.join(" ")
}

/// `Some(v)` only if `v` is present and finite.
pub(crate) fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

/// A quantity with about four significant digits: enough to compare trials, few enough to read.
pub(crate) fn num(v: Option<f64>) -> String {
    match finite(v) {
        None => MISSING.to_string(),
        Some(x) => {
            let a = x.abs();
            let decimals = if a >= 1000.0 {
                0
            } else if a >= 100.0 {
                1
            } else if a >= 10.0 {
                2
            } else if a >= 0.01 || a == 0.0 {
                3
            } else {
                // Tiny values (firing rates, CO₂ grams): keep significant digits, not zeros.
                return format!("{x:.2e}");
            };
            format!("{x:.decimals$}")
        }
    }
}

/// An accuracy given as a 0–1 fraction, shown in percent with two decimals (98.52).
pub(crate) fn pct(v: Option<f64>) -> String {
    match finite(v) {
        None => MISSING.to_string(),
        Some(x) => format!("{:.2}", x * 100.0),
    }
}

/// An axis tick: plotters computes ticks by repeated addition (0.30000000000000004), so round
/// away the noise and print the shortest form without trailing zeros (50, 0.5, 0.0001).
pub(crate) fn tick(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let r = (v * 1e9).round() / 1e9;
    if r == 0.0 { "0".to_string() } else { format!("{r}") }
}

/// A learning rate as written in the grid (0.001, 1e-5): Rust's shortest round-trip form.
pub(crate) fn lr(v: f64) -> String {
    if !v.is_finite() {
        return MISSING.to_string();
    }
    if v != 0.0 && v.abs() < 1e-4 { format!("{v:e}") } else { format!("{v}") }
}

/// A text cell: missing or blank text shows as "—" too.
pub(crate) fn text(v: Option<&str>) -> String {
    match v.map(str::trim) {
        None | Some("") => MISSING.to_string(),
        Some(s) => s.to_string(),
    }
}

/// A ratio such as 1.8×, for "how much" statements.
pub(crate) fn times(v: f64) -> String {
    if !v.is_finite() {
        return MISSING.to_string();
    }
    if v >= 10.0 { format!("{v:.0}×") } else { format!("{v:.2}×") }
}

/// Escape text for HTML element content and attribute values.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escape text for a Markdown table cell: a `|` would end the cell, a line break the row, and
/// `<` could open raw HTML in renderers that allow it.
pub(crate) fn md_cell(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.replace('\\', "\\\\").replace('|', "\\|").replace('<', "&lt;")
}

#[cfg(test)]
#[path = "tests/fmt.rs"]
mod tests;
