//! The x86_64 Linux `rt_sigframe`: building it for handler entry and
//! parsing it back at `rt_sigreturn`.
//!
//! Pure functions over a [`Regs`] and bytes: [`build`] returns the bytes
//! to write at the new stack pointer and the registers to resume with;
//! [`parse_sigreturn`] reads through a caller-supplied accessor (emulib
//! reads its own memory, the server would copy in), so both are fully
//! host-testable.
//!
//! Layout, from the new rsp upwards (as Linux's `get_sigframe`):
//!
//! ```text
//! frame+0    pretcode = sa_restorer      (handler's return address)
//! frame+8    struct ucontext   (304 bytes: flags, link, stack, mcontext, mask)
//! frame+312  siginfo_t         (128 bytes)
//! ...        padding
//! fpstate    512-byte fxsave area, 64-byte aligned, below the old sp
//! old rsp - 128 (red zone) or the alternate stack's top
//! ```
//!
//! `frame` is 16n - 8, so at handler entry rsp + 8 is 16-aligned, exactly
//! as after a `call`.

use alloc::vec;
use alloc::vec::Vec;
use core::mem::{offset_of, size_of};
use linux_abi::consts::signal::*;
use linux_abi::regs::*;
use linux_abi::structs::{RtSigframe, Sigcontext, Siginfo, StackT, Ucontext, FXSAVE_SIZE};
use linux_abi::Errno;

use crate::signal::{AltStack, SigAction, SigSet, Signo};

/// The red zone the x86_64 ABI lets leaf code use below rsp.
pub const RED_ZONE: u64 = 128;
const FRAME_SIZE: u64 = size_of::<RtSigframe>() as u64;
const UC: usize = offset_of!(RtSigframe, uc);
const INFO: usize = offset_of!(RtSigframe, info);
const MC: usize = offset_of!(Ucontext, uc_mcontext);
/// Offset of MXCSR inside the fxsave area.
const FX_MXCSR: usize = 24;
/// MXCSR bits fxrstor accepts on every x86_64 CPU the system targets;
/// a frame with others set would fault inside whoever restores it.
const MXCSR_MASK: u32 = 0xffff;

/// Fault details the trap carried (0 for signals not from a fault).
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct TrapInfo {
    pub err: u64,
    pub trapno: u64,
    pub cr2: u64,
}

/// What [`build`] needs.
pub struct FrameRequest<'a> {
    pub regs: &'a Regs,
    pub fxsave: &'a [u8; FXSAVE_SIZE],
    pub sig: Signo,
    pub info: &'a Siginfo,
    pub action: &'a SigAction,
    /// The mask to restore at sigreturn (`Delivery::Handler::frame_mask`).
    pub frame_mask: SigSet,
    pub altstack: AltStack,
    pub trap: TrapInfo,
}

/// A built frame: write `bytes` at `addr`, then resume with `regs`.
#[derive(Debug)]
pub struct Frame {
    pub addr: u64,
    pub bytes: Vec<u8>,
    pub regs: Regs,
    /// The handler runs on the alternate stack (SS_AUTODISARM applies).
    pub on_altstack: bool,
}

/// Builds the frame for delivering `req.sig` to `req.action`'s handler.
/// EFAULT when the frame cannot be placed (no SA_RESTORER: x86_64 has no
/// kernel-provided trampoline; alternate-stack overflow; a stack outside
/// user space): the caller then forces SIGSEGV, as Linux does.
pub fn build(req: &FrameRequest) -> Result<Frame, Errno> {
    if req.action.flags & SA_RESTORER == 0 || !is_user_canonical(req.action.restorer) {
        return Err(Errno::EFAULT);
    }
    let (addr, fp, on_alt) = place(req)?;
    let mut bytes = vec![0u8; (fp + FXSAVE_SIZE as u64 - addr) as usize];
    put64(&mut bytes, 0, req.action.restorer);
    write_ucontext(&mut bytes[UC..INFO], req, fp);
    bytes[INFO..INFO + 128].copy_from_slice(&req.info.to_bytes());
    let f = (fp - addr) as usize;
    bytes[f..f + FXSAVE_SIZE].copy_from_slice(req.fxsave);
    Ok(Frame { addr, bytes, regs: entry_regs(req, addr), on_altstack: on_alt })
}

