//! A kernel panic: print the message and where it happened, then end the
//! machine with a failure status the host can see.

#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    use crate::device::cons::write_fmt_unlocked;
    // Unlocked: the panicking CPU may hold the console lock already.
    match info.location() {
        Some(l) => write_fmt_unlocked(format_args!("\npanic at {}:{}: {}\n", l.file(), l.line(), info.message())),
        None => write_fmt_unlocked(format_args!("\npanic: {}\n", info.message())),
    }
    crate::arch::power::poweroff(crate::arch::power::PANIC_STATUS)
}
