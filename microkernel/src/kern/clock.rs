//! Time: clock ticks since boot.

use core::sync::atomic::{AtomicU64, Ordering};

static TICKS: AtomicU64 = AtomicU64::new(0);

pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// The clock interrupt.
pub fn tick(from_user: bool) {
    TICKS.fetch_add(1, Ordering::Relaxed);
    super::sched::clock_tick(from_user);
}
