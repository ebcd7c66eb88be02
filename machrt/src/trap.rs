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

/// # Safety
/// As `trap2`, with six arguments (the sixth in r9, as mach_msg wants).
#[inline(always)]
pub unsafe fn trap6(n: i64, a: u64, b: u64, c: u64, d: u64, e: u64, f: u64) -> u64 {
    let r: u64;
    // SAFETY: per the caller; syscall clobbers rcx and r11 only.
    unsafe {
        core::arch::asm!("syscall", inlateout("rax") n as u64 => r, in("rdi") a, in("rsi") b, in("rdx") c,
                         in("r10") d, in("r8") e, in("r9") f,
                         lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    r
}

/// # Safety
/// As `trap2`, with a third and fourth argument (rdx, r10).
#[inline(always)]
pub unsafe fn trap4(n: i64, a: u64, b: u64, c: u64, d: u64) -> u64 {
    // SAFETY: per the caller.
    unsafe { trap6(n, a, b, c, d, 0, 0) }
}

// DEBUG_VM_STATS is debugging introspection (frame counts, chain depth)
// for the VM tests.

/// The kernel's VM statistics, as the caller's map sees them.
pub fn vm_stats() -> mach::vm::DebugVmStats {
    let mut b = [0u8; 8 * mach::vm::DebugVmStats::WORDS];
    // SAFETY: the kernel writes exactly that many bytes, checking them.
    unsafe { trap2(traps::DEBUG_VM_STATS, b.as_mut_ptr() as u64, 0) };
    mach::vm::DebugVmStats::from_bytes(&b)
}

/// mach_msg: send `send_size` bytes from `msg`, then (with MACH_RCV_MSG)
/// receive at most `rcv_size` bytes into the same buffer from `rcv_name`.
///
/// # Safety
/// `msg` must be valid for `max(send_size, rcv_size)` bytes; the kernel
/// checks the addresses, but a receive overwrites the buffer.
pub unsafe fn mach_msg(msg: *mut u8, option: mach::MsgOption, send_size: u32, rcv_size: u32,
                       rcv_name: mach::PortName, timeout: u32) -> KernReturn {
    // SAFETY: per the caller.
    unsafe {
        trap6(traps::MACH_MSG, msg as u64, option as u64, send_size as u64, rcv_size as u64,
              rcv_name as u64, timeout as u64) as KernReturn
    }
}

/// A new receive right (mach_reply_port).
pub fn reply_port() -> mach::PortName {
    // SAFETY: takes no arguments.
    unsafe { trap2(traps::MACH_REPLY_PORT, 0, 0) as mach::PortName }
}

static SELF: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// Forgets the cached names of this task's rights: a task whose memory was
/// copied from another (task_create with inherited memory) has a new name
/// space, so the copied names mean nothing there (Mach's mach_init does
/// this in a forked child).
pub fn forget_cached_names() {
    SELF.store(0, core::sync::atomic::Ordering::Relaxed);
    crate::msg::forget_reply_port();
}

/// A send right to this task's port (cached: Mach's mach_task_self()).
pub fn task_self() -> mach::PortName {
    use core::sync::atomic::Ordering;
    let n = SELF.load(Ordering::Relaxed);
    if n != 0 {
        return n;
    }
    // SAFETY: takes no arguments.
    let n = unsafe { trap2(traps::TASK_SELF, 0, 0) as mach::PortName };
    SELF.store(n, Ordering::Relaxed);
    n
}

pub fn thread_self() -> mach::PortName {
    // SAFETY: takes no arguments.
    unsafe { trap2(traps::THREAD_SELF, 0, 0) as mach::PortName }
}

pub fn host_self() -> mach::PortName {
    // SAFETY: takes no arguments.
    unsafe { trap2(traps::HOST_SELF, 0, 0) as mach::PortName }
}

/// The time-stamp counter (guest instructions under `-icount shift=0`).
pub fn rdtsc() -> u64 {
    let lo: u32;
    let hi: u32;
    // SAFETY: rdtsc reads a counter; user mode may (CR4.TSD is clear).
    unsafe { core::arch::asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    ((hi as u64) << 32) | lo as u64
}
