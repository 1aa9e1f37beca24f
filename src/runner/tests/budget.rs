//! Budget arithmetic.

use super::*;

#[test]
fn energy_and_time_limits_say_which_one_was_reached() {
    let b = BudgetState::new(Budget { max_energy_j: Some(100.0), max_time_s: None });
    assert_eq!(b.reached(), None);
    b.add(60.0);
    b.add(f64::NAN);
    assert_eq!(b.reached(), None);
    b.add(45.5);
    let msg = b.reached().unwrap();
    assert!(msg.contains("max_energy_j = 100 J") && msg.contains("105.5 J"), "{msg}");
    let t = BudgetState::new(Budget { max_energy_j: None, max_time_s: Some(0.01) });
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert!(t.reached().unwrap().contains("max_time_s = 0.01 s"));
    assert_eq!(BudgetState::new(Budget::default()).reached(), None, "no [budget]: no limit");
}