/// Chooses (frame address, fpstate address, on the alternate stack).
fn place(req: &FrameRequest) -> Result<(u64, u64, bool), Errno> {
    let rsp = req.regs.rsp;
    let alt = req.altstack;
    let already_on = alt.contains(rsp);
    let switch = req.action.flags & SA_ONSTACK != 0 && alt.enabled() && !already_on;
    let top = if switch { alt.sp.checked_add(alt.size).ok_or(Errno::EFAULT)? } else { rsp.checked_sub(RED_ZONE).ok_or(Errno::EFAULT)? };
    let fp = top.checked_sub(FXSAVE_SIZE as u64).ok_or(Errno::EFAULT)? & !63;
    let addr = (fp.checked_sub(FRAME_SIZE).ok_or(Errno::EFAULT)? & !15).checked_sub(8).ok_or(Errno::EFAULT)?;
    let on_alt = switch || already_on;
    if on_alt && addr < alt.sp {
        return Err(Errno::EFAULT);
    }
    if addr < linux_abi::layout::USER_MIN || top > linux_abi::layout::USER_END {
        return Err(Errno::EFAULT);
    }
    Ok((addr, fp, on_alt))
}

fn write_ucontext(uc: &mut [u8], req: &FrameRequest, fp: u64) {
    put64(uc, offset_of!(Ucontext, uc_flags), UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
    put_stack(uc, offset_of!(Ucontext, uc_stack), req.altstack.report(req.regs.rsp));
    let mc = &mut uc[MC..MC + size_of::<Sigcontext>()];
    for (i, v) in gregs(req.regs).iter().enumerate() {
        put64(mc, 8 * i, *v);
    }
    put16(mc, offset_of!(Sigcontext, cs), req.regs.cs);
    put16(mc, offset_of!(Sigcontext, ss), req.regs.ss);
    put64(mc, offset_of!(Sigcontext, err), req.trap.err);
    put64(mc, offset_of!(Sigcontext, trapno), req.trap.trapno);
    put64(mc, offset_of!(Sigcontext, oldmask), req.frame_mask.0);
    put64(mc, offset_of!(Sigcontext, cr2), req.trap.cr2);
    put64(mc, offset_of!(Sigcontext, fpstate), fp);
    put64(uc, offset_of!(Ucontext, uc_sigmask), req.frame_mask.0);
}

/// Registers at handler entry: rdi = signo, rsi = &info, rdx = &uc
/// (always, as x86_64 Linux does even without SA_SIGINFO), DF and TF
/// clear so the handler starts in the ABI's state.
fn entry_regs(req: &FrameRequest, addr: u64) -> Regs {
    Regs {
        rip: req.action.handler,
        rsp: addr,
        rdi: req.sig as u64,
        rsi: addr + INFO as u64,
        rdx: addr + UC as u64,
        rax: 0,
        rflags: req.regs.rflags & !(RFLAGS_DF | RFLAGS_TF),
        cs: USER_CS,
        ss: USER_SS,
        ..*req.regs
    }
}

/// Copies user memory at an address into a buffer (EFAULT if unmapped).
pub type UserRead<'a> = dyn FnMut(u64, &mut [u8]) -> Result<(), Errno> + 'a;

/// Length of the `syscall` instruction: a restarted call resumes at
/// rip - 2 so the instruction runs again.
pub const SYSCALL_INSN_LEN: u64 = 2;

/// Rewrites the result of a system call interrupted by a signal before
/// the frame is built (Linux's handle_signal / no-handler restart rules):
/// `rax` holds the call's return, `orig_rax` its number. `handler` says
/// whether a handler is about to run, `sa_restart` its SA_RESTART flag.
pub fn fixup_restart(regs: &mut Regs, orig_rax: u64, handler: bool, sa_restart: bool) {
    let ret = Errno::from_ret(regs.rax as i64);
    let restart = match ret {
        Some(Errno::ERESTARTNOHAND) | Some(Errno::ERESTART_RESTARTBLOCK) => !handler,
        Some(Errno::ERESTARTSYS) => !handler || sa_restart,
        Some(Errno::ERESTARTNOINTR) => true,
        _ => return,
    };
    if !restart {
        regs.rax = Errno::EINTR.to_ret() as u64;
    } else if ret == Some(Errno::ERESTART_RESTARTBLOCK) {
        regs.rax = linux_abi::sysno::RESTART_SYSCALL as u64;
        regs.rip -= SYSCALL_INSN_LEN;
    } else {
        regs.rax = orig_rax;
        regs.rip -= SYSCALL_INSN_LEN;
    }
}

/// What `rt_sigreturn` restores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigReturn {
    pub regs: Regs,
    /// The fxsave image to restore; `None` when the frame has no fpstate
    /// (the FPU then goes back to its initial state).
    pub fxsave: Option<[u8; FXSAVE_SIZE]>,
    /// The mask to install (the caller strips KILL/STOP via set_blocked).
    pub mask: SigSet,
    /// The saved alternate stack, to re-apply (`SigState::restore_altstack`).
    pub altstack: StackT,
}

