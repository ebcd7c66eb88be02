//! SYSCALL entry. The path builds the same `TrapFrame` as an interrupt, so
//! thread state looks alike however the thread entered the kernel.

use super::cpu::{CPU_FPU_AREA, CPU_KERNEL_RSP, CPU_USER_RSP};
use super::gdt::{KERNEL_CS, USER_CS, USER_DS};
use super::trap::SYSCALL_VECTOR;
use x86_64::registers::model_specific::Msr;

const IA32_STAR: u32 = 0xC000_0081;
const IA32_LSTAR: u32 = 0xC000_0082;
const IA32_FMASK: u32 = 0xC000_0084;

#[cfg(not(test))]
core::arch::global_asm!(
    r#"
    .text
    .global syscall_entry
syscall_entry:
    swapgs
    movq %rsp, %gs:{user_rsp}
    movq %gs:{kernel_rsp}, %rsp
    pushq ${user_ds}
    pushq %gs:{user_rsp}
    pushq %r11
    pushq ${user_cs}
    pushq %rcx
    pushq $0
    pushq ${vector}
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %gs:{fpu}, %rax
    fxsave64 (%rax)
    movq %rsp, %rdi
    cld
    call syscall_dispatch
    jmp trap_return
"#,
    user_rsp = const CPU_USER_RSP,
    kernel_rsp = const CPU_KERNEL_RSP,
    fpu = const CPU_FPU_AREA,
    user_ds = const USER_DS,
    user_cs = const USER_CS,
    vector = const SYSCALL_VECTOR,
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
