//! Idle power: the meter read over a quiet interval before the trials run, so rows can give
//! energy above idle (`net_energy_j`).

use super::interrupt::Interrupt;
use crate::energy::Meter;

/// Idle power of the measured domains over `idle_s` seconds before the first trial.
pub(super) fn measure_idle(meter: &Meter, idle_s: f64, interrupt: &Interrupt) -> Option<f64> {
    if idle_s <= 0.0 {
        return None;
    }
    tracing::info!("measuring idle power for {idle_s} s");
    let start = meter.read();
    let until = std::time::Instant::now() + std::time::Duration::from_secs_f64(idle_s);
    while std::time::Instant::now() < until && !interrupt.requested() {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let w = meter.read().since(&start);
    (w.duration_s > 0.0).then(|| w.energy_j / w.duration_s)
}
