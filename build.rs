//! Records the Burn version resolved in Cargo.lock (WATTSWEEP_BURN_VERSION), so run.json names
//! the version that was really built instead of a copy that can drift from Cargo.toml.

fn main() {
    println!("cargo:rerun-if-changed=Cargo.lock");
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let version = lock
        .split("[[package]]")
        .find(|p| p.lines().any(|l| l.trim() == "name = \"burn\""))
        .and_then(|p| p.lines().find_map(|l| l.trim().strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=WATTSWEEP_BURN_VERSION={version}");
}
