//! How many of each kernel object exist, and the kernel heap's bytes in
//! use: counted up where an object is made and down where it is dropped,
//! so that a test can see what outlives a process (host_kernel_counts).
//! Relaxed atomics: each count is exact on its own; a snapshot of several
//! is not one instant, which only matters while objects come and go.

use core::sync::atomic::{AtomicI64, Ordering};
use mach::defs::host::{KernelCount, KERNEL_COUNTS};

static COUNTS: [AtomicI64; KERNEL_COUNTS] = [const { AtomicI64::new(0) }; KERNEL_COUNTS];

pub fn add(what: KernelCount, n: i64) {
    COUNTS[what as usize].fetch_add(n, Ordering::Relaxed);
}

pub fn inc(what: KernelCount) {
    add(what, 1);
}

pub fn dec(what: KernelCount) {
    add(what, -1);
}

/// Every count, indexed by `KernelCount`.
pub fn snapshot() -> [i64; KERNEL_COUNTS] {
    core::array::from_fn(|i| COUNTS[i].load(Ordering::Relaxed))
}
