//! The core's lock type. In the server task (feature `mach`) it is
//! machrt's sleeping mutex: a waiter blocks in the kernel and the holder,
//! whatever its priority, gets the processor to finish. Host tests, which
//! cannot make Mach calls, use a spin lock with the same interface.

#[cfg(feature = "mach")]
pub use machrt::sync::{Mutex, MutexGuard};
#[cfg(not(feature = "mach"))]
pub use spin::{Mutex, MutexGuard};
