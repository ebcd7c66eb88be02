//! The interfaces of the kernel's objects and of the external memory
//! management protocol, as `routine!` declarations: the one definition that
//! the kernel's servers and every client use. Ids follow Mach 3's
//! subsystems where Mach 3 had the routine.

pub mod bsd;
pub mod device;
pub mod exc;
pub mod host;
pub mod mach_port;
pub mod memory_object;
pub mod notify;
pub mod task;
pub mod thread;
pub mod vm;
