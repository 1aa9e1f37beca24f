use super::*;
use std::time::SystemTime;

#[test]
fn an_event_dated_absurdly_far_ahead_or_back_does_not_panic() {
    let meter = crate::energy::Meter::start(crate::energy::EnergyOptions {
        powercap_root: "/nonexistent".into(),
        use_nvml: false,
        ..Default::default()
    });
    let h = History {
        readings: VecDeque::from([(SystemTime::now(), meter.read())]),
        last: Instant::now(),
        period: Duration::from_millis(100),
    };
    for t in [1e20, 1e300, -5.0, 0.0] {
        let _ = h.at(Some(t), &meter);
    }
}
