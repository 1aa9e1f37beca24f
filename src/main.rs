//! Thin entry point: the program is `commands::main` (parse, log, dispatch, exit code).

/// Tensors of a few MiB are allocated and freed every batch; mimalloc keeps them instead of
/// handing them back to the kernel and page-faulting them in again (see Cargo.toml).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    wattsweep::commands::main()
}
