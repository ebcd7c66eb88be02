//! The UNIX server: processes, files, pipes, signals and ttys, served to
//! emulib over Mach IPC.
//!
//! This crate is the machine-independent core: pure state machines over
//! the Linux x86_64 ABI (`linux-abi`), with no IPC or VM calls, so all of
//! it is testable on the host. The kernel-facing glue (message loop,
//! thread parking, copying to and from user memory, mapping segments)
//! drives these types.
//!
//! Concurrency model: the server is multithreaded; each process's state
//! is behind its own lock, so a call that blocks holds only its own
//! process, never the table. Lock order: process table, then a process's
//! state, then its descriptor table, then an open file. Nothing here
//! blocks: operations that would sleep return a "would block" result and
//! the glue parks the calling thread until the matching wakeup.
//!
//! Every fallible operation returns `Result<T, Errno>`.
#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod exec_image;
pub mod fd;
pub mod namei;
pub mod pipe;
pub mod tty;
pub mod proc;
pub mod sigframe;
pub mod signal;

pub use linux_abi::Errno;
