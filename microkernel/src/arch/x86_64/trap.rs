//! Interrupt and exception entry, the saved register frame, and the return
//! path to user mode.
//!
//! Every vector has a 16-byte stub that pushes an error code (zero when the
//! CPU pushes none) and its number, then joins `trap_common`, which pushes
//! the general registers and, when coming from user mode, swaps GS and saves
//! the FPU state before any Rust code can touch it.

use super::cpu::CPU_FPU_AREA;
use core::fmt;
use core::mem::offset_of;

/// The registers of an interrupted context, as the entry paths save them.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct TrapFrame {
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
    pub vector: u64,
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

pub const FRAME_CS: usize = offset_of!(TrapFrame, cs);
/// The vector number the SYSCALL path records (not a hardware vector).
pub const SYSCALL_VECTOR: u64 = 256;

pub const VEC_DIVIDE: u64 = 0;
pub const VEC_DEBUG: u64 = 1;
pub const VEC_BREAKPOINT: u64 = 3;
pub const VEC_INVALID_OPCODE: u64 = 6;
pub const VEC_DEVICE_NOT_AVAILABLE: u64 = 7;
pub const VEC_DOUBLE_FAULT: u64 = 8;
pub const VEC_GENERAL_PROTECTION: u64 = 13;
pub const VEC_PAGE_FAULT: u64 = 14;
pub const VEC_X87: u64 = 16;
pub const VEC_ALIGNMENT: u64 = 17;
pub const VEC_SIMD: u64 = 19;

impl TrapFrame {
    pub fn from_user(&self) -> bool {
        self.cs & 3 == 3
    }
}

pub fn vector_name(v: u64) -> &'static str {
    const NAMES: [&str; 22] = [
        "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
        "invalid opcode", "device not available", "double fault", "coprocessor overrun",
        "invalid TSS", "segment not present", "stack fault", "general protection fault",
        "page fault", "reserved", "x87 floating point", "alignment check", "machine check",
        "SIMD floating point", "virtualization", "control protection",
    ];
    if v == SYSCALL_VECTOR {
        return "system call";
    }
    NAMES.get(v as usize).copied().unwrap_or("interrupt")
}

impl fmt::Display for TrapFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  rip {:#018x} cs {:#x} rflags {:#x} rsp {:#018x} ss {:#x}",
                 self.rip, self.cs, self.rflags, self.rsp, self.ss)?;
        writeln!(f, "  rax {:#018x} rbx {:#018x} rcx {:#018x} rdx {:#018x}",
                 self.rax, self.rbx, self.rcx, self.rdx)?;
        writeln!(f, "  rsi {:#018x} rdi {:#018x} rbp {:#018x} r8  {:#018x}",
                 self.rsi, self.rdi, self.rbp, self.r8)?;
        writeln!(f, "  r9  {:#018x} r10 {:#018x} r11 {:#018x} r12 {:#018x}",
                 self.r9, self.r10, self.r11, self.r12)?;
        write!(f, "  r13 {:#018x} r14 {:#018x} r15 {:#018x} err {:#x}",
               self.r13, self.r14, self.r15, self.error_code)
    }
}

pub fn read_cr2() -> u64 {
    x86_64::registers::control::Cr2::read_raw()
}

/// The general registers, pushed so that they land in TrapFrame order
/// (r15 at the lowest address), and popped back; shared by every entry and
/// exit path so the frame has one layout.
macro_rules! push_gprs {
    () => {
        "    pushq %rax\n    pushq %rbx\n    pushq %rcx\n    pushq %rdx\n    pushq %rsi\n    pushq %rdi\n    pushq %rbp\n    pushq %r8\n    pushq %r9\n    pushq %r10\n    pushq %r11\n    pushq %r12\n    pushq %r13\n    pushq %r14\n    pushq %r15\n"
    };
}
macro_rules! pop_gprs {
    () => {
        "    popq %r15\n    popq %r14\n    popq %r13\n    popq %r12\n    popq %r11\n    popq %r10\n    popq %r9\n    popq %r8\n    popq %rbp\n    popq %rdi\n    popq %rsi\n    popq %rdx\n    popq %rcx\n    popq %rbx\n    popq %rax\n"
    };
}
pub(crate) use {pop_gprs, push_gprs};

