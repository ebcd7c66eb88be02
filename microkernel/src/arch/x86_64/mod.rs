//! The machine-dependent part: boot, traps, SYSCALL entry, the pmap.

pub mod boot;
pub mod cpu;
pub mod fpu;
pub mod gdt;
pub mod idt;
pub mod layout;
pub mod multiboot;
pub mod pmap;
pub mod power;
pub mod rtc;
pub mod serial;
pub mod switch;
pub mod syscall;
pub mod timer;
pub mod trap;
pub mod usercopy;

/// Brings up the boot CPU's descriptor tables, per-CPU data, SYSCALL and
/// the clock. Needs the kernel heap.
pub fn init_cpu0() {
    // SAFETY: once, on the boot CPU, before anything reads per-CPU data.
    unsafe { cpu::init_local(0) };
    gdt::init(0);
    idt::init(true);
    syscall::init();
    timer::init();
}

// The host build of the library (for `cargo test`) leaves out the boot,
// trap and switch assembly; code that refers to its symbols is compiled
// but never run there, so each gets a stand-in that traps if it ever is.
#[cfg(test)]
core::arch::global_asm!(
    ".globl switch_context, thread_start_user, thread_start_kernel, trap_vectors, syscall_entry",
    ".globl _kernel_start, _etext, _erodata, _kernel_end",
    "switch_context:",
    "thread_start_user:",
    "thread_start_kernel:",
    "trap_vectors:",
    "syscall_entry:",
    "_kernel_start:",
    "_etext:",
    "_erodata:",
    "_kernel_end:",
    "    ud2",
);
