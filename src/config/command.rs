//! `[command]`: the program a `backend = "command"` trial runs instead of a built-in model, its
//! `{key}` templates, and how its metrics are read. Parsed and checked here (every problem named
//! by its key); run by `runner::command`.

use crate::names::nearest;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Keys of the `[command]` table.
pub(crate) const COMMAND_KEYS: [&str; 8] =
    ["argv", "env", "workdir", "timeout_s", "inputs", "metric_regex", "metric_scale", "settings"];

/// Metrics a `metric_regex` may read from the command's output.
pub(crate) const METRICS: [&str; 3] = ["test_accuracy", "train_loss", "train_images"];

/// Names a grid may not give its own keys: wattsweep sets `WATTSWEEP_<KEY>` for them itself.
pub(crate) const RESERVED: [&str; 6] =
    ["trial_id", "out", "data_dir", "checkpoint_dir", "supervisor_parent", "log_cap_bytes"];

/// Placeholders every command template may use besides the trial's settings.
pub(crate) const EXTRA_PLACEHOLDERS: [&str; 1] = ["trial_id"];

/// A validated `[command]` table.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CommandSpec {
    /// The program and its arguments, each a template (`{key}` → the trial's value); run
    /// without a shell.
    pub argv: Vec<String>,
    /// Extra environment variables (templates), sorted by name.
    pub env: Vec<(String, String)>,
    /// Where the command runs: `workdir` relative to the grid file's folder (default: that
    /// folder).
    pub workdir: PathBuf,
    /// Per-trial time limit in seconds.
    pub timeout_s: Option<f64>,
    /// Input files as written, with their SHA-256 (hex).
    pub inputs: Vec<(String, String)>,
    /// `metric_regex`: metric → regular expression whose first group is the value (last match
    /// wins).
    pub metric_regex: Vec<(String, String)>,
    /// `metric_scale`: metric → factor applied to what the regex read.
    pub metric_scale: Vec<(String, f64)>,
    /// Keys declared in `settings = [...]`: the grid may set them although no template names
    /// them (the program reads them from `WATTSWEEP_<KEY>`).
    pub settings: Vec<String>,
    /// 12 hex digits of the SHA-256 of argv, env and the inputs' digests: part of every command
    /// trial's id.
    pub digest: String,
}

