//! A Mach 3 style microkernel.
//!
//! The machine-independent parts (`kern`, `ipc`, `vm`, `device`) are kept
//! apart from the machine-dependent part (`arch`), as in Mach. The library
//! builds on the host too, so that `cargo test` checks the
//! machine-independent logic; the boot and trap assembly is left out there.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
// The host build leaves out the assembly that uses these.
#![cfg_attr(test, allow(unused_imports, dead_code))]

extern crate alloc;
#[cfg(not(test))]
extern crate memfns;

pub mod arch;
pub mod device;
pub mod ipc;
pub mod kern;
pub mod vm;
