//! Per-CPU data, reached through the GS base while in the kernel.
//!
//! The assembly paths (trap entry, SYSCALL entry, the trampoline) read the
//! first fields at fixed offsets, taken with `offset_of!` so that the layout
//! has one definition.

use core::mem::offset_of;
use x86_64::registers::model_specific::Msr;

pub const MAX_CPUS: usize = 8;

const IA32_GS_BASE: u32 = 0xC000_0101;
const IA32_KERNEL_GS_BASE: u32 = 0xC000_0102;
pub const IA32_FS_BASE: u32 = 0xC000_0100;

#[repr(C)]
pub struct CpuLocal {
    pub self_ptr: u64,
    /// Top of the running thread's kernel stack (also in the TSS as RSP0).
    pub kernel_rsp: u64,
    /// Scratch: the user stack pointer during SYSCALL entry.
    pub user_rsp: u64,
    /// The running thread's FXSAVE area, saved on every entry from user mode.
    pub fpu_area: u64,
    /// The running thread (`*const Thread`), null before the first switch.
    pub current: u64,
    pub cpu_id: u64,
    /// The running task's emulation vector (the trampoline): system call
    /// numbers n with `n - emul_first < emul_count` (unsigned) re-enter user
    /// mode at `emul_entry`. A count of zero sends everything to the kernel.
    pub emul_entry: u64,
    pub emul_first: u64,
    pub emul_count: u64,
}

pub const CPU_KERNEL_RSP: usize = offset_of!(CpuLocal, kernel_rsp);
pub const CPU_USER_RSP: usize = offset_of!(CpuLocal, user_rsp);
pub const CPU_FPU_AREA: usize = offset_of!(CpuLocal, fpu_area);
pub const CPU_EMUL_ENTRY: usize = offset_of!(CpuLocal, emul_entry);
pub const CPU_EMUL_FIRST: usize = offset_of!(CpuLocal, emul_first);
pub const CPU_EMUL_COUNT: usize = offset_of!(CpuLocal, emul_count);

static mut CPUS: [CpuLocal; MAX_CPUS] = [const {
    CpuLocal {
        self_ptr: 0, kernel_rsp: 0, user_rsp: 0, fpu_area: 0, current: 0, cpu_id: 0,
        emul_entry: 0, emul_first: 0, emul_count: 0,
    }
}; MAX_CPUS];

/// Points GS at this CPU's data.
///
/// # Safety
/// Called once per CPU, on that CPU, before any code reads per-CPU data.
pub unsafe fn init_local(id: usize) {
    // SAFETY: each CPU touches only its own slot, once, before using it.
    let cpu = unsafe { &mut *core::ptr::addr_of_mut!(CPUS[id]) };
    cpu.self_ptr = cpu as *mut CpuLocal as u64;
    cpu.cpu_id = id as u64;
    // SAFETY: GS base is ours in the kernel; user GS (KERNEL_GS_BASE while
    // in the kernel) starts at zero.
    unsafe {
        Msr::new(IA32_GS_BASE).write(cpu.self_ptr);
        Msr::new(IA32_KERNEL_GS_BASE).write(0);
    }
}

/// This CPU's data.
pub fn local() -> &'static mut CpuLocal {
    let p: u64;
    // SAFETY: GS points at this CPU's CpuLocal (init_local), whose first
    // field is its own address. Interrupts are off in the kernel, so the
    // thread cannot migrate between the read and the use.
    unsafe {
        core::arch::asm!("mov {}, gs:[0]", out(reg) p, options(nostack, readonly, preserves_flags));
        &mut *(p as *mut CpuLocal)
    }
}

/// The user GS base of the running thread. While in the kernel (after
/// swapgs) it sits in KERNEL_GS_BASE.
pub fn read_user_gs_base() -> u64 {
    // SAFETY: reading an MSR has no side effects.
    unsafe { Msr::new(IA32_KERNEL_GS_BASE).read() }
}

pub fn write_user_gs_base(v: u64) {
    // SAFETY: only user mode sees this value, after the swapgs on return.
    unsafe { Msr::new(IA32_KERNEL_GS_BASE).write(v) }
}

pub fn read_fs_base() -> u64 {
    // SAFETY: reading FS_BASE has no side effects.
    unsafe { Msr::new(IA32_FS_BASE).read() }
}

pub fn write_fs_base(v: u64) {
    // SAFETY: FS_BASE only affects user-mode fs: accesses; the kernel uses gs.
    unsafe { Msr::new(IA32_FS_BASE).write(v) }
}

/// Halts until the next interrupt, then returns with interrupts off again.
pub fn idle_wait() {
    // SAFETY: sti;hlt is atomic with respect to interrupt delivery, so no
    // wakeup is lost between the check the caller made and the halt.
    unsafe { core::arch::asm!("sti", "hlt", "cli", options(nomem, nostack)) }
}

pub fn read_tsc() -> u64 {
    // SAFETY: rdtsc is unprivileged and side-effect free.
    unsafe { core::arch::x86_64::_rdtsc() }
}
