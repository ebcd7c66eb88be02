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
// rsi and rdi point past the ends and rcx counts up from -n, so a step
// is its moves, one add and one branch (10 instructions per 64 bytes);
// in the 64-byte loop rcx is biased by +64 so that the add's own flags
// say whether another whole step fits. r8 says which loop runs: 2 the
// 64-byte one (remaining = 64 - rcx), 1 the 8-byte one, 0 the byte one
// (remaining = -rcx).
core::arch::global_asm!(
    r#"
    .section .text.emulib_copy, "ax"
    .global emulib_copy_begin
emulib_copy_begin:
    .global emulib_copy
emulib_copy:
    leaq (%rdi,%rdx), %rdi
    leaq (%rsi,%rdx), %rsi
    movq %rdx, %rcx
    negq %rcx
    movl $2, %r8d
    addq $64, %rcx
    jg 2f
1:  movdqu -64(%rsi,%rcx), %xmm0
    movdqu -48(%rsi,%rcx), %xmm1
    movdqu -32(%rsi,%rcx), %xmm2
    movdqu -16(%rsi,%rcx), %xmm3
    movdqu %xmm0, -64(%rdi,%rcx)
    movdqu %xmm1, -48(%rdi,%rcx)
    movdqu %xmm2, -32(%rdi,%rcx)
    movdqu %xmm3, -16(%rdi,%rcx)
    addq $64, %rcx
    jle 1b
2:  subq $64, %rcx
    movl $1, %r8d
3:  cmpq $-8, %rcx
    jg 4f
    movq (%rsi,%rcx), %rax
    movq %rax, (%rdi,%rcx)
    addq $8, %rcx
    jmp 3b
4:  xorl %r8d, %r8d
    testq %rcx, %rcx
    jz 6f
5:  movb (%rsi,%rcx), %al
    movb %al, (%rdi,%rcx)
    incq %rcx
    jnz 5b
6:  movq %rcx, %rax
    negq %rax
    ret
    .global emulib_copy_end
emulib_copy_end:
    /* A fault in [begin, end) resumes here, registers as at the fault:
       from the 64- or 8-byte loop, on byte by byte from the step that
       faulted; from the byte loop, the bytes left. */
    .global emulib_copy_fixup
emulib_copy_fixup:
    cmpl $2, %r8d
    jne 7f
    subq $64, %rcx
7:  testl %r8d, %r8d
    jnz 4b
    movq %rcx, %rax
    negq %rax
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
