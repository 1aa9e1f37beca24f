//! A command's output: its lines read off a pipe (cut at a length cap), and its capped log
//! (`<out>/logs/<trial_id>.log`).

use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

/// The default cap on a trial's log (`<out>/logs/<trial_id>.log`).
pub(super) const LOG_CAP_BYTES: u64 = 64 << 20;
/// The longest line kept; the rest of a longer line is dropped (counted in the log).
pub(super) const LINE_CAP_BYTES: usize = 1 << 20;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Stream {
    Out,
    Err,
}

pub(super) enum Msg {
    Line(Stream, String, Instant),
    Closed,
}

/// The capped log file.
pub(super) struct Log {
    file: Option<std::fs::File>,
    written: u64,
    cap: u64,
    cut: bool,
}

impl Log {
    /// `append`: a later rung of the same trial goes on in the same log (and the cap counts
    /// what is there).
    pub(super) fn open(path: Option<&Path>, cap: u64, append: bool) -> anyhow::Result<Log> {
        let (file, written) = match path {
            Some(p) => {
                if let Some(dir) = p.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .write(true)
                    .append(append)
                    .truncate(!append)
                    .open(p)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
                let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                (Some(f), len)
            }
            None => (None, 0),
        };
        Ok(Log { file, written, cap, cut: written > cap })
    }

    pub(super) fn line(&mut self, text: &str) {
        let Some(f) = &mut self.file else { return };
        if self.cut {
            return;
        }
        let n = text.len() as u64 + 1;
        if self.written + n > self.cap {
            let _ = writeln!(
                f,
                "[wattsweep] log cut here at {} bytes (cap {} bytes): later output was not kept",
                self.written, self.cap
            );
            self.cut = true;
            return;
        }
        // A full disk must not stop the trial: its log is a convenience.
        if writeln!(f, "{text}").is_ok() {
            self.written += n;
        }
    }
}

/// Read `pipe` line by line into `tx` (lines longer than the cap are cut, the rest of them
/// dropped); a thread of its own, which ends when the pipe closes.
pub(super) fn read_lines(mut pipe: impl Read, stream: Stream, tx: mpsc::Sender<Msg>) {
    let mut buf = vec![0u8; 64 << 10];
    let mut line: Vec<u8> = Vec::new();
    let mut dropped = 0usize;
    let emit = |line: &mut Vec<u8>, dropped: &mut usize| {
        let mut text = String::from_utf8_lossy(line).trim_end_matches('\r').to_string();
        if *dropped > 0 {
            text.push_str(&format!(" [wattsweep: {} more bytes of this line dropped]", dropped));
        }
        line.clear();
        *dropped = 0;
        tx.send(Msg::Line(stream, text, Instant::now())).is_ok()
    };
    loop {
        let n = match pipe.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut rest = &buf[..n];
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            let room = LINE_CAP_BYTES.saturating_sub(line.len());
            line.extend_from_slice(&rest[..i.min(room)]);
            dropped += i.saturating_sub(room);
            if !emit(&mut line, &mut dropped) {
                return;
            }
            rest = &rest[i + 1..];
        }
        let room = LINE_CAP_BYTES.saturating_sub(line.len());
        line.extend_from_slice(&rest[..rest.len().min(room)]);
        dropped += rest.len().saturating_sub(room);
    }
    if !line.is_empty() || dropped > 0 {
        emit(&mut line, &mut dropped);
    }
    let _ = tx.send(Msg::Closed);
}

#[cfg(test)]
#[path = "tests/output.rs"]
mod tests;
