//! SYSCALL entry.
//!
//! First the trampoline: a UNIX system call (a number inside the running
//! task's emulation range) goes straight back to user mode at the task's
//! emulation vector, in assembly only, with every register as the program
//! left it: rcx holds the return address and r11 the flags, as SYSCALL
//! left them, and rax the call number. Nothing is saved, nothing of the
//! program's stack is touched, and no Rust runs.
//!
//! Everything else (Mach traps, or a task without a vector) builds the same
//! `TrapFrame` as an interrupt, so thread state looks alike however the
//! thread entered the kernel. It returns with SYSRET when the frame is one
//! SYSRET restores exactly: user cs and ss, rcx equal to rip and r11 to
//! rflags (as SYSCALL left them, unless thread_set_state changed them),
//! a canonical lower-half rip (SYSRET to a non-canonical rip would fault
//! in ring 0 on Intel), and no flag SYSRET would drop or that needs care
//! (RF, VM, TF, reserved bits). Anything else leaves by IRETQ
//! (trap_return). Under -icount both are one instruction; in wall time
//! SYSRET is the cheaper.

use super::cpu::{CPU_EMUL_COUNT, CPU_EMUL_ENTRY, CPU_EMUL_FIRST, CPU_FPU_AREA, CPU_KERNEL_RSP, CPU_USER_RSP};
use super::gdt::{KERNEL_CS, USER_CS, USER_DS};
use super::trap::{pop_gprs, push_gprs, TrapFrame, FRAME_CS, SYSCALL_VECTOR};
use core::mem::offset_of;

/// RFLAGS bits a SYSRET return must not carry: every bit SYSRET does not
/// load from r11 (it keeps 0x3C7FD7: RF, VM and the reserved bits go), and
/// TF. Negative, so that it fits test's sign-extended 32-bit immediate.
const SYSRET_BAD_FLAGS: i64 = (!0x3C7FD7u64 | (1 << 8)) as i64;
use x86_64::registers::model_specific::Msr;

const IA32_STAR: u32 = 0xC000_0081;
const IA32_LSTAR: u32 = 0xC000_0082;
const IA32_FMASK: u32 = 0xC000_0084;

#[cfg(not(test))]
core::arch::global_asm!(
    concat!(
    r#"
    .text
    .global syscall_entry
syscall_entry:
    swapgs
    movq %rsp, %gs:{user_rsp}
    /* rsp is the only free register: use it to test the range. */
    movq %rax, %rsp
    subq %gs:{emul_first}, %rsp
    cmpq %gs:{emul_count}, %rsp
    jae 1f
    /* Bounce: iretq to the vector, flags as the program had them. */
    movq %gs:{kernel_rsp}, %rsp
    pushq ${user_ds}
    pushq %gs:{user_rsp}
    pushq %r11
    pushq ${user_cs}
    pushq %gs:{emul_entry}
    swapgs
    iretq
1:  movq %gs:{kernel_rsp}, %rsp
    pushq ${user_ds}
    pushq %gs:{user_rsp}
    pushq %r11
    pushq ${user_cs}
    pushq %rcx
    pushq $0
    pushq ${vector}
"#,
    push_gprs!(),
    r#"
    movq %gs:{fpu}, %rax
    fxsave64 (%rax)
    movq %rsp, %rdi
    cld
    call syscall_dispatch
    cmpq ${user_cs}, {f_cs}(%rsp)
    jne trap_return
    cmpq ${user_ds}, {f_ss}(%rsp)
    jne trap_return
    movq {f_rip}(%rsp), %rcx
    cmpq %rcx, {f_rcx}(%rsp)
    jne trap_return
    shrq $47, %rcx
    jnz trap_return
    movq {f_rflags}(%rsp), %r11
    cmpq %r11, {f_r11}(%rsp)
    jne trap_return
    testq ${bad_flags}, %r11
    jnz trap_return
    movq %gs:{fpu}, %rax
    fxrstor64 (%rax)
"#,
    pop_gprs!(),
    r#"
    /* rcx = rip and r11 = rflags, as checked; then the user stack (the
       frame's rsp, past vector, error code, rip, cs and rflags). No
       interrupt can come here (IF is clear) and there is no NMI source. */
    movq 40(%rsp), %rsp
    swapgs
    sysretq
"#),
    f_cs = const FRAME_CS,
    f_ss = const offset_of!(TrapFrame, ss),
    f_rip = const offset_of!(TrapFrame, rip),
    f_rcx = const offset_of!(TrapFrame, rcx),
    f_rflags = const offset_of!(TrapFrame, rflags),
    f_r11 = const offset_of!(TrapFrame, r11),
    bad_flags = const SYSRET_BAD_FLAGS,
    user_rsp = const CPU_USER_RSP,
    kernel_rsp = const CPU_KERNEL_RSP,
    fpu = const CPU_FPU_AREA,
    user_ds = const USER_DS,
    user_cs = const USER_CS,
    vector = const SYSCALL_VECTOR,
    emul_entry = const CPU_EMUL_ENTRY,
    emul_first = const CPU_EMUL_FIRST,
    emul_count = const CPU_EMUL_COUNT,
    options(att_syntax)
);

unsafe extern "C" {
    fn syscall_entry();
}

/// Programs the SYSCALL MSRs of this CPU.
pub fn init() {
    let star = ((USER_DS as u64 - 8) << 48) | ((KERNEL_CS as u64) << 32);
    // SAFETY: STAR selectors match the GDT order (gdt.rs); LSTAR is the entry
    // above; FMASK clears IF, TF, DF and AC on entry so the kernel starts
    // with interrupts off and a sane direction flag.
    unsafe {
        Msr::new(IA32_STAR).write(star & !0xffff_ffff);
        Msr::new(IA32_LSTAR).write(syscall_entry as *const () as u64);
        Msr::new(IA32_FMASK).write((1 << 9) | (1 << 8) | (1 << 10) | (1 << 18));
    }
}
