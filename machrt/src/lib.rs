//! The user runtime for Mach tasks and servers (no_std): the entry point,
//! the traps, console output and a panic handler, so that a task is written
//! as an ordinary `fn main(args)`.
#![no_std]

extern crate memfns;

pub mod console;
pub mod msg;
pub mod port;
pub mod rpc;
pub mod start;
pub mod task;
pub mod vm;
pub mod trap;

pub use start::Args;
