//! The user runtime for Mach tasks and servers (no_std): the entry point,
//! the traps, console output, a panic handler, RPC stubs' transport, a heap
//! on vm_allocate, threads and locks, so that a task or a server is written
//! as ordinary Rust with a `fn main(args)`.
#![no_std]

extern crate memfns;

pub mod console;
pub mod heap;
pub mod msg;
pub mod port;
pub mod rpc;
pub mod start;
pub mod sync;
pub mod task;
pub mod thread;
pub mod vm;
pub mod trap;

pub use start::Args;
