//! The event protocol of command trials: a line of the command's stdout or stderr that starts
//! with `wattsweep:` followed by one JSON object.
//!
//! ```text
//! wattsweep: {"phase": "train"}                                     a phase starts
//! wattsweep: {"epoch": 3, "test_accuracy": 0.97, "train_loss": 0.1} an epoch ended
//! wattsweep: {"test_accuracy": 0.98, "train_images": 60000}         final metrics
//! ```
//!
//! An optional `"t"` (Unix seconds) dates an event written late. Python's `NaN` and `Infinity`
//! (which `json.dumps` writes) are accepted: a NaN metric makes the trial `diverged`.

/// The prefix of an event line.
pub(super) const PREFIX: &str = "wattsweep:";

/// A phase of a command trial, as its events name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CmdPhase {
    Setup,
    Train,
    Eval,
    Infer,
}

impl CmdPhase {
    pub(super) const NAMES: [&str; 4] = ["setup", "train", "eval", "infer"];

    fn parse(s: &str) -> Option<CmdPhase> {
        match s {
            "setup" => Some(CmdPhase::Setup),
            "train" => Some(CmdPhase::Train),
            "eval" => Some(CmdPhase::Eval),
            "infer" => Some(CmdPhase::Infer),
            _ => None,
        }
    }
}

/// One event line, parsed.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Event {
    pub phase: Option<CmdPhase>,
    pub epoch: Option<usize>,
    pub test_accuracy: Option<f64>,
    pub train_loss: Option<f64>,
    pub train_images: Option<usize>,
    pub infer_images: Option<usize>,
    /// When the event happened (Unix seconds), if the line says.
    pub t: Option<f64>,
    /// Keys the protocol does not know (reported in the trial's log).
    pub unknown: Vec<String>,
}

/// `None`: not an event line. `Some(Err)`: an event line that is wrong (said in the log).
pub(super) fn parse_line(line: &str) -> Option<Result<Event, String>> {
    let body = line.trim_start().strip_prefix(PREFIX)?.trim();
    Some(parse_body(body))
}

fn parse_body(body: &str) -> Result<Event, String> {
    let value: serde_json::Value = match serde_json::from_str(body) {
        Ok(v) => v,
        // json.dumps writes NaN, Infinity and -Infinity bare: read them as strings.
        Err(e) => {
            serde_json::from_str(&quote_non_finite(body)).map_err(|_| format!("not JSON: {e}"))?
        }
    };
    let serde_json::Value::Object(map) = value else {
        return Err("must be one JSON object, e.g. {\"phase\": \"train\"}".into());
    };
    let mut ev = Event::default();
    for (k, v) in &map {
        let number = || -> Result<f64, String> {
            match v {
                serde_json::Value::Number(n) => {
                    n.as_f64().ok_or_else(|| format!("{k}: not a number"))
                }
                serde_json::Value::String(s) => match s.as_str() {
                    "NaN" => Ok(f64::NAN),
                    "Infinity" => Ok(f64::INFINITY),
                    "-Infinity" => Ok(f64::NEG_INFINITY),
                    _ => Err(format!("{k} must be a number, found \"{s}\"")),
                },
                other => Err(format!("{k} must be a number, found {other}")),
            }
        };
        let count = || -> Result<usize, String> {
            match v.as_u64() {
                Some(n) => Ok(n as usize),
                None => Err(format!("{k} must be a whole number ≥ 0, found {v}")),
            }
        };
        match k.as_str() {
            "phase" => {
                let name = v.as_str().unwrap_or_default();
                ev.phase = Some(CmdPhase::parse(name).ok_or_else(|| {
                    format!("phase must be one of {}, found {v}", CmdPhase::NAMES.join(", "))
                })?);
            }
            "epoch" => match count()? {
                0 => return Err("epoch counts from 1".into()),
                n => ev.epoch = Some(n),
            },
            "test_accuracy" => ev.test_accuracy = Some(number()?),
            "train_loss" => ev.train_loss = Some(number()?),
            "train_images" => ev.train_images = Some(count()?),
            "infer_images" => ev.infer_images = Some(count()?),
            "t" => ev.t = Some(number()?).filter(|t| t.is_finite()),
            other => ev.unknown.push(other.to_string()),
        }
    }
    Ok(ev)
}

/// Bare `NaN`, `Infinity`, `-Infinity` outside strings → quoted.
fn quote_non_finite(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 8);
    let (mut in_str, mut escaped) = (false, false);
    let mut rest = body;
    while let Some(c) = rest.chars().next() {
        if !in_str
            && let Some(tok) =
                ["-Infinity", "Infinity", "NaN"].iter().find(|t| rest.starts_with(**t))
        {
            out.push('"');
            out.push_str(tok);
            out.push('"');
            rest = &rest[tok.len()..];
            continue;
        }
        if in_str {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
#[path = "tests/protocol.rs"]
mod tests;
