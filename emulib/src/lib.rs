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

pub fn initial_fx() -> [u8; 512] {
    let mut fx = [0u8; 512];
    fx[0..2].copy_from_slice(&0x37fu16.to_le_bytes());
    fx[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
    fx
}

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

    #[test]
    fn exec_reset_clears_everything() {
        let mut f = Frame { fx: [7; 512], r15: 1, r14: 1, r13: 1, r12: 1, r11: 1, r10: 1, r9: 1, r8: 1, rbp: 1,
                            rdi: 1, rsi: 1, rdx: 1, rcx: 1, rbx: 1, rax: 1, rip: 1, rsp: 1, rflags: 1 };
        f.reset_for_exec(0x401000, 0x7fff_0000);
        assert_eq!((f.rip, f.rsp, f.rax, f.rdx, f.rflags), (0x401000, 0x7fff_0000, 0, 0, 0x202));
        assert_eq!(&f.fx[24..28], &0x1f80u32.to_le_bytes());
    }
}
