//! Time: clock ticks since boot, and the fine clock: the TSC with its rate
//! measured at boot and the wall-clock time it stood for then, so that any
//! task can turn an rdtsc into nanoseconds (host_info gives the three).

use core::sync::atomic::{AtomicU64, Ordering};

static TICKS: AtomicU64 = AtomicU64::new(0);
static TSC_HZ: AtomicU64 = AtomicU64::new(1_000_000_000);
static BOOT_TSC: AtomicU64 = AtomicU64::new(0);
static BOOT_UNIX_SEC: AtomicU64 = AtomicU64::new(0);

/// Seconds since 1970-01-01 UTC of a civil date and time (proleptic
/// Gregorian), as the RTC gives it.
pub fn unix_seconds(year: u32, month: u32, day: u32, h: u32, m: u32, s: u32) -> u64 {
    // Days from civil (Howard Hinnant's algorithm), shifted so March is
    // the first month and the leap day ends the year.
    let y = if month <= 2 { year as i64 - 1 } else { year as i64 };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days * 86_400 + (h * 3600 + m * 60 + s) as i64).max(0) as u64
}

/// Measures the TSC and reads the RTC; once, at boot.
pub fn init() {
    let hz = crate::arch::timer::calibrate_tsc().max(1_000_000);
    TSC_HZ.store(hz, Ordering::Relaxed);
    BOOT_TSC.store(crate::arch::cpu::read_tsc(), Ordering::Relaxed);
    let (y, mo, d, h, mi, s) = crate::arch::rtc::read();
    BOOT_UNIX_SEC.store(unix_seconds(y, mo, d, h, mi, s), Ordering::Relaxed);
    crate::kdebug!("clock: TSC at {} Hz, booted at {}-{:02}-{:02} {:02}:{:02}:{:02} UTC", hz, y, mo, d, h, mi, s);
}

/// (TSC rate in Hz, TSC at boot, Unix seconds at boot).
pub fn fine_clock() -> (u64, u64, u64) {
    (TSC_HZ.load(Ordering::Relaxed), BOOT_TSC.load(Ordering::Relaxed), BOOT_UNIX_SEC.load(Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::unix_seconds;

    #[test]
    fn civil_dates_to_unix_seconds() {
        assert_eq!(unix_seconds(1970, 1, 1, 0, 0, 0), 0);
        assert_eq!(unix_seconds(2000, 3, 1, 0, 0, 0), 951_868_800);
        assert_eq!(unix_seconds(2026, 1, 1, 0, 0, 0), 1_767_225_600);
        assert_eq!(unix_seconds(2024, 2, 29, 23, 59, 59), 1_709_251_199);
    }
}

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
