//! The user register set the server sees for a trapped UNIX thread.
//!
//! Field order follows `uc_mcontext` (r8..r15, rdi, rsi, rbp, rbx, rdx,
//! rax, rcx, rsp, rip, rflags) so saving to and restoring from a signal
//! frame is a field-for-field copy. The glue translates to and from the
//! kernel's thread-state flavour.

/// x86_64 user-mode code selector (GDT entry 6, RPL 3), as on Linux.
pub const USER_CS: u16 = 0x33;
/// x86_64 user-mode stack selector (GDT entry 5, RPL 3), as on Linux.
pub const USER_SS: u16 = 0x2b;

/// rflags bits a user program may change through `rt_sigreturn`
/// (AC, OF, DF, TF, SF, ZF, AF, PF, CF, RF); the rest are forced.
pub const RFLAGS_USER_MASK: u64 = 0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | 0x10000;
/// IF: always set in user mode.
pub const RFLAGS_IF: u64 = 0x200;
/// Bit 1 of rflags always reads as one.
pub const RFLAGS_FIXED: u64 = 0x2;
/// DF and TF: cleared on signal-handler entry, as the ABI requires.
pub const RFLAGS_DF: u64 = 0x400;
pub const RFLAGS_TF: u64 = 0x100;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Regs {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub rflags: u64,
    pub cs: u16,
    pub ss: u16,
    /// fs/gs bases (arch_prctl); not part of a signal frame.
    pub fs_base: u64,
    pub gs_base: u64,
}

/// True when `addr` is a canonical 48-bit address in the *lower* half,
/// i.e. somewhere a user `rip` or `rsp` may point.
pub const fn is_user_canonical(addr: u64) -> bool {
    addr < 0x0000_8000_0000_0000
}
