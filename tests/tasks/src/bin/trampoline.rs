//! The trampoline: this task points its emulation vector at its own
//! handler, then makes UNIX system calls with every general and vector
//! register set to a pattern, and checks that the handler saw the call and
//! that every register the Linux ABI preserves came back intact.
#![no_std]
#![no_main]

use mach::defs::task::task_set_emulation;
use machrt::println;
use machrt::rpc::{task_self, Kernel};

// The test "emulation library": rax += 1000 and return to the caller at
// rcx. lea and jmp leave the flags alone, and the kernel entered us with
// the program's flags, so they come back as the program had them.
core::arch::global_asm!(
    ".text",
    ".global test_emulation_entry",
    "test_emulation_entry:",
    "    lea 1000(%rax), %rax",
    "    jmp *%rcx",
    options(att_syntax)
);

unsafe extern "C" {
    fn test_emulation_entry();
}

/// Registers in and out, indexed as: 0 rax, 1 rbx, 2 rcx, 3 rdx, 4 rsi,
/// 5 rdi, 6 rbp, 8..15 r8..r15 (7 unused: rsp), 11 holds the flags after.
#[repr(C, align(16))]
struct Block {
    gin: [u64; 16],
    gout: [u64; 16],
    xin: [u128; 16],
    xout: [u128; 16],
}

/// Loads every register from `b.gin`/`b.xin`, sets CF, makes system call
/// 39 (getpid), and stores every register to `b.gout`/`b.xout`.
fn call_with_patterns(b: &mut Block) {
    // SAFETY: the asm saves and restores rbx and rbp itself, declares every
    // other register clobbered, and only touches `b` and its own pushes.
    unsafe {
        core::arch::asm!(
            "push %rbx", "push %rbp", "push %rax",
            "movdqa 256+16*0(%rax), %xmm0", "movdqa 256+16*1(%rax), %xmm1",
            "movdqa 256+16*2(%rax), %xmm2", "movdqa 256+16*3(%rax), %xmm3",
            "movdqa 256+16*4(%rax), %xmm4", "movdqa 256+16*5(%rax), %xmm5",
            "movdqa 256+16*6(%rax), %xmm6", "movdqa 256+16*7(%rax), %xmm7",
            "movdqa 256+16*8(%rax), %xmm8", "movdqa 256+16*9(%rax), %xmm9",
            "movdqa 256+16*10(%rax), %xmm10", "movdqa 256+16*11(%rax), %xmm11",
            "movdqa 256+16*12(%rax), %xmm12", "movdqa 256+16*13(%rax), %xmm13",
            "movdqa 256+16*14(%rax), %xmm14", "movdqa 256+16*15(%rax), %xmm15",
            "mov 8*1(%rax), %rbx", "mov 8*3(%rax), %rdx", "mov 8*4(%rax), %rsi",
            "mov 8*5(%rax), %rdi", "mov 8*6(%rax), %rbp", "mov 8*8(%rax), %r8",
            "mov 8*9(%rax), %r9", "mov 8*10(%rax), %r10", "mov 8*12(%rax), %r12",
            "mov 8*13(%rax), %r13", "mov 8*14(%rax), %r14", "mov 8*15(%rax), %r15",
            "mov $39, %eax",
            "stc",
            "syscall",
            "pushfq",
            "xchg %rax, 8(%rsp)",
            "pop 128+8*11(%rax)",
            "mov %rbx, 128+8*1(%rax)", "mov %rcx, 128+8*2(%rax)", "mov %rdx, 128+8*3(%rax)",
            "mov %rsi, 128+8*4(%rax)", "mov %rdi, 128+8*5(%rax)", "mov %rbp, 128+8*6(%rax)",
            "mov %r8, 128+8*8(%rax)", "mov %r9, 128+8*9(%rax)", "mov %r10, 128+8*10(%rax)",
            "mov %r12, 128+8*12(%rax)", "mov %r13, 128+8*13(%rax)", "mov %r14, 128+8*14(%rax)",
            "mov %r15, 128+8*15(%rax)",
            "movdqa %xmm0, 512+16*0(%rax)", "movdqa %xmm1, 512+16*1(%rax)",
            "movdqa %xmm2, 512+16*2(%rax)", "movdqa %xmm3, 512+16*3(%rax)",
            "movdqa %xmm4, 512+16*4(%rax)", "movdqa %xmm5, 512+16*5(%rax)",
            "movdqa %xmm6, 512+16*6(%rax)", "movdqa %xmm7, 512+16*7(%rax)",
            "movdqa %xmm8, 512+16*8(%rax)", "movdqa %xmm9, 512+16*9(%rax)",
            "movdqa %xmm10, 512+16*10(%rax)", "movdqa %xmm11, 512+16*11(%rax)",
            "movdqa %xmm12, 512+16*12(%rax)", "movdqa %xmm13, 512+16*13(%rax)",
            "movdqa %xmm14, 512+16*14(%rax)", "movdqa %xmm15, 512+16*15(%rax)",
            "pop %rbx",
            "mov %rbx, 128(%rax)",
            "pop %rbp", "pop %rbx",
            inout("rax") b as *mut Block => _,
            out("rcx") _, out("rdx") _, out("rsi") _, out("rdi") _,
            out("r8") _, out("r9") _, out("r10") _, out("r11") _,
            out("r12") _, out("r13") _, out("r14") _, out("r15") _,
            out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _,
            out("xmm4") _, out("xmm5") _, out("xmm6") _, out("xmm7") _,
            out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
            out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
            options(att_syntax)
        );
    }
}

