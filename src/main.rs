//! Thin entry point: parse the command line, set up logging, dispatch, map errors to exit codes
//! (0 all trials ok, 1 some trial failed, 2 usage/config/setup error, 130 interrupted).

use clap::Parser;
use std::process::ExitCode;
use wattsweep::cli::Cli;

mod commands;

/// See Cargo.toml: avoids a page-fault storm from per-batch tensor allocations.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mimalloc.h` (the enum entry after
/// `mi_option_eager_commit_delay` = 14); the Rust bindings do not name it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Keep freed memory instead of returning it to the kernel after 10 ms: training frees and
    // reallocates the same tensor sizes every batch, and re-faulting them cost ~25 % of CNN time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    match commands::dispatch(cli.command, cli.quiet) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("wattsweep={default},warn")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .init();
}
