//! FPU/SSE state. Kernel Rust code uses SSE (libcore is compiled with it),
//! so every entry from user mode saves the user's state with FXSAVE in
//! assembly before any Rust runs, and every return restores it.

/// An FXSAVE area.
#[repr(C, align(64))]
#[derive(Clone)]
pub struct FpuState(pub [u8; 512]);

impl FpuState {
    /// The state of a fresh thread: what FNINIT plus the default MXCSR give,
    /// so a new thread neither inherits nor leaks anyone's registers.
    pub fn initial() -> Self {
        let mut s = FpuState([0; 512]);
        s.0[0..2].copy_from_slice(&0x037fu16.to_le_bytes()); // FCW: all masked
        s.0[24..28].copy_from_slice(&0x1f80u32.to_le_bytes()); // MXCSR: all masked
        s.0[28..32].copy_from_slice(&0xffffu32.to_le_bytes()); // MXCSR_MASK
        s
    }
}
