//! `wattsweep compare A B [--out DIR] [--force]`: check the machines, compare, and write
//! `compare.csv` and `compare.md` into DIR (default B); the same table as text for stdout.
//! Sweeps measured on different machines are refused (an error naming the fields that differ:
//! exit 2) unless `--force`, and then every line says it compares two machines.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::report::compare::{Comparison, Line, Machines, RATIO_MEASURES, compare, machines};
use crate::report::read::load_report_data;
use crate::results::write_atomic;

/// The words for a measure in the table's header.
fn measure_title(name: &str) -> &'static str {
    match name {
        "energy_j" => "energy B/A",
        "train_time_s" => "time B/A",
        _ => "J/pt B/A",
    }
}

fn cell(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite()).map(|v| v.to_string()).unwrap_or_default()
}

fn p_text(p: f64) -> String {
    if p < 0.001 { format!("p={p:.1e}") } else { format!("p={p:.3}") }
}

/// `0.921 [0.880, 0.962] p=0.004`, `0.921 (n < 2)`, or `—`.
fn ratio_text(line: &Line, i: usize) -> String {
    let m = &line.measures[i];
    match (m.ratio, &m.ci) {
        (None, _) => "—".into(),
        (Some(r), None) => format!("{r:.3} (no interval: n < 2 or no spread)"),
        (Some(r), Some(ci)) => match ci.low.zip(ci.high) {
            Some((lo, hi)) => format!("{r:.3} [{lo:.3}, {hi:.3}] {}", p_text(ci.p)),
            // A's mean is within its own noise of 0: Fieller's set has no finite bounds.
            None => format!("{r:.3} [unbounded] {}", p_text(ci.p)),
        },
    }
}

/// Accuracy B − A in percentage points, with its interval.
fn accuracy_text(line: &Line) -> String {
    match (line.accuracy_diff, line.accuracy_a.zip(line.accuracy_b)) {
        (Some((d, lo, hi, _)), _) => {
            format!("{:+.2} [{:+.2}, {:+.2}]", d * 100.0, lo * 100.0, hi * 100.0)
        }
        (None, Some((a, b))) => format!("{:+.2}", (b - a) * 100.0),
        (None, None) => "—".into(),
    }
}

/// What the machine check found, in one sentence.
fn machines_text(m: &Machines) -> String {
    if m.unknown() {
        return "machines: not checked (a sweep without machine.json or machine_id, written before wattsweep recorded them)".into();
    }
    if m.same() {
        return format!("machines: the same ({})", m.a[0]);
    }
    let mut s = format!("machines: DIFFERENT (A: {}; B: {})", m.a.join(", "), m.b.join(", "));
    if !m.differences.is_empty() {
        s.push_str(&format!(": {}", m.differences.join("; ")));
    }
    s
}

/// Two machines compared (under --force): said on every line.
fn two_machines(m: &Machines) -> bool {
    !m.unknown() && !m.same()
}

/// The table as rows of cells: header first.
fn table(c: &Comparison) -> Vec<Vec<String>> {
    let mut rows = vec![
        ["configuration", "settings", "n A/B"]
            .iter()
            .map(|s| s.to_string())
            .chain(RATIO_MEASURES.iter().map(|m| measure_title(m).to_string()))
            .chain(["accuracy B−A (pt)".to_string(), "energy".to_string()])
            .collect::<Vec<_>>(),
    ];
    let note = if two_machines(&c.machines) { " (two machines)" } else { "" };
    for l in &c.lines {
        let mut row = vec![l.config_id.clone(), l.label.clone(), format!("{}/{}", l.n_a, l.n_b)];
        row.extend((0..RATIO_MEASURES.len()).map(|i| ratio_text(l, i)));
        row.push(accuracy_text(l));
        row.push(format!("{}{note}", l.measures[0].verdict.word()));
        rows.push(row);
    }
    rows
}

fn intro(c: &Comparison, a: &Path, b: &Path) -> Vec<String> {
    let mut out = vec![
        format!("A = {}, B = {}", a.display(), b.display()),
        machines_text(&c.machines),
        "Ratios B/A of the configuration means with 95 % intervals (Fieller's, with Welch's unequal variances) and Welch's p-value; accuracy B − A in percentage points with Welch's 95 % interval. The last column is the energy verdict: lower or higher when the whole interval is below or above 1, else indistinguishable.".into(),
    ];
    if two_machines(&c.machines) {
        out.push("--force: these sweeps ran on two machines, so every difference below mixes the change with the machine.".into());
    }
    out
}

fn one_side_lines(c: &Comparison) -> Vec<String> {
    c.one_side
        .iter()
        .map(|o| format!("only in {}: {} ({}, n = {})", o.side, o.config_id, o.label, o.n))
        .collect()
}

