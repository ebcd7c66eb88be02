//! The emulation library: mapped at a fixed address in every UNIX process
//! (`mach::defs::bsd::EMUL_IMAGE_BASE`), it receives the system calls the
//! kernel bounces back (the trampoline) and answers them locally or by RPC
//! to the UNIX server. The binary is `src/main.rs`; this library holds the
//! pure parts, testable on the host.
#![no_std]

/// The saved program context on emulib's stack, as the entry code pushes
/// it (lowest address first): the FXSAVE image, the general registers,
/// then the return rip, rsp and rflags. The return path pops the same.
#[repr(C, align(16))]
#[derive(Clone, Copy)]
pub struct Frame {
    pub fx: [u8; 512],
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub rip: u64,
    pub rsp: u64,
    pub rflags: u64,
}

/// Bytes from the frame's start to `rip`, `rsp`, `rflags` (for the asm).
pub const FRAME_FX: usize = 512;
pub const FRAME_GPRS: usize = 15 * 8;
pub const FRAME_SIZE: usize = core::mem::size_of::<Frame>();

impl Frame {
    /// The six argument registers of a Linux system call.
    pub fn args(&self) -> [u64; 6] {
        [self.rdi, self.rsi, self.rdx, self.r10, self.r8, self.r9]
    }

    /// The state a new program starts in: registers zero, interrupts on,
    /// FPU at its power-on control words (FCW 0x37f, MXCSR 0x1f80).
    pub fn reset_for_exec(&mut self, entry: u64, sp: u64) {
        let fx = initial_fx();
        *self = Frame { fx, r15: 0, r14: 0, r13: 0, r12: 0, r11: 0, r10: 0, r9: 0, r8: 0, rbp: 0, rdi: 0,
                        rsi: 0, rdx: 0, rcx: 0, rbx: 0, rax: 0, rip: entry, rsp: sp, rflags: 0x202 };
    }
}

use linux_abi::structs::{RtSigframe, Sigcontext, Siginfo, Ucontext};
use mach::defs::bsd::SigDelivery;

/// Bytes below the program's rsp that a leaf function may use (the System
/// V red zone): a signal frame goes beneath them.
pub const RED_ZONE: u64 = 128;

/// Where a handler's frame goes and what it holds: returns (rsp at
/// handler entry, address of the saved FXSAVE image, the frame). As
/// Linux: the FPU image 64-aligned below the red zone, then the frame
/// with rsp + 8 16-aligned, as after a call.
pub fn signal_frame(f: &Frame, d: &SigDelivery) -> (u64, u64, RtSigframe) {
    // On the alternate stack there is no red zone to keep.
    let base = if d.stack_top != 0 { d.stack_top } else { f.rsp - RED_ZONE };
    let fp = (base - 512) & !63;
    let sp = ((fp - core::mem::size_of::<RtSigframe>() as u64) & !15) - 8;
    let mc = Sigcontext {
        r8: f.r8, r9: f.r9, r10: f.r10, r11: f.r11, r12: f.r12, r13: f.r13, r14: f.r14, r15: f.r15,
        rdi: f.rdi, rsi: f.rsi, rbp: f.rbp, rbx: f.rbx, rdx: f.rdx, rax: f.rax, rcx: f.rcx, rsp: f.rsp,
        rip: f.rip, eflags: f.rflags, cs: 0x33, ss: 0x2b, oldmask: d.old_mask, fpstate: fp,
        cr2: if d.sig == 11 || d.sig == 7 { d.info[2] } else { 0 },
        ..Default::default()
    };
    let uc_stack = linux_abi::structs::StackT { ss_sp: d.uc_stack[0], ss_flags: d.uc_stack[1] as u32 as i32, __pad: 0,
                                                ss_size: d.uc_stack[2] };
    let uc = Ucontext { uc_stack, uc_mcontext: mc, uc_sigmask: d.old_mask, ..Default::default() };
    // SAFETY: Siginfo is 128 bytes of integers, like the words.
    let info: Siginfo = unsafe { core::mem::transmute(d.info) };
    (sp, fp, RtSigframe { pretcode: d.restorer, uc, info })
}

/// The registers the handler starts with: rdi = signal, rsi = &info,
/// rdx = &ucontext, a clean FPU, the direction and trap flags clear.
pub fn enter(f: &mut Frame, d: &SigDelivery, sp: u64) {
    f.rip = d.handler;
    f.rsp = sp;
    f.rdi = d.sig as u64;
    f.rsi = sp + core::mem::offset_of!(RtSigframe, info) as u64;
    f.rdx = sp + core::mem::offset_of!(RtSigframe, uc) as u64;
    f.rax = 0;
    f.rflags &= !(0x400 | 0x100);
    f.fx = initial_fx();
}

