//! Tasks, threads, scheduling, and the kernel's own services.

pub mod ast;
pub mod boot_args;
pub mod boot_info;
pub mod bootstrap;
pub mod clock;
pub mod counts;
pub mod elf;
pub mod emulation;
pub mod exception;
pub mod kalloc;
pub mod host_server;
pub mod log;
pub mod panic;
pub mod priority;
pub mod sched;
pub mod startup;
pub mod task;
pub mod task_server;
pub mod thread;
pub mod thread_server;
pub mod thread_state;
pub mod traps;
