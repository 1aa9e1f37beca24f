//! The architecture docs/architecture.md describes, checked on the source tree itself: no import cycles
//! between files, and the results store below everything that writes rows (only `commands`
//! uses `report`). An import is a `crate::…` or `super::…` path, or, in a `mod.rs`/`lib.rs`,
//! a `use child::…`; it points at the file of the longest module prefix it names. Declaring a
//! module (`mod x;`) is structure, not an import. Test files (under `tests/`) are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "tests") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/energy/rapl/read.rs` → ["energy", "rapl", "read"]; `mod.rs`, `lib.rs`, `main.rs` name
/// their folder.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> =
        rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// Paths after `crate::`/`super::` (and a mod file's own children), brace groups expanded.
fn imported_paths(
    text: &str,
    base_for_super: &[String],
    here: &[String],
    is_mod_file: bool,
) -> Vec<Vec<String>> {
    let code: String =
        text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident(bytes[i]) || (i > 0 && (is_ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_ident(bytes[i]) {
            i += 1;
        }
        let word = &code[start..i];
        let prefix: Vec<String> = match word {
            "crate" => Vec::new(),
            "super" => base_for_super.to_vec(),
            w if is_mod_file && code[..start].trim_end().ends_with("use") => {
                let mut p = here.to_vec();
                p.push(w.to_string());
                p
            }
            _ => continue,
        };
        if !code[i..].starts_with("::") {
            continue; // `pub(crate)`, `pub(super)`: visibility, not a path
        }
        let (paths, end) = path_tail(&code, i, prefix);
        found.extend(paths);
        i = end;
    }
    found
}

/// Parse `::a::b`, `::{a, b::c}` after position `i`, each path starting with `prefix`.
fn path_tail(code: &str, mut i: usize, mut prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    let b = code.as_bytes();
    while code[i..].starts_with("::") {
        i += 2;
        if b.get(i) == Some(&b'{') {
            let mut depth = 0;
            let start = i + 1;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            let mut out = Vec::new();
            for item in split_top_level(&code[start..j.min(b.len())]) {
                let item = item.trim();
                let first: String =
                    item.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if first.is_empty() || first == "self" {
                    out.push(prefix.clone());
                    continue;
                }
                let mut p = prefix.clone();
                p.push(first.clone());
                let (sub, _) = path_tail(item, first.len(), p);
                out.extend(sub);
            }
            return (out, j + 1);
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        if start == i {
            break;
        }
        prefix.push(code[start..i].to_string());
    }
    (vec![prefix], i)
}

fn split_top_level(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0, 0, Vec::new());
    for (k, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn import_graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeMap<Vec<String>, String> = files
        .iter()
        .filter(|f| !f.ends_with("main.rs"))
        .map(|f| (module_path(&src, f), f.strip_prefix(&src).unwrap().display().to_string()))
        .collect();
    let mut graph = Graph::new();
    for file in &files {
        let name = file.strip_prefix(&src).unwrap().display().to_string();
        let here = module_path(&src, file);
        let is_mod_file = name.ends_with("mod.rs") || name == "lib.rs";
        // `super` in a.rs is a's parent; in a/mod.rs it is also a's parent.
        let parent = here[..here.len().saturating_sub(1)].to_vec();
        let text = std::fs::read_to_string(file).unwrap();
        let deps = graph.entry(name.clone()).or_default();
        for path in imported_paths(&text, &parent, &here, is_mod_file) {
            let target = (1..=path.len()).rev().find_map(|n| modules.get(&path[..n]));
            if let Some(t) = target.filter(|t| **t != name) {
                deps.insert(t.clone());
            }
        }
    }
    graph
}

fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &Graph,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            match state.get(d.as_str()).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|s| s == d).unwrap();
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(d.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(d, g, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    graph.keys().find_map(|n| {
        if state.contains_key(n.as_str()) {
            None
        } else {
            visit(n, graph, &mut state, &mut Vec::new())
        }
    })
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let graph = import_graph();
    assert!(graph.len() > 50, "the scan found only {} files", graph.len());
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle: {}", cycle.join(" → "));
    }
}

#[test]
fn the_scan_sees_imports_and_would_see_a_cycle() {
    let graph = import_graph();
    let deps = |f: &str| graph.get(f).unwrap_or_else(|| panic!("{f} not scanned"));
    assert!(deps("runner/sweep.rs").contains("results/mod.rs"), "{:?}", deps("runner/sweep.rs"));
    assert!(deps("runner/mod.rs").contains("runner/sweep.rs"), "re-exports count");
    assert!(deps("energy/rapl/discover.rs").contains("energy/rapl/dedupe.rs"));
    assert!(deps("energy/rapl/mod.rs").contains("energy/rapl/discover.rs"), "re-exports count");
    let mut with_cycle = graph.clone();
    with_cycle.get_mut("energy/rapl/zone.rs").unwrap().insert("energy/rapl/discover.rs".into());
    assert!(find_cycle(&with_cycle).is_some());
}

#[test]
fn only_commands_uses_the_report() {
    for (file, deps) in import_graph() {
        let uses_report = deps.iter().any(|d| d.starts_with("report/"));
        let allowed = file == "commands.rs" || file.starts_with("report/");
        assert!(!uses_report || allowed, "{file} imports the report: {deps:?}");
    }
}

#[test]
fn a_mod_rs_only_declares_and_no_file_grows_past_600_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for f in files {
        let lines = std::fs::read_to_string(&f).unwrap().lines().count();
        let name = f.strip_prefix(&src).unwrap().display().to_string();
        assert!(lines <= 600, "{name}: {lines} lines (split it by concern)");
        if f.file_name().is_some_and(|n| n == "mod.rs") {
            assert!(lines <= 60, "{name}: {lines} lines; a mod.rs only declares and re-exports");
        }
    }
}
