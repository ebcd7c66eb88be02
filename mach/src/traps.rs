//! Trap numbers.
//!
//! As in Mach 3 on the i386, Mach traps have negative numbers in `rax`, so
//! they can never collide with a UNIX (x86_64 Linux) system call number,
//! which the kernel bounces to the task's emulation vector. Everything that
//! is not a trap is a message to a kernel port (task, thread, host).

pub const MACH_REPLY_PORT: i64 = -26;
pub const THREAD_SELF: i64 = -27;
pub const TASK_SELF: i64 = -28;
/// The task's host port: host_priv for a privileged task, else host_self.
pub const HOST_SELF: i64 = -29;
pub const MACH_MSG: i64 = -25;
pub const SWTCH_PRI: i64 = -59;
pub const SWTCH: i64 = -60;
pub const THREAD_SWITCH: i64 = -61;

// The debug traps below answer KERN_NO_ACCESS to a task that is not
// privileged (not a boot task), except DEBUG_TASK_EXIT: every task may end
// itself.

/// Debugging aids until the console is a device port: write bytes to the
/// kernel console (rdi = address, rsi = length).
pub const DEBUG_PRINT: i64 = -100;
/// Power the machine off, carrying rdi's low byte out as the exit status.
/// Temporary until host_reboot on the host privileged port lands.
pub const DEBUG_POWEROFF: i64 = -101;
/// End the calling task with a status (rdi). Temporary until task_terminate.
pub const DEBUG_TASK_EXIT: i64 = -102;

/// Fills a `vm::DebugVmStats` at rdi: free pages, chain depth and so on
/// (introspection for the VM tests; no Mach interface reports these).
pub const DEBUG_VM_STATS: i64 = -108;

/// Largest trap number magnitude; anything more negative is invalid.
pub const MACH_TRAP_MIN: i64 = -128;
