//! Raw Mach traps: `syscall` with a negative trap number in rax and
//! arguments in rdi, rsi, rdx, r10, r8, r9 (rcx and r11 are clobbered by
//! the instruction itself).

use mach::traps;
use mach::KernReturn;

/// # Safety
/// The trap's arguments must be valid for it (the kernel checks pointers,
/// but a trap may e.g. end the task).
#[inline(always)]
pub unsafe fn trap2(n: i64, a: u64, b: u64) -> u64 {
    let r: u64;
    // SAFETY: per the caller; syscall clobbers rcx and r11 only.
    unsafe {
        core::arch::asm!("syscall", inlateout("rax") n as u64 => r, in("rdi") a, in("rsi") b,
                         lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    r
}

/// Writes bytes to the kernel console.
pub fn debug_print(s: &[u8]) -> KernReturn {
    // SAFETY: the kernel reads len bytes at the address, checking them.
    unsafe { trap2(traps::DEBUG_PRINT, s.as_ptr() as u64, s.len() as u64) as KernReturn }
}

/// Ends this task with a status.
pub fn task_exit(status: i32) -> ! {
    // SAFETY: the trap does not return.
    unsafe { trap2(traps::DEBUG_TASK_EXIT, status as u64, 0) };
    unreachable!()
}

/// Powers the machine off, carrying `status` out to the host.
pub fn poweroff(status: u8) -> ! {
    // SAFETY: the trap does not return.
    unsafe { trap2(traps::DEBUG_POWEROFF, status as u64, 0) };
    unreachable!()
}

/// Gives the processor to another thread.
pub fn yield_now() {
    // SAFETY: swtch takes no arguments.
    unsafe { trap2(traps::SWTCH, 0, 0) };
}
