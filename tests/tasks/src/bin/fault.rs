//! Faults on purpose, in the way its first argument names: `badaddr`
//! (write to an unmapped address), `priv` (a privileged instruction),
//! `ud` (an invalid opcode), `unix` (a UNIX system call with no emulator).
#![no_std]
#![no_main]

use machrt::println;

fn main(args: machrt::Args) -> i32 {
    let how = args.get(1).unwrap_or("badaddr");
    println!("fault task: about to fault ({})", how);
    // SAFETY: none of this is safe; faulting is the point.
    unsafe {
        match how {
            "badaddr" => core::ptr::write_volatile(0xdead_b000 as *mut u64, 1),
            "priv" => core::arch::asm!("hlt"),
            "ud" => core::arch::asm!("ud2"),
            "unix" => core::arch::asm!("syscall", inlateout("rax") 39u64 => _, lateout("rcx") _, lateout("r11") _),
            "kernaddr" => { let _ = core::ptr::read_volatile(0xffff_ffff_8010_0000 as *const u64); }
            _ => println!("unknown fault kind"),
        }
    }
    println!("fault task: still alive, which is wrong");
    1
}

machrt::entry!(main);
