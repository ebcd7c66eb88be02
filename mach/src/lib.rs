//! The system's interface definitions, shared by the microkernel, the user
//! runtime, emulib, the UNIX server and the pagers.
//!
//! Values follow Mach 3 where Mach 3 defined one, so that a reader who knows
//! `<mach/message.h>` and `<mach/kern_return.h>` finds the same numbers here.
#![cfg_attr(not(test), no_std)]

pub mod defs;
pub mod kern_return;
pub mod message;
pub mod pod;
pub mod port;
pub mod rpc;
pub mod traps;
pub mod vm;

pub use kern_return::KernReturn;
pub use message::{MsgHeader, MsgBits, MsgOption};
pub use port::PortName;
