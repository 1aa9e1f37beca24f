use super::*;

#[test]
fn first_update_has_no_delta_then_plain_differences() {
    let mut c = CounterDiff::with_max_value(1_000_000);
    assert_eq!(c.update(500), CounterUpdate::First);
    assert_eq!(c.update(800), CounterUpdate::Difference(300));
    assert_eq!(c.update(800), CounterUpdate::Difference(0));
    assert_eq!(c.update(999_999).delta(), 999_199);
}

#[test]
fn wrap_counts_modulo_max_plus_one() {
    let mut c = CounterDiff::with_max_value(1_000);
    c.update(990);
    // 990 -> 1000 is 10, 1000 -> 0 is 1 (the wrap step), 0 -> 5 is 5.
    assert_eq!(c.update(5), CounterUpdate::Wrapped(16));
    // Wrapping exactly onto 0 from the maximum is one step.
    let mut c = CounterDiff::with_max_value(1_000);
    c.update(1_000);
    assert_eq!(c.update(0), CounterUpdate::Wrapped(1));
}

#[test]
fn unknown_range_treats_decrease_as_reset() {
    let mut c = CounterDiff::with_max_value(0);
    c.update(700);
    assert_eq!(c.update(40), CounterUpdate::Wrapped(40));
}

#[test]
fn safe_interval_is_half_the_fastest_wrap() {
    // 262 143 328 850 µJ (2^32 units of 61.035 µJ) at 1000 W wraps in 262.1 s.
    let d = min_safe_interval(262_143_328_850, MAX_ZONE_POWER_W);
    assert!((d.as_secs_f64() - 131.071_664_425).abs() < 1e-6, "{d:?}");
    // A tiny range forces sub-second sampling.
    let d = min_safe_interval(50_000_000, 1000.0);
    assert_eq!(d, Duration::from_millis(25));
    assert_eq!(min_safe_interval(0, 1000.0), Duration::from_millis(100));
}