/// rt_sigreturn: the context saved in `uc` (the ucontext the program's
/// rsp pointed at) comes back into `f`, with `fx` the FPU image its
/// `fpstate` pointed at (None: it had none); returns the signal mask and
/// the alternate stack (uc_stack: sp, flags, size) to restore.
pub fn restore_frame(f: &mut Frame, uc: &Ucontext, fx: Option<[u8; 512]>) -> (u64, [u64; 3]) {
    let m = uc.uc_mcontext;
    (f.r8, f.r9, f.r10, f.r11, f.r12, f.r13, f.r14, f.r15) = (m.r8, m.r9, m.r10, m.r11, m.r12, m.r13, m.r14, m.r15);
    (f.rdi, f.rsi, f.rbp, f.rbx, f.rdx, f.rax, f.rcx) = (m.rdi, m.rsi, m.rbp, m.rbx, m.rdx, m.rax, m.rcx);
    (f.rsp, f.rip, f.rflags) = (m.rsp, m.rip, m.eflags);
    if let Some(fx) = fx {
        f.fx = fx;
        // Reserved MXCSR bits would make fxrstor fault: keep them clear.
        f.fx[26] = 0;
        f.fx[27] = 0;
    }
    let ss = uc.uc_stack;
    (uc.uc_sigmask, [ss.ss_sp, ss.ss_flags as u32 as u64, ss.ss_size])
}