#[cfg(not(test))]
core::arch::global_asm!(
    concat!(
    r#"
    .text
    .balign 16
    .global trap_vectors
trap_vectors:
    .set vec, 0
    .rept 256
    .balign 16
    .if ((vec == 8) + (vec == 10) + (vec == 11) + (vec == 12) + (vec == 13) + (vec == 14) + (vec == 17) + (vec == 21) + (vec == 29) + (vec == 30)) == 0
    pushq $0
    .endif
    pushq $vec
    jmp trap_common
    .set vec, vec + 1
    .endr

trap_common:
    testb $3, 24(%rsp)
    jz 1f
    swapgs
1:
"#,
    push_gprs!(),
    r#"
    testb $3, {cs}(%rsp)
    jz 2f
    movq %gs:{fpu}, %rax
    fxsave64 (%rax)
2:  movq %rsp, %rdi
    cld
    call trap_dispatch
    jmp trap_return

    /* Returns to the context saved in the frame at rsp. New threads start
       here too, with a frame their creator built. */
    .global trap_return
trap_return:
    testb $3, {cs}(%rsp)
    jz 3f
    movq %gs:{fpu}, %rax
    fxrstor64 (%rax)
3:
"#,
    pop_gprs!(),
    r#"
    testb $3, 24(%rsp)
    jz 4f
    swapgs
4:  addq $16, %rsp
    iretq
"#),
    cs = const FRAME_CS,
    fpu = const CPU_FPU_AREA,
    options(att_syntax)
);

unsafe extern "C" {
    static trap_vectors: u8;
}

/// Address of vector n's entry stub.
pub fn vector_stub(n: usize) -> u64 {
    // Only the address of the stub table is taken.
    core::ptr::addr_of!(trap_vectors) as u64 + 16 * n as u64
}

/// Called by `trap_common` with the saved frame.
#[cfg_attr(not(test), unsafe(no_mangle))]
extern "C" fn trap_dispatch(frame: &mut TrapFrame) {
    let v = frame.vector;
    if v == super::timer::TIMER_VECTOR as u64 {
        super::timer::eoi(v as u8);
        crate::kern::clock::tick(frame.from_user());
    } else if v < 32 {
        if frame.from_user() {
            let addr = if v == VEC_PAGE_FAULT { read_cr2() } else { 0 };
            let mut fault = None;
            if v == VEC_PAGE_FAULT {
                // Lazy memory and copy-on-write: most user page faults are
                // resolved by the VM; only the rest are exceptions.
                match crate::vm::fault::user_fault(addr, frame.error_code) {
                    Ok(()) => return,
                    Err(kr) => {
                        crate::kdebug!("vm_fault at {:#x}: {}", addr, mach::kern_return::name(kr));
                        fault = Some(kr);
                    }
                }
            }
            crate::kern::exception::user_trap(frame, addr, fault);
        } else {
            kernel_trap(frame);
        }
    } else if v >= super::timer::IRQ_BASE as u64 && v < super::timer::IRQ_BASE as u64 + 16 {
        // The EOI after the driver quietened its device: a level-triggered
        // PCI line still high at EOI would be raised again, then vanish
        // before the CPU takes it (a spurious IRQ 7 or 15).
        crate::device::interrupt(v as u8 - super::timer::IRQ_BASE);
        super::timer::eoi(v as u8);
    } else {
        crate::kern::log::warn(format_args!("stray interrupt {}", v));
    }
    if frame.from_user() {
        crate::kern::ast::check();
    }
}

/// An exception in kernel mode is a kernel bug: report everything and stop.
fn kernel_trap(frame: &TrapFrame) -> ! {
    let cr2 = read_cr2();
    panic!(
        "kernel {} (vector {}) at {:#x}, cr2 {:#x}\n{}",
        vector_name(frame.vector), frame.vector, frame.rip, cr2, frame
    );
}