/// The text for stdout: aligned columns.
pub(crate) fn render_text(c: &Comparison, a: &Path, b: &Path) -> String {
    let rows = table(c);
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = intro(c, a, b).join("\n") + "\n\n";
    for r in &rows {
        let cells: Vec<String> =
            r.iter().zip(&widths).map(|(v, w)| format!("{v:<w$}", w = *w)).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    if c.lines.is_empty() {
        out.push_str("no configuration is in both sweeps\n");
    }
    for l in one_side_lines(c) {
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// compare.md: the same as a Markdown table.
pub(crate) fn render_md(c: &Comparison, a: &Path, b: &Path) -> String {
    let esc = |s: &str| s.replace('|', "\\|");
    let rows = table(c);
    let mut out = String::from("# wattsweep compare\n\n");
    for p in intro(c, a, b) {
        out.push_str(&format!("{}\n\n", esc(&p)));
    }
    for (i, r) in rows.iter().enumerate() {
        out.push_str(&format!(
            "| {} |\n",
            r.iter().map(|v| esc(v)).collect::<Vec<_>>().join(" | ")
        ));
        if i == 0 {
            out.push_str(&format!("|{}\n", "---|".repeat(r.len())));
        }
    }
    if !c.one_side.is_empty() {
        out.push_str("\n## In one sweep only\n\n");
        for l in one_side_lines(c) {
            out.push_str(&format!("- {}\n", esc(&l)));
        }
    }
    out
}

/// compare.csv: one row per configuration, in both sweeps first, then those in one only.
pub(crate) fn render_csv(c: &Comparison) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> =
        ["config_id", "in", "settings", "n_a", "n_b"].map(String::from).to_vec();
    for m in RATIO_MEASURES {
        for s in ["a_mean", "b_mean", "ratio", "ratio_ci95_low", "ratio_ci95_high", "p", "verdict"]
        {
            header.push(format!("{m}_{s}"));
        }
    }
    for s in ["a_mean", "b_mean", "diff", "diff_ci95_low", "diff_ci95_high", "p"] {
        header.push(format!("test_accuracy_{s}"));
    }
    header.push("machines".into());
    w.write_record(&header)?;
    let machines = if c.machines.unknown() {
        "unknown".to_string()
    } else if c.machines.same() {
        "same".to_string()
    } else {
        format!("different: {} vs {}", c.machines.a.join(";"), c.machines.b.join(";"))
    };
    for l in &c.lines {
        let mut row = vec![
            l.config_id.clone(),
            "both".into(),
            l.label.clone(),
            l.n_a.to_string(),
            l.n_b.to_string(),
        ];
        for m in &l.measures {
            row.extend([
                cell(m.mean_a),
                cell(m.mean_b),
                cell(m.ratio),
                cell(m.ci.and_then(|c| c.low)),
                cell(m.ci.and_then(|c| c.high)),
                cell(m.ci.map(|c| c.p)),
                m.verdict.word().to_string(),
            ]);
        }
        let d = l.accuracy_diff;
        let diff = d.map(|d| d.0).or_else(|| l.accuracy_a.zip(l.accuracy_b).map(|(a, b)| b - a));
        row.extend([
            cell(l.accuracy_a),
            cell(l.accuracy_b),
            cell(diff),
            cell(d.map(|d| d.1)),
            cell(d.map(|d| d.2)),
            cell(d.map(|d| d.3)),
            machines.clone(),
        ]);
        w.write_record(&row)?;
    }
    let width = header.len();
    for o in &c.one_side {
        let (na, nb) = if o.side == "A" {
            (o.n.to_string(), String::new())
        } else {
            (String::new(), o.n.to_string())
        };
        let mut row =
            vec![o.config_id.clone(), format!("{} only", o.side), o.label.clone(), na, nb];
        row.resize(width - 1, String::new());
        row.push(machines.clone());
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))
}

/// Compare the sweeps in `a` and `b`; write compare.csv and compare.md into `out` (default
/// `b`); the text for stdout. Different machines are an error unless `force`.
pub(crate) fn run_compare(a: &Path, b: &Path, out: Option<&Path>, force: bool) -> Result<String> {
    let (da, db) = (load_report_data(a)?, load_report_data(b)?);
    let m = machines(a, &da.results, b, &db.results);
    if two_machines(&m) && !force {
        let fields = if m.differences.is_empty() {
            "machine.json is missing on a side, so the fields that differ are not known".to_string()
        } else {
            format!("they differ in {}", m.differences.join("; "))
        };
        anyhow::bail!(
            "{} and {} were measured on different machines (A: {}; B: {}): {fields}. Their joules are not comparable; compare sweeps from one machine, or pass --force to compare anyway (every line then says so)",
            a.display(),
            b.display(),
            m.a.join(", "),
            m.b.join(", ")
        );
    }
    let c = compare(&da.results, &db.results, m);
    let dir: PathBuf = out.unwrap_or(b).to_path_buf();
    std::fs::create_dir_all(&dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot create ({e})", dir.display()))?;
    write_atomic(&dir.join("compare.csv"), &render_csv(&c)?)?;
    write_atomic(&dir.join("compare.md"), render_md(&c, a, b).as_bytes())?;
    Ok(render_text(&c, a, b))
}

#[cfg(test)]
#[path = "tests/compare_out.rs"]
mod tests;
