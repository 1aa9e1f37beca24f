use super::*;

#[test]
fn reused_buffers_come_back_zeroed_and_sized() {
    let mut a = zeroed(MIN_LEN * 2);
    a.fill(7.0);
    drop(a);
    let b = zeroed(MIN_LEN + 5);
    assert_eq!(b.len(), MIN_LEN + 5);
    assert!(b.iter().all(|v| *v == 0.0));
    assert_eq!(zeroed(3).len(), 3);
}