pub fn initial_fx() -> [u8; 512] {
    let mut fx = [0u8; 512];
    fx[0..2].copy_from_slice(&0x37fu16.to_le_bytes());
    fx[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
    fx
}

#[cfg(test)]
extern crate std;

// The binary's recoverable copy routine, its success path tested here
// (the fault path needs the UNIX server's fixup: the integration tests).
#[cfg(test)]
#[path = "copy.rs"]
mod copy;

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn frame_matches_the_entry_code() {
        assert_eq!(offset_of!(Frame, r15), FRAME_FX);
        assert_eq!(offset_of!(Frame, rip), FRAME_FX + FRAME_GPRS);
        assert_eq!(offset_of!(Frame, rflags), FRAME_FX + FRAME_GPRS + 16);
        // 18 words after the FXSAVE area keep the frame 16-aligned.
        assert_eq!(FRAME_SIZE, 512 + 18 * 8);
        assert_eq!(FRAME_SIZE % 16, 0);
    }

    fn sample() -> Frame {
        let mut f = Frame { fx: [0; 512], r15: 15, r14: 14, r13: 13, r12: 12, r11: 0x246, r10: 10, r9: 9, r8: 8,
                            rbp: 0xb0, rdi: 0xd1, rsi: 0x51, rdx: 0xd0, rcx: 0x401234, rbx: 0xb1, rax: 39,
                            rip: 0x401234, rsp: 0, rflags: 0x246 };
        f.fx[160] = 0xaa;
        f
    }

    #[test]
    fn a_signal_frame_round_trips_through_sigreturn() {
        let mut stack = std::vec![0u8; 8192];
        let top = (stack.as_mut_ptr() as u64 + 8192) & !15;
        let mut f = sample();
        f.rsp = top;
        let saved = f;
        let mut d = SigDelivery { sig: 10, handler: 0x40_5000, restorer: 0x40_6000, old_mask: 0x1234, ..Default::default() };
        d.info[0] = 10;
        let (sp, fp, frame) = signal_frame(&f, &d);
        assert!(sp + (core::mem::size_of::<RtSigframe>() as u64) <= fp && fp + 512 <= top - RED_ZONE, "below the red zone");
        assert_eq!((sp + 8) % 16, 0, "rsp + 8 aligned at handler entry");
        assert_eq!(fp % 64, 0);
        // SAFETY: sp..top lies inside `stack`.
        unsafe {
            core::ptr::write_unaligned(sp as *mut RtSigframe, frame);
            core::ptr::write_unaligned(fp as *mut [u8; 512], f.fx);
        }
        enter(&mut f, &d, sp);
        assert_eq!((f.rip, f.rdi, f.rsp), (0x40_5000, 10, sp));
        assert_eq!(f.rdx, sp + 8);
        // SAFETY: reading stack memory.
        assert_eq!(unsafe { *(sp as *const u64) }, 0x40_6000, "returns into the restorer");
        // The restorer's rt_sigreturn runs with rsp just past pretcode.
        f.rsp = sp + 8;
        // SAFETY: the frame and the FPU image are inside `stack`.
        let (uc, fx) = unsafe { (core::ptr::read_unaligned(f.rsp as *const Ucontext), core::ptr::read_unaligned(fp as *const [u8; 512])) };
        assert_eq!(uc.uc_mcontext.fpstate, fp);
        let (mask, _) = restore_frame(&mut f, &uc, Some(fx));
        assert_eq!(mask, 0x1234);
        assert_eq!((f.rip, f.rsp, f.rcx, f.r11, f.rax, f.r15), (saved.rip, saved.rsp, saved.rcx, saved.r11, saved.rax, 15));
        assert_eq!(f.fx[160], 0xaa);
    }

    #[test]
    fn the_recoverable_copy_copies_every_length_exactly() {
        let src: std::vec::Vec<u8> = (0..700u32).map(|i| (i * 7 + 3) as u8).collect();
        for n in [0, 1, 7, 8, 9, 63, 64, 65, 71, 72, 127, 128, 200, 640, 699] {
            for off in [0, 1, 5] {
                let mut dst = std::vec![0xeeu8; 710];
                // SAFETY: dst holds off + n bytes (off <= 5, n < 700), src n.
                let done = unsafe { copy::copy(dst.as_mut_ptr().add(off), src.as_ptr(), n) };
                assert_eq!(done, n);
                assert_eq!(&dst[off..off + n], &src[..n], "n {} off {}", n, off);
                assert!(dst[..off].iter().chain(&dst[off + n..]).all(|&b| b == 0xee), "nothing outside");
            }
        }
    }

    // The host plays the UNIX server's part: a SIGSEGV handler moves a
    // faulting rip inside the routine to its fixup, as signals::exception
    // does with the Mach exception.
    mod host {
        unsafe extern "C" {
            pub static emulib_copy_begin: u8;
            pub static emulib_copy_end: u8;
            pub static emulib_copy_fixup: u8;
            pub fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut u8;
            pub fn munmap(addr: *mut u8, len: usize) -> i32;
            pub fn sigaction(sig: i32, act: *const SigAction, old: *mut SigAction) -> i32;
        }
        /// glibc's struct sigaction on x86_64.
        #[repr(C)]
        pub struct SigAction {
            pub handler: usize,
            pub mask: [u64; 16],
            pub flags: i32,
            pub restorer: usize,
        }
        /// ucontext_t's uc_mcontext.gregs[REG_RIP] (glibc, x86_64).
        const UC_RIP: usize = 40 + 16 * 8;

        pub extern "C" fn on_segv(_sig: i32, _info: *mut u8, uc: *mut u8) {
            // SAFETY: the kernel passes the interrupted context; the
            // symbols are the routine's bounds.
            unsafe {
                let rip = &mut *(uc.add(UC_RIP) as *mut u64);
                let begin = &emulib_copy_begin as *const u8 as u64;
                let end = &emulib_copy_end as *const u8 as u64;
                if !(begin..end).contains(rip) {
                    std::process::abort();
                }
                *rip = &emulib_copy_fixup as *const u8 as u64;
            }
        }
    }

    #[test]
    fn a_fault_stops_the_copy_exactly_at_the_edge_in_every_loop() {
        use host::*;
        // SAFETY: a fresh anonymous mapping whose second page is then
        // unmapped; the handler only redirects faults inside the routine.
        unsafe {
            let act = SigAction { handler: on_segv as *const () as usize, mask: [0; 16], flags: 4 /* SA_SIGINFO */, restorer: 0 };
            assert_eq!(sigaction(11, &act, core::ptr::null_mut()), 0);
            let base = mmap(core::ptr::null_mut(), 8192, 3, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0);
            assert!(!base.is_null() && base as isize != -1);
            assert_eq!(munmap(base.add(4096), 4096), 0);
            let edge = base.add(4096);
            let src: std::vec::Vec<u8> = (0..5000u32).map(|i| (i * 13 + 1) as u8).collect();
            let mut back = std::vec![0u8; 5000];
            // k mapped bytes before the edge, then `over` more: the fault
            // comes in the 64-byte, the 8-byte or the byte loop.
            for k in [0usize, 1, 5, 8, 13, 63, 64, 100, 200, 4000, 4096] {
                for over in [1usize, 7, 8, 64, 300] {
                    let n = k + over;
                    core::ptr::write_bytes(base, 0, 4096);
                    assert_eq!(copy::copy(edge.sub(k), src.as_ptr(), n), k, "to the edge: k {} n {}", k, n);
                    assert_eq!(core::slice::from_raw_parts(edge.sub(k), k), &src[..k]);
                    back.fill(0xee);
                    assert_eq!(copy::copy(back.as_mut_ptr(), edge.sub(k), n), k, "from the edge: k {} n {}", k, n);
                    assert_eq!(&back[..k], &src[..k]);
                    assert!(back[k..n].iter().all(|&b| b == 0xee), "nothing past the fault");
                }
            }
        }
    }

    #[test]
    fn exec_reset_clears_everything() {
        let mut f = Frame { fx: [7; 512], r15: 1, r14: 1, r13: 1, r12: 1, r11: 1, r10: 1, r9: 1, r8: 1, rbp: 1,
                            rdi: 1, rsi: 1, rdx: 1, rcx: 1, rbx: 1, rax: 1, rip: 1, rsp: 1, rflags: 1 };
        f.reset_for_exec(0x401000, 0x7fff_0000);
        assert_eq!((f.rip, f.rsp, f.rax, f.rdx, f.rflags), (0x401000, 0x7fff_0000, 0, 0, 0x202));
        assert_eq!(&f.fx[24..28], &0x1f80u32.to_le_bytes());
    }
}
