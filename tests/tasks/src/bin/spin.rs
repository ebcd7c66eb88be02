//! Spins in user mode forever: only the clock can take the CPU from it.
#![no_std]
#![no_main]

fn main(_args: machrt::Args) -> i32 {
    machrt::println!("spin task: spinning");
    loop {
        core::hint::spin_loop();
    }
}

machrt::entry!(main);
