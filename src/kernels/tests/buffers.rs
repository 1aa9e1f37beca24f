use super::*;

const BIG: usize = MIN_LEN * 3;
const SMALLER: usize = MIN_LEN * 2;

#[test]
fn scratch_buffers_are_sized_reused_and_zeroed_only_where_they_grow() {
    // A pool of its own: the other kernel tests use the global one concurrently.
    static OWN: Pool = Pool::new();
    let scratch = |len| OWN.scratch(len);
    // A fresh one is zeros; a small one is left to the allocator.
    let fresh = scratch(BIG);
    assert!(fresh.iter().all(|v| *v == 0.0));
    assert_eq!(scratch(3).len(), 3);
    let ptr = fresh.as_ptr();
    drop(fresh);
    // The idle buffer comes back (smaller request), with the old values: callers overwrite them.
    let mut a = scratch(SMALLER);
    assert_eq!(a.len(), SMALLER);
    assert_eq!(a.as_ptr(), ptr, "the idle buffer is reused");
    a.fill(5.0);
    drop(a);
    // Longer than it was: the new tail is zeros, the kept part is what it held.
    let b = scratch(BIG);
    assert_eq!(b.len(), BIG);
    assert_eq!(b[0], 5.0);
    assert!(b[SMALLER..].iter().all(|v| *v == 0.0));
}
