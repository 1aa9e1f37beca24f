//! Peak resident memory of this process, per trial: the kernel's high-water mark (VmHWM), which
//! writing `5` to `/proc/self/clear_refs` resets (Linux ≥ 4.0). Off Linux both are no-ops.

/// Reset the peak-RSS mark so the next reading covers only what follows.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory since the last reset, MiB.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
