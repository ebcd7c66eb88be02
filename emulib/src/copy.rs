//! Recoverable copies between emulib and the program's memory, the way a
//! kernel's exception table makes copy_to_user safe, one level up: the
//! routine lies between the global symbols `emulib_copy_begin` and
//! `emulib_copy_end`; when an instruction in that range faults, the UNIX
//! server (its exception handler, before anything else) sets the
//! thread's rip to `emulib_copy_fixup` and resumes it. Every other
//! register is as it was at the fault, so the fixup knows where the copy
//! stood and returns the bytes not copied. The success path is a plain
//! copy: no trap, no message.
//!
//! The bulk loop moves 64 bytes a step through four SSE registers (emulib
//! may use them: its entry saved the program's FXSAVE image), then the
//! tail 8 and 1 bytes a step. `rep movs` is avoided on purpose: TCG runs
//! a rep string instruction one iteration at a time through a helper.
//! A fault in the 64- or 8-byte steps (r8 = 1) goes on byte by byte from
//! the step that faulted (its bytes are copied again, which is harmless:
//! the source did not change), so the count stops exactly at the edge of
//! the mapped memory, as Linux's copy_user tail does.

// emulib_copy(dst = rdi, src = rsi, n = rdx) -> rax = bytes not copied.
// Clobbers rax, rcx, rdx, rsi, rdi, r8, xmm0..xmm3 (all caller-saved).
core::arch::global_asm!(
    r#"
    .section .text.emulib_copy, "ax"
    .global emulib_copy_begin
emulib_copy_begin:
    .global emulib_copy
emulib_copy:
    movl $1, %r8d
    cmpq $64, %rdx
    jb 2f
1:  movdqu (%rsi), %xmm0
    movdqu 16(%rsi), %xmm1
    movdqu 32(%rsi), %xmm2
    movdqu 48(%rsi), %xmm3
    movdqu %xmm0, (%rdi)
    movdqu %xmm1, 16(%rdi)
    movdqu %xmm2, 32(%rdi)
    movdqu %xmm3, 48(%rdi)
    addq $64, %rsi
    addq $64, %rdi
    subq $64, %rdx
    cmpq $64, %rdx
    jae 1b
2:  cmpq $8, %rdx
    jb 3f
    movq (%rsi), %rcx
    movq %rcx, (%rdi)
    addq $8, %rsi
    addq $8, %rdi
    subq $8, %rdx
    jmp 2b
3:  xorl %r8d, %r8d
    testq %rdx, %rdx
    jz 5f
4:  movb (%rsi), %cl
    movb %cl, (%rdi)
    incq %rsi
    incq %rdi
    decq %rdx
    jnz 4b
5:  movq %rdx, %rax
    ret
    .global emulib_copy_end
emulib_copy_end:
    /* A fault in [begin, end) resumes here, registers as at the fault. */
    .global emulib_copy_fixup
emulib_copy_fixup:
    testl %r8d, %r8d
    jnz 3b
    movq %rdx, %rax
    ret
    .text
"#,
    options(att_syntax)
);

unsafe extern "C" {
    fn emulib_copy(dst: *mut u8, src: *const u8, n: usize) -> usize;
}

/// Copies `n` bytes from `src` to `dst`; returns how many were copied
/// before a fault in either range (n when none).
///
/// # Safety
/// Whatever of the two ranges is mapped must be memory that may be
/// written (dst) or read (src): a fault is recovered, a wrong write to
/// mapped memory is not. Without the server's fixup (the host tests)
/// both must be wholly valid.
pub unsafe fn copy(dst: *mut u8, src: *const u8, n: usize) -> usize {
    // SAFETY: per the caller; the routine touches only [dst, dst + n)
    // and [src, src + n).
    n - unsafe { emulib_copy(dst, src, n) }
}
