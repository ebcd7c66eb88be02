//! thread_get_state / thread_set_state: converting between the saved
//! registers (a TrapFrame and an FXSAVE area) and the interface's flavours,
//! and refusing any state that the return to user mode could not survive
//! (a non-canonical rip or base would fault in the kernel; IOPL or a cleared
//! IF would give the thread powers or the CPU; bad MXCSR bits would make
//! FXRSTOR fault).

use crate::arch::fpu::FpuState;
use crate::arch::gdt::{USER_CS, USER_DS};
use crate::arch::trap::TrapFrame;
use mach::defs::thread::{FloatState64, ThreadState64};
use mach::kern_return::*;
use mach::vm::VM_MAX_ADDRESS;

/// Flags a user thread may set: CF PF AF ZF SF TF DF OF, AC, ID.
const USER_FLAGS: u64 = 0x0001 | 0x0004 | 0x0010 | 0x0040 | 0x0080 | 0x0100 | 0x0400 | 0x0800 | 0x4_0000 | 0x20_0000;
const IF: u64 = 0x200;
const FIXED_ONE: u64 = 0x2;
/// MXCSR bits FXRSTOR accepts (QEMU's MXCSR_MASK).
const MXCSR_MASK: u32 = 0xffff;

fn user_address(a: u64) -> bool {
    a < VM_MAX_ADDRESS + 0x1000
}

pub fn get_regs(f: &TrapFrame, fs_base: u64, gs_base: u64) -> ThreadState64 {
    ThreadState64 {
        rax: f.rax, rbx: f.rbx, rcx: f.rcx, rdx: f.rdx, rdi: f.rdi, rsi: f.rsi,
        rbp: f.rbp, rsp: f.rsp, r8: f.r8, r9: f.r9, r10: f.r10, r11: f.r11,
        r12: f.r12, r13: f.r13, r14: f.r14, r15: f.r15,
        rip: f.rip, rflags: f.rflags, fs_base, gs_base,
    }
}

/// Writes `s` into the frame; returns the new (fs_base, gs_base).
pub fn set_regs(f: &mut TrapFrame, s: &ThreadState64) -> Result<(u64, u64), KernReturn> {
    if !user_address(s.rip) || !user_address(s.rsp) || !user_address(s.fs_base) || !user_address(s.gs_base) {
        return Err(KERN_INVALID_ARGUMENT);
    }
    *f = TrapFrame {
        rax: s.rax, rbx: s.rbx, rcx: s.rcx, rdx: s.rdx, rdi: s.rdi, rsi: s.rsi,
        rbp: s.rbp, rsp: s.rsp, r8: s.r8, r9: s.r9, r10: s.r10, r11: s.r11,
        r12: s.r12, r13: s.r13, r14: s.r14, r15: s.r15,
        rip: s.rip,
        rflags: (s.rflags & USER_FLAGS) | IF | FIXED_ONE,
        cs: USER_CS as u64,
        ss: USER_DS as u64,
        vector: f.vector,
        error_code: f.error_code,
    };
    Ok((s.fs_base, s.gs_base))
}

/// FS and GS bases a thread may have (canonical user addresses).
pub fn check_bases(fs: u64, gs: u64) -> Result<(u64, u64), KernReturn> {
    if !user_address(fs) || !user_address(gs) {
        return Err(KERN_INVALID_ARGUMENT);
    }
    Ok((fs, gs))
}

pub fn get_fpu(fpu: &FpuState) -> FloatState64 {
    FloatState64 { fxsave: fpu.0 }
}

pub fn set_fpu(fpu: &mut FpuState, s: &FloatState64) -> Result<(), KernReturn> {
    let mxcsr = u32::from_le_bytes([s.fxsave[24], s.fxsave[25], s.fxsave[26], s.fxsave[27]]);
    if mxcsr & !MXCSR_MASK != 0 {
        return Err(KERN_INVALID_ARGUMENT);
    }
    fpu.0 = s.fxsave;
    // MXCSR_MASK is read-only: keep the one the CPU reported.
    fpu.0[28..32].copy_from_slice(&MXCSR_MASK.to_le_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_round_trip() {
        let mut f = TrapFrame { rip: 0x401000, rsp: 0x7fff_0000, rflags: 0x202, ..Default::default() };
        let mut s = get_regs(&f, 0x1000, 0);
        s.rax = 7;
        s.r15 = 15;
        s.rflags = 0x203;
        assert_eq!(set_regs(&mut f, &s), Ok((0x1000, 0)));
        assert_eq!((f.rax, f.r15, f.rflags), (7, 15, 0x203));
        assert_eq!(f.cs, USER_CS as u64);
    }

    #[test]
    fn dangerous_states_are_refused_or_tamed() {
        let mut f = TrapFrame::default();
        let good = ThreadState64 { rip: 0x401000, rsp: 0x7000_0000, ..Default::default() };
        for bad in [
            ThreadState64 { rip: 0xffff_8000_0000_0000, ..good },
            ThreadState64 { rip: 0x0000_8000_0000_0000, ..good },
            ThreadState64 { rsp: u64::MAX, ..good },
            ThreadState64 { fs_base: 0xdead_0000_0000_0000, ..good },
        ] {
            assert_eq!(set_regs(&mut f, &bad), Err(KERN_INVALID_ARGUMENT));
        }
        // IOPL 3, IF clear, NT and VM set: the thread keeps only user flags.
        let s = ThreadState64 { rflags: 0x3000 | 0x4000 | 0x2_0000, ..good };
        set_regs(&mut f, &s).unwrap();
        assert_eq!(f.rflags, IF | FIXED_ONE);
    }

    #[test]
    fn fpu_state_with_reserved_mxcsr_bits_is_refused() {
        let mut fpu = FpuState::initial();
        let mut s = get_fpu(&fpu);
        s.fxsave[160] = 0x42; // xmm0's first byte
        set_fpu(&mut fpu, &s).unwrap();
        assert_eq!(fpu.0[160], 0x42);
        s.fxsave[27] = 0x80; // MXCSR bit 31
        assert_eq!(set_fpu(&mut fpu, &s), Err(KERN_INVALID_ARGUMENT));
    }
}
