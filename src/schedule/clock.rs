//! The clock a scheduled sweep lives by: `--now` fixes "now" (for tests and what-ifs), and time
//! goes on from it at the real pace; each trial's carbon intensity is the forecast's at the
//! trial's start on that clock (the `[energy]` constant without a forecast, or outside it).

use super::forecast::Forecast;
use chrono::{DateTime, FixedOffset, Local, TimeDelta};

#[derive(Clone, Debug)]
pub(crate) struct CarbonClock {
    forecast: Option<Forecast>,
    /// `--now` − the real time when the sweep started (zero without `--now`).
    offset: TimeDelta,
    fallback_g_per_kwh: f64,
}

/// The real time now, with the local zone.
pub(crate) fn real_now() -> DateTime<FixedOffset> {
    Local::now().fixed_offset()
}

impl CarbonClock {
    pub(crate) fn new(
        forecast: Option<Forecast>,
        now: Option<DateTime<FixedOffset>>,
        fallback_g_per_kwh: f64,
    ) -> CarbonClock {
        let offset = now.map_or(TimeDelta::zero(), |n| n - real_now());
        CarbonClock { forecast, offset, fallback_g_per_kwh }
    }

    /// The intensity, g/kWh, for a trial that started at the real time `started_at` (RFC 3339).
    pub(crate) fn intensity(&self, started_at: &str) -> f64 {
        let t = DateTime::parse_from_rfc3339(started_at).unwrap_or_else(|_| real_now());
        self.forecast
            .as_ref()
            .and_then(|f| f.at(t + self.offset))
            .unwrap_or(self.fallback_g_per_kwh)
    }
}

/// Wait until `start`, `now` being the clock's time at the call: sleeps start − now of real
/// time, with a countdown in the log every minute. `false` when Ctrl-C or SIGTERM came first
/// (nothing has been run or written).
pub(crate) fn wait_until(
    start: DateTime<FixedOffset>,
    now: DateTime<FixedOffset>,
) -> anyhow::Result<bool> {
    let Ok(total) = (start - now).to_std() else { return Ok(true) };
    if total.is_zero() {
        return Ok(true);
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, std::sync::Arc::clone(&stop))?;
    }
    let began = std::time::Instant::now();
    let mut next_note = std::time::Duration::ZERO;
    while began.elapsed() < total {
        if stop.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(false);
        }
        if began.elapsed() >= next_note {
            let left = total.saturating_sub(began.elapsed()).as_secs();
            tracing::info!(
                "waiting for the scheduled start at {}: {}:{:02}:{:02} left (Ctrl-C exits; running again re-plans)",
                start.to_rfc3339(),
                left / 3600,
                left / 60 % 60,
                left % 60
            );
            next_note += std::time::Duration::from_secs(60);
        }
        std::thread::sleep(
            std::time::Duration::from_millis(200).min(total.saturating_sub(began.elapsed())),
        );
    }
    Ok(!stop.load(std::sync::atomic::Ordering::SeqCst))
}
