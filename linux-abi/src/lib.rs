//! The Linux x86_64 system-call ABI, defined once for emulib, the UNIX
//! server and the tests: call numbers, errno values, the structures the
//! kernel exchanges with user space, and the flag constants.
//!
//! Everything is plain data: no allocation, no OS dependency.
#![no_std]

pub mod consts;
pub mod errno;
pub mod layout;
pub mod regs;
pub mod structs;
pub mod sysno;

pub use errno::Errno;
pub use regs::Regs;