const PRESERVED: [(usize, &str); 12] = [
    (1, "rbx"), (3, "rdx"), (4, "rsi"), (5, "rdi"), (6, "rbp"), (8, "r8"),
    (9, "r9"), (10, "r10"), (12, "r12"), (13, "r13"), (14, "r14"), (15, "r15"),
];

fn check_registers() -> bool {
    let mut b = Block { gin: [0; 16], gout: [0; 16], xin: [0; 16], xout: [0; 16] };
    for i in 0..16 {
        b.gin[i] = 0x0101_0101_0101_0101u64.wrapping_mul(i as u64 + 1) ^ 0xa5a5_0000_0000_5a5a;
        b.xin[i] = (0x1111_2222_3333_4444_5555_6666_7777_8888u128).wrapping_mul(i as u128 + 3);
    }
    call_with_patterns(&mut b);
    let mut ok = true;
    if b.gout[0] != 1039 {
        println!("trampoline: rax = {} after getpid, expected 1039", b.gout[0]);
        ok = false;
    }
    for (i, name) in PRESERVED {
        if b.gout[i] != b.gin[i] {
            println!("trampoline: {} changed: {:#x} -> {:#x}", name, b.gin[i], b.gout[i]);
            ok = false;
        }
    }
    if b.gout[11] & 1 == 0 {
        println!("trampoline: carry flag lost (flags {:#x})", b.gout[11]);
        ok = false;
    }
    for i in 0..16 {
        if b.xout[i] != b.xin[i] {
            println!("trampoline: xmm{} changed", i);
            ok = false;
        }
    }
    ok
}

/// Ticks per bounce (guest instructions under -icount shift=0).
fn measure_bounce() -> u64 {
    const N: u64 = 2000;
    let start = machrt::trap::rdtsc();
    for _ in 0..N {
        // SAFETY: a UNIX call that our own vector answers.
        unsafe { core::arch::asm!("syscall", inlateout("rax") 39u64 => _, lateout("rcx") _, lateout("r11") _) };
    }
    (machrt::trap::rdtsc() - start) / N
}

fn main(_args: machrt::Args) -> i32 {
    let entry = test_emulation_entry as *const () as u64;
    if let Err(kr) = task_set_emulation::call(&Kernel, task_self(), entry, 0, 511) {
        println!("trampoline: task_set_emulation failed: {}", mach::kern_return::name(kr));
        return 1;
    }
    println!("trampoline: vector set at {:#x}", entry);
    if !check_registers() {
        return 2;
    }
    println!("trampoline: getpid bounced, every preserved register and the flags intact");
    println!("MACH trampoline-bounce ticks={}", measure_bounce());
    // A Mach trap still goes to the kernel with the vector set: println
    // itself is one. Clearing the vector makes UNIX calls faults again.
    task_set_emulation::call(&Kernel, task_self(), 0, 0, 0).ok();
    println!("trampoline: vector cleared; the next UNIX call must end this task");
    // SAFETY: ends the task by design.
    unsafe { core::arch::asm!("syscall", inlateout("rax") 39u64 => _, lateout("rcx") _, lateout("r11") _) };
    println!("trampoline: survived a UNIX call without a vector, which is wrong");
    3
}

machrt::entry!(main);
