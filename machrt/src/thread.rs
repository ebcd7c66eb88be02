//! Threads of this task: `spawn(f, arg)` makes a thread with
//! thread_create, gives it a stack from vm_allocate and its registers with
//! thread_set_state, and starts it with thread_resume — the Mach way, which
//! any task can also do to another task it holds the port of.

use crate::rpc::Kernel;
use mach::defs::thread::*;
use mach::defs::task::thread_create;
use mach::defs::vm::vm_allocate;
use mach::port::PortName;
use mach::KernReturn;

pub const STACK_SIZE: u64 = 64 * 1024;
/// Where thread stacks go (the lowest free range at or above): high, out
/// of the way of the program's own allocations and of holes a copied
/// address space may have.
pub const STACK_HINT: u64 = 0x6000_0000_0000;

/// A thread's entry: runs `f(arg)`; it ends with `exit`.
pub type Entry = extern "C" fn(u64) -> !;

/// Where every spawned thread starts: rdi = arg, rsi = f, rdx = nonzero
/// when the thread is the first of a task whose memory was copied from
/// ours, which must forget the names cached in that copy.
extern "C" fn thread_start(arg: u64, f: Entry, new_task: u64) -> ! {
    if new_task != 0 {
        crate::trap::forget_cached_names();
    }
    f(arg)
}

/// Starts `f(arg)` in a new thread of `task` on a fresh stack in `task`
/// (whose memory must hold `f`: this task, or a copy of it). Returns the
/// thread's port.
pub fn spawn_in(task: PortName, f: Entry, arg: u64) -> Result<PortName, KernReturn> {
    let stack = vm_allocate::call(&Kernel, task, STACK_HINT, STACK_SIZE, 1)?.address;
    let thread = { thread_create::call(&Kernel, task)?.thread }.name;
    let regs = ThreadState64 {
        rip: thread_start as *const () as u64,
        // As if called: at entry rsp + 8 is 16-byte aligned.
        rsp: stack + STACK_SIZE - 8,
        rdi: arg,
        rsi: f as *const () as u64,
        rdx: (task != crate::trap::task_self()) as u64,
        ..ThreadState64::default()
    };
    thread_set_state::call(&Kernel, thread, X86_THREAD_STATE64, StateBuf { regs })?;
    thread_resume::call(&Kernel, thread)?;
    Ok(thread)
}

/// Starts `f(arg)` in a new thread of this task.
pub fn spawn(f: Entry, arg: u64) -> Result<PortName, KernReturn> {
    spawn_in(crate::trap::task_self(), f, arg)
}

/// Ends the calling thread.
pub fn exit() -> ! {
    let _ = thread_terminate::call(&Kernel, crate::trap::thread_self());
    unreachable!("thread_terminate of the current thread returned")
}
