//! The thread subsystem (3600): calls on a thread port.

use crate::routine;

/// `thread_get_state` flavours.
pub const X86_THREAD_STATE64: u32 = 4;
pub const X86_FLOAT_STATE64: u32 = 5;
/// Just the FS and GS bases (arch_prctl): set on the calling thread, the
/// kernel loads them at once rather than at the next context switch.
pub const X86_BASE_STATE64: u32 = 6;

/// X86_BASE_STATE64.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BaseState64 {
    pub fs_base: u64,
    pub gs_base: u64,
}

/// Thread special ports.
pub const THREAD_KERNEL_PORT: u32 = 1;
pub const THREAD_EXCEPTION_PORT: u32 = 3;

/// The general registers (X86_THREAD_STATE64).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadState64 {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rsp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rip: u64,
    pub rflags: u64,
    pub fs_base: u64,
    pub gs_base: u64,
}

/// The FPU/SSE registers (X86_FLOAT_STATE64): an FXSAVE image (copied in
/// and out of the kernel's aligned save area, so no alignment here).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloatState64 {
    pub fxsave: [u8; 512],
}

impl Default for FloatState64 {
    fn default() -> Self {
        FloatState64 { fxsave: [0; 512] }
    }
}

/// Either flavour, in the size of the larger.
#[repr(C)]
#[derive(Clone, Copy)]
pub union StateBuf {
    pub regs: ThreadState64,
    pub fpu: FloatState64,
    pub bases: BaseState64,
}

impl core::fmt::Debug for StateBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("StateBuf")
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadBasicInfo {
    pub suspend_count: u32,
    /// 1 running/runnable, 2 stopped, 3 waiting, 5 halted (Mach's TH_STATE_*).
    pub run_state: u32,
    pub priority: u32,
    pub base_priority: u32,
    pub user_ticks: u64,
}

pub const TH_STATE_RUNNING: u32 = 1;
pub const TH_STATE_STOPPED: u32 = 2;
pub const TH_STATE_WAITING: u32 = 3;
pub const TH_STATE_HALTED: u32 = 5;

routine! {
    thread_terminate = 3600;
    request { }
    reply { }
}

routine! {
    /// The thread's user registers of a flavour (it should be stopped).
    thread_get_state = 3603;
    request { flavor: u32 }
    reply { state: StateBuf }
}

routine! {
    /// Sets user registers; takes effect when the thread returns to user.
    thread_set_state = 3604;
    request { flavor: u32, state: StateBuf }
    reply { }
}

routine! {
    thread_suspend = 3605;
    request { }
    reply { }
}

routine! {
    thread_resume = 3606;
    request { }
    reply { }
}

routine! {
    /// Interrupts a blocked call (mach_msg returns ..._INTERRUPTED) so the
    /// thread's state can be changed.
    thread_abort = 3607;
    request { }
    reply { }
}

routine! {
    thread_info = 3608;
    request { }
    reply { info: ThreadBasicInfo }
}

routine! {
    thread_get_special_port = 3609;
    request { which: u32 }
    reply { }
    reply_ports { port: MACH_MSG_TYPE_MOVE_SEND }
}

routine! {
    thread_set_special_port = 3610;
    request { which: u32 }
    request_ports { port: MACH_MSG_TYPE_COPY_SEND }
    reply { }
}

// SAFETY: repr(C) structs of u64/u32/u8 fields without padding.
unsafe impl crate::pod::Pod for ThreadState64 {}
unsafe impl crate::pod::Pod for FloatState64 {}
unsafe impl crate::pod::Pod for BaseState64 {}
unsafe impl crate::pod::Pod for StateBuf {}
unsafe impl crate::pod::Pod for ThreadBasicInfo {}
