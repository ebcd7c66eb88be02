//! Time: clock ticks since boot.

use core::sync::atomic::{AtomicU64, Ordering};

static TICKS: AtomicU64 = AtomicU64::new(0);

pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// The clock interrupt.
pub fn tick(from_user: bool) {
    let now = TICKS.fetch_add(1, Ordering::Relaxed) + 1;
    super::sched::expire_timers(now);
    super::sched::clock_tick(from_user);
}

/// Clock ticks (rounded up) in `ms` milliseconds.
pub fn ms_to_ticks(ms: u64) -> u64 {
    (ms * crate::arch::timer::HZ).div_ceil(1000)
}

/// The deadline a mach_msg timeout of `ms` sets: one tick more than the
/// rounded duration, since the current tick is already partly over.
pub fn deadline_after_ms(ms: u64) -> u64 {
    ticks() + ms_to_ticks(ms) + 1
}
