//! Peak resident memory of this process, per trial: the kernel's high-water mark (VmHWM), which
//! writing `5` to `/proc/self/clear_refs` resets (Linux ≥ 4.0). Off Linux both are no-ops.

/// Reset the peak-RSS mark so the next reading covers only what follows.
///
/// The binary's allocator (mimalloc, purging off) keeps freed memory; it is handed back to the
/// kernel first, or every trial would inherit the resident size of the largest one before it.
pub(crate) fn reset_peak_rss() {
    // SAFETY: mimalloc's option and collect calls have no preconditions; with another global
    // allocator (the library's tests) they find nothing to do.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
        libmimalloc_sys::mi_collect(true);
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
    }
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory since the last reset, MiB.
pub(crate) fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// `mi_option_purge_delay` in mimalloc v3's `mimalloc.h` (the enum entry after
/// `mi_option_deprecated_eager_commit_delay` = 14); the Rust bindings do not name it.
pub(crate) const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keep freed memory instead of returning it to the kernel 10 ms later (mimalloc's default):
/// training frees and reallocates the same tensor sizes every batch, and page-faulting them back
/// in cost about a quarter of CNN training time in `perf`.
pub(crate) fn keep_freed_memory() {
    // SAFETY: setting an option has no preconditions.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}