/// Parses the frame of a handler that returned into `rt_sigreturn`:
/// `ret` popped `pretcode`, so the ucontext is at `rsp`. `read(addr, buf)`
/// copies user memory. Refuses (EFAULT) frames that would resume in
/// kernel mode, at a non-canonical rip, or with a misaligned fpstate;
/// rflags keeps only the user-changeable bits; `fs_base`/`gs_base` are
/// taken from `current` (not part of the frame).
pub fn parse_sigreturn(
    rsp: u64,
    current: &Regs,
    read: &mut UserRead,
) -> Result<SigReturn, Errno> {
    let mut uc = [0u8; size_of::<Ucontext>()];
    read(rsp, &mut uc)?;
    let mc = &uc[MC..MC + size_of::<Sigcontext>()];
    let mut g = [0u64; 18];
    for (i, v) in g.iter_mut().enumerate() {
        *v = get64(mc, 8 * i);
    }
    let mut regs = regs_from_gregs(&g, current);
    regs.cs = get16(mc, offset_of!(Sigcontext, cs));
    regs.ss = get16(mc, offset_of!(Sigcontext, ss));
    validate(&mut regs)?;
    let fp = get64(mc, offset_of!(Sigcontext, fpstate));
    let fxsave = read_fpstate(fp, read)?;
    let mask = SigSet(get64(&uc, offset_of!(Ucontext, uc_sigmask)));
    let altstack = get_stack(&uc, offset_of!(Ucontext, uc_stack));
    Ok(SigReturn { regs, fxsave, mask, altstack })
}

/// The security checks: user code selector only, canonical user rip,
/// a user-RPL stack selector, and sanitised rflags.
fn validate(regs: &mut Regs) -> Result<(), Errno> {
    if regs.cs != USER_CS || !is_user_canonical(regs.rip) {
        return Err(Errno::EFAULT);
    }
    if regs.ss == 0 {
        regs.ss = USER_SS;
    } else if regs.ss != USER_SS {
        return Err(Errno::EFAULT);
    }
    regs.rflags = (regs.rflags & RFLAGS_USER_MASK) | RFLAGS_IF | RFLAGS_FIXED;
    Ok(())
}

fn read_fpstate(fp: u64, read: &mut UserRead) -> Result<Option<[u8; FXSAVE_SIZE]>, Errno> {
    if fp == 0 {
        return Ok(None);
    }
    if !fp.is_multiple_of(16) || !is_user_canonical(fp.saturating_add(FXSAVE_SIZE as u64)) {
        return Err(Errno::EFAULT);
    }
    let mut fx = [0u8; FXSAVE_SIZE];
    read(fp, &mut fx)?;
    let mxcsr = u32::from_le_bytes(fx[FX_MXCSR..FX_MXCSR + 4].try_into().unwrap_or_default()) & MXCSR_MASK;
    fx[FX_MXCSR..FX_MXCSR + 4].copy_from_slice(&mxcsr.to_le_bytes());
    Ok(Some(fx))
}

/// Regs' first 18 fields in uc_mcontext order.
fn gregs(r: &Regs) -> [u64; 18] {
    [r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rdi, r.rsi, r.rbp, r.rbx, r.rdx, r.rax, r.rcx, r.rsp, r.rip, r.rflags]
}

fn regs_from_gregs(g: &[u64; 18], current: &Regs) -> Regs {
    let [r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, rflags] = *g;
    Regs { r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, rflags, ..*current }
}

fn put64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}
fn put16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}
fn get64(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}
fn get16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}
fn put_stack(b: &mut [u8], off: usize, s: StackT) {
    put64(b, off + offset_of!(StackT, ss_sp), s.ss_sp);
    b[off + 8..off + 12].copy_from_slice(&s.ss_flags.to_le_bytes());
    put64(b, off + offset_of!(StackT, ss_size), s.ss_size);
}
fn get_stack(b: &[u8], off: usize) -> StackT {
    let flags = i32::from_le_bytes([b[off + 8], b[off + 9], b[off + 10], b[off + 11]]);
    StackT { ss_sp: get64(b, off), ss_flags: flags, __pad: 0, ss_size: get64(b, off + 16) }
}

#[cfg(test)]
mod tests;
