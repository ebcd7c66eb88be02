//! The C memory primitives a freestanding link needs.
//!
//! The compiler lowers copies and fills to calls of these symbols, and the
//! host target's `compiler_builtins` does not export them, so every
//! `#![no_std]` binary on the system links this crate. Copies and fills go
//! eight bytes at a time (`rep movsq`/`rep stosq`) and finish with bytes:
//! TCG runs a rep string instruction one iteration at a time, and under
//! `-icount` each iteration counts as a guest instruction, so `rep movsb`
//! alone made a 512-byte copy cost 512 instructions (and as many helper
//! iterations of wall time). On hardware with ERMSB either form is fast.
#![no_std]

use core::arch::asm;

/// # Safety
/// The C contract: `dst` and `src` valid for `n` bytes, not overlapping.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller gives valid, non-overlapping ranges of n bytes;
    // n/8 quadwords then n%8 bytes cover exactly those n bytes, forwards
    // (so memmove may use this when dst is below src).
    unsafe {
        asm!("rep movsq", "mov ecx, {tail:e}", "rep movsb", tail = in(reg) n % 8,
             inout("rdi") dst => _, inout("rsi") src => _, inout("rcx") n / 8 => _,
             options(nostack, preserves_flags));
    }
    dst
}

/// # Safety
/// The C contract: both ranges valid for `n` bytes; they may overlap.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize) <= (src as usize) || (dst as usize) >= (src as usize).wrapping_add(n) {
        // SAFETY: a forward copy is correct when dst does not start inside src.
        return unsafe { memcpy(dst, src, n) };
    }
    // Overlap with dst above src: copy backwards, with the direction flag set
    // only for this instruction (the ABI wants DF clear everywhere else).
    // SAFETY: valid ranges per the caller; pointers start at the last byte.
    unsafe {
        asm!("std", "rep movsb", "cld",
             inout("rdi") dst.add(n - 1) => _, inout("rsi") src.add(n - 1) => _,
             inout("rcx") n => _, options(nostack));
    }
    dst
}

/// # Safety
/// The C contract: `dst` valid for `n` bytes.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    // SAFETY: the caller gives a valid range of n bytes; n/8 quadwords of
    // the byte repeated, then n%8 bytes, fill exactly those.
    unsafe {
        asm!("rep stosq", "mov ecx, {tail:e}", "rep stosb", tail = in(reg) n % 8,
             inout("rdi") dst => _, inout("rcx") n / 8 => _, in("rax") (c as u8 as u64) * 0x0101_0101_0101_0101,
             options(nostack, preserves_flags));
    }
    dst
}

/// # Safety
/// The C contract: both ranges valid for `n` bytes.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: i < n and both ranges are valid for n bytes.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return x as i32 - y as i32;
        }
    }
    0
}

/// # Safety
/// As `memcmp`.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

/// # Safety
/// `s` points to a NUL-terminated string.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    // SAFETY: the string is NUL-terminated, so every byte up to the NUL is valid.
    while unsafe { *s.add(n) } != 0 {
        n += 1;
    }
    n
}

/// liballoc references an unwinding personality even with panic=abort.
#[cfg(not(test))]
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    #[test]
    fn move_overlapping_both_ways() {
        let mut v: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
        unsafe { memmove(v.as_mut_ptr().add(2), v.as_ptr(), 5) };
        assert_eq!(v, [1, 2, 1, 2, 3, 4, 5, 8]);
        let mut w: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
        unsafe { memmove(w.as_mut_ptr(), w.as_ptr().add(3), 5) };
        assert_eq!(w, [4, 5, 6, 7, 8, 6, 7, 8]);
    }
    #[test]
    fn copy_and_fill_every_length_and_offset() {
        let src: std::vec::Vec<u8> = (0..64u8).collect();
        for len in 0..40 {
            for off in 0..9 {
                let mut d = [0xeeu8; 64];
                unsafe { memcpy(d.as_mut_ptr().add(off), src.as_ptr().add(3), len) };
                assert_eq!(&d[off..off + len], &src[3..3 + len]);
                assert!(d[..off].iter().chain(&d[off + len..]).all(|&b| b == 0xee));
                let mut f = [0u8; 64];
                unsafe { memset(f.as_mut_ptr().add(off), 0x5a, len) };
                assert!(f[off..off + len].iter().all(|&b| b == 0x5a));
                assert!(f[..off].iter().chain(&f[off + len..]).all(|&b| b == 0));
            }
        }
        let mut w: std::vec::Vec<u8> = (0..40u8).collect();
        unsafe { memmove(w.as_mut_ptr(), w.as_ptr().add(1), 30) };
        assert_eq!(&w[..30], &(1..31u8).collect::<std::vec::Vec<_>>()[..]);
    }
    #[test]
    fn set_and_compare() {
        let mut v = [0u8; 5];
        unsafe { memset(v.as_mut_ptr(), 0xab, 4) };
        assert_eq!(v, [0xab, 0xab, 0xab, 0xab, 0]);
        assert!(unsafe { memcmp(b"abc".as_ptr(), b"abd".as_ptr(), 3) } < 0);
        assert_eq!(unsafe { strlen(b"hello\0".as_ptr()) }, 5);
    }
}

/// The precompiled liballoc and libcore are built for unwinding and name
/// this symbol in their cleanup paths; with panic=abort it is never reached.
#[cfg(not(test))]
#[unsafe(no_mangle)]
pub extern "C" fn _Unwind_Resume() -> ! {
    loop {
        core::hint::spin_loop();
    }
}
