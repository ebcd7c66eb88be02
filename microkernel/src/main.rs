//! The kernel executable: the boot stub (in the library) calls `kernel_main`.
#![no_std]
#![no_main]

/// The boot stub's call into Rust, in the higher half, on the boot stack.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_main(magic: u32, info_pa: u64) -> ! {
    microkernel::kern::startup::main(magic, info_pa)
}
