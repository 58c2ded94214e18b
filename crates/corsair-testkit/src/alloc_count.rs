//! A counting global allocator, for tests that prove a request path allocates nothing.
//!
//! Install it once per test binary and measure closures with [`counted`]:
//!
//! ```text
//! use corsair_testkit::alloc_count::{counted, CountingAllocator};
//! #[global_allocator]
//! static ALLOCATOR: CountingAllocator = CountingAllocator;
//! let ((), n) = counted(|| { let _ = Vec::<u8>::with_capacity(8); });
//! assert_eq!(n, 1);
//! ```
//!
//! Counts are per thread, so other tests running in parallel do not disturb a measurement.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Wraps the system allocator and counts allocations (not frees) while [`counted`] runs.
pub struct CountingAllocator;

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: the allocator may run while the thread's locals are being torn down.
    let _ = ON.try_with(|on| {
        if on.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

// SAFETY: every call forwards to `System` with the caller's arguments unchanged; the counter
// only touches thread-local cells, which never allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Runs `f` with counting on for this thread; returns its result and how many allocations it
/// made. Meaningful only in a binary whose `#[global_allocator]` is a [`CountingAllocator`].
pub fn counted<T>(f: impl FnOnce() -> T) -> (T, usize) {
    COUNT.with(|c| c.set(0));
    ON.with(|on| on.set(true));
    let out = f();
    ON.with(|on| on.set(false));
    (out, COUNT.with(|c| c.get()))
}
