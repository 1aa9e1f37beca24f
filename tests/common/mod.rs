//! Helpers shared by the integration test binaries.

// Each test binary uses some of these helpers, not all.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// A fake powercap tree with one package zone whose counter a thread advances at `watts`,
/// wrapping at `max_uj`, the way the kernel's counter does.
pub struct FakeRapl {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// While set, the counter stands still (a stalled firmware counter).
    pub frozen: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeRapl {
    pub fn start(root: &Path, watts: f64, max_uj: u64) -> FakeRapl {
        let zone = root.join("intel-rapl:0");
        std::fs::create_dir_all(&zone).unwrap();
        std::fs::write(zone.join("name"), "package-0\n").unwrap();
        std::fs::write(zone.join("max_energy_range_uj"), format!("{max_uj}\n")).unwrap();
        std::fs::write(zone.join("energy_uj"), "123456\n").unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let frozen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let freeze = frozen.clone();
        let thread = std::thread::spawn(move || {
            let t0 = Instant::now();
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                if freeze.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
                let uj =
                    (123456.0 + watts * t0.elapsed().as_secs_f64() * 1e6) as u64 % (max_uj + 1);
                // Rename so a reader never sees a half-written number.
                let tmp = zone.join(".energy_uj.tmp");
                std::fs::write(&tmp, format!("{uj}\n")).unwrap();
                std::fs::rename(&tmp, zone.join("energy_uj")).unwrap();
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        FakeRapl { stop, frozen, thread: Some(thread) }
    }
}

impl Drop for FakeRapl {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A CSV file's rows, each a map from column name to cell.
pub fn csv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            headers.iter().map(String::from).zip(r.unwrap().iter().map(String::from)).collect()
        })
        .collect()
}