impl CommandSpec {
    /// Every `{key}` the templates name (sorted, deduplicated).
    pub(crate) fn placeholders(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .argv
            .iter()
            .chain(self.env.iter().map(|(_, v)| v))
            .filter_map(|t| placeholders(t).ok())
            .flatten()
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Whether the command uses grid key `key` (a template names it, or `settings` declares it).
    pub(crate) fn uses(&self, key: &str) -> bool {
        self.settings.iter().any(|k| k == key) || self.placeholders().iter().any(|k| k == key)
    }

    /// The scale of a metric read by its regex (1 when not given).
    pub(crate) fn scale(&self, metric: &str) -> f64 {
        self.metric_scale.iter().find(|(m, _)| m == metric).map_or(1.0, |(_, s)| *s)
    }
}

/// The `{key}` names in a template; `{{` and `}}` are literal braces.
pub(crate) fn placeholders(template: &str) -> Result<Vec<String>, String> {
    let mut keys = Vec::new();
    substitute_with(template, &mut |k| {
        keys.push(k.to_string());
        Some(String::new())
    })?;
    Ok(keys)
}

/// Replace each `{key}` by `lookup(key)`, inside the one string: the value is never split or
/// re-parsed, whatever it contains. `Err` names an unbalanced brace or a key `lookup` lacks.
pub(crate) fn substitute(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    substitute_with(template, &mut |k| lookup(k))
}

fn substitute_with(
    template: &str,
    lookup: &mut dyn FnMut(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('}') {
            return Err(format!("`{template}`: a lone `}}` (write `}}}}` for a literal brace)"));
        }
        let Some(end) = tail.find('}') else {
            return Err(format!(
                "`{template}`: `{{` without a closing `}}` (write `{{{{` for a literal brace)"
            ));
        };
        let key = &tail[1..end];
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("`{template}`: `{{{key}}}` is not a setting name"));
        }
        match lookup(key) {
            Some(v) => out.push_str(&v),
            None => return Err(format!("`{template}`: unknown `{{{key}}}`")),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Parse `[command]`. `grid_dir` is the grid file's folder; `known` are the keys a template may
/// name (the trial settings, the grid's own keys and [`EXTRA_PLACEHOLDERS`]). Each problem is
/// pushed as (key, message).
pub(crate) fn parse_command(
    t: &toml::Table,
    grid_dir: &Path,
    known: &[String],
    problems: &mut Vec<(String, String)>,
) -> Option<CommandSpec> {
    let before = problems.len();
    let mut problem = |key: String, message: String| problems.push((key, message));
    let mut argv = Vec::new();
    let mut env = Vec::new();
    let mut workdir = grid_dir.to_path_buf();
    let mut timeout_s = None;
    let mut inputs_raw: Vec<String> = Vec::new();
    let mut metric_regex = Vec::new();
    let mut metric_scale = Vec::new();
    let mut settings = Vec::new();
    let strings = |v: &toml::Value| -> Option<Vec<String>> {
        v.as_array()?.iter().map(|x| x.as_str().map(String::from)).collect()
    };
    for (k, v) in t {
        let at = format!("command.{k}");
        match k.as_str() {
            "argv" => match strings(v) {
                Some(a) if !a.is_empty() && !a[0].is_empty() => argv = a,
                Some(_) => problem(at, "must name a program: a non-empty list of strings, e.g. [\"python3\", \"train.py\"]".into()),
                None => problem(at, format!("must be a list of strings (run without a shell), found {v}")),
            },
            "env" => match v.as_table() {
                Some(vars) => {
                    for (name, x) in vars {
                        let valid_name = !name.is_empty()
                            && !name.starts_with(|c: char| c.is_ascii_digit())
                            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                        match x.as_str() {
                            _ if !valid_name => problem(
                                format!("{at}.{name}"),
                                "is not a valid environment variable name (letters, digits, `_`)".into(),
                            ),
                            Some(s) => env.push((name.clone(), s.to_string())),
                            None => problem(format!("{at}.{name}"), format!("must be a string, found {x}")),
                        }
                    }
                }
                None => problem(at, format!("must be a table of strings, e.g. env = {{ OMP_NUM_THREADS = \"{{threads}}\" }}, found {v}")),
            },
            "workdir" => match v.as_str() {
                Some(d) if !d.is_empty() => workdir = grid_dir.join(d),
                _ => problem(at, format!("must be a folder path (relative to the grid file's folder), found {v}")),
            },
            "timeout_s" => match v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
                Some(x) if x.is_finite() && x > 0.0 && x <= 1e7 => timeout_s = Some(x),
                _ => problem(format!("{at} = {v}"), "must be a number of seconds > 0 (at most 10000000)".into()),
            },
            "inputs" => match strings(v) {
                Some(a) => inputs_raw = a,
                None => problem(at, format!("must be a list of file paths, found {v}")),
            },
            "settings" => match strings(v) {
                Some(a) => settings = a,
                None => problem(at, format!("must be a list of setting names, found {v}")),
            },
            "metric_regex" | "metric_scale" => {
                let Some(m) = v.as_table() else {
                    problem(at, format!("must be a table, e.g. {k} = {{ test_accuracy = ... }}, found {v}"));
                    continue;
                };
                for (metric, x) in m {
                    let mat = format!("{at}.{metric}");
                    if !METRICS.contains(&metric.as_str()) {
                        problem(mat, format!("unknown metric; valid: {}{}", METRICS.join(", "), nearest(metric, METRICS.iter().copied())));
                        continue;
                    }
                    if k == "metric_regex" {
                        match x.as_str().map(regex::Regex::new) {
                            Some(Ok(re)) if re.captures_len() >= 2 => metric_regex.push((metric.clone(), x.as_str().unwrap_or_default().to_string())),
                            Some(Ok(_)) => problem(mat, "needs a capture group around the number, e.g. 'Accuracy: ([0-9.]+)'".into()),
                            Some(Err(e)) => problem(mat, format!("invalid regular expression: {}", e.to_string().replace('\n', " "))),
                            None => problem(mat, format!("must be a string (a regular expression), found {x}")),
                        }
                    } else {
                        match x.as_float().or_else(|| x.as_integer().map(|i| i as f64)) {
                            Some(s) if s.is_finite() && s != 0.0 => metric_scale.push((metric.clone(), s)),
                            _ => problem(format!("{mat} = {x}"), "must be a non-zero number".into()),
                        }
                    }
                }
            }
            other => problem(at, format!("unknown key; valid: {}{}", COMMAND_KEYS.join(", "), nearest(other, COMMAND_KEYS.iter().copied()))),
        }
    }
    if !t.contains_key("argv") {
        problem("command.argv".into(), "missing: the program to run, e.g. argv = [\"python3\", \"train.py\", \"--lr\", \"{learning_rate}\"]".into());
    }
    for (m, _) in &metric_scale {
        if !metric_regex.iter().any(|(r, _)| r == m) {
            problem(
                format!("command.metric_scale.{m}"),
                format!("scales what metric_regex.{m} reads, but there is no metric_regex.{m}"),
            );
        }
    }
    // Every placeholder must name something a trial has.
    let templates = argv
        .iter()
        .map(|a| ("command.argv".to_string(), a))
        .chain(env.iter().map(|(n, v)| (format!("command.env.{n}"), v)));
    for (at, tpl) in templates {
        match placeholders(tpl) {
            Ok(keys) => {
                for key in keys {
                    if !known.contains(&key) {
                        problem(
                            at.clone(),
                            format!(
                                "unknown `{{{key}}}`: no setting of this grid is called `{key}`{}",
                                nearest(&key, known.iter().map(String::as_str))
                            ),
                        );
                    }
                }
            }
            Err(e) => problem(at, e),
        }
    }
    if !workdir.is_dir() {
        problem("command.workdir".into(), format!("{}: no such folder", workdir.display()));
    }
    let mut inputs = Vec::new();
    for (i, f) in inputs_raw.iter().enumerate() {
        let path = workdir.join(f);
        match std::fs::read(&path) {
            Ok(bytes) => inputs.push((f.clone(), hex::encode(Sha256::digest(&bytes)))),
            Err(e) => problem(
                format!("command.inputs[{i}] = \"{f}\""),
                format!("{}: {e}", path.display()),
            ),
        }
    }
    env.sort();
    if problems.len() > before {
        return None;
    }
    let mut h = Sha256::new();
    for a in &argv {
        h.update(b"argv\0");
        h.update(a.as_bytes());
        h.update(b"\0");
    }
    for (n, v) in &env {
        h.update(format!("env\0{n}\0{v}\0").as_bytes());
    }
    for (f, sha) in &inputs {
        h.update(format!("input\0{f}\0{sha}\0").as_bytes());
    }
    let digest = hex::encode(&h.finalize()[..6]);
    Some(CommandSpec {
        argv,
        env,
        workdir,
        timeout_s,
        inputs,
        metric_regex,
        metric_scale,
        settings,
        digest,
    })
}
