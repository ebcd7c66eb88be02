//! Exceptions raised by user threads, delivered as Mach delivers them: an
//! `exception_raise` message to the thread's exception port, else the
//! task's, carrying send rights to the thread and the task, the exception
//! class and two codes. The faulting thread waits in the kernel for the
//! reply: KERN_SUCCESS resumes it (with whatever state the handler set
//! meanwhile through thread_set_state), anything else — or no handler at
//! all — ends the task, after the fault is reported on the console.

use super::sched;
use super::task::{Task, TaskExit};
use super::thread::Thread;
use crate::arch::trap::{vector_name, TrapFrame, VEC_PAGE_FAULT, SYSCALL_VECTOR};
use crate::ipc::kmsg::Kmsg;
use crate::ipc::mqueue::{self, Received, Source, Wait};
use crate::ipc::port::{KObject, Port};
use crate::ipc::right::Right;
use alloc::sync::Arc;
use core::mem::offset_of;
use mach::defs::exc::*;
use mach::kern_return::*;
use mach::port::MACH_PORT_NULL;

/// The exception class and codes of a machine trap (Mach's i386 mapping).
fn classify(frame: &TrapFrame, addr: u64, fault: Option<KernReturn>) -> (i32, [u64; 2]) {
    match frame.vector {
        VEC_PAGE_FAULT => (EXC_BAD_ACCESS, [fault.unwrap_or(KERN_INVALID_ADDRESS) as u64, addr]),
        SYSCALL_VECTOR => (EXC_SYSCALL, [frame.rax, 0]),
        0 | 16 | 19 => (EXC_ARITHMETIC, [frame.vector, frame.error_code]),
        1 | 3 => (EXC_BREAKPOINT, [frame.vector, 0]),
        v => (EXC_BAD_INSTRUCTION, [v, frame.error_code]),
    }
}

/// A user thread took exception `frame.vector`; `addr` is the faulting
/// address of a page fault and `fault` why the VM could not resolve it.
/// Returns when a handler resumed the thread; otherwise the task ends.
pub fn user_trap(frame: &TrapFrame, addr: u64, fault: Option<KernReturn>) {
    let thread = sched::current();
    if thread.halt_requested() {
        // Its task is ending (the fault came from memory already gone):
        // no handler to ask, nothing to report.
        drop(thread);
        sched::exit_current();
    }
    let task = thread.task.clone().expect("user threads belong to a task");
    let (exc, code) = classify(frame, addr, fault);
    if raise(&thread, &task, exc, code) {
        return;
    }
    report(&thread, &task, frame, addr);
    task.terminate(TaskExit::Killed { vector: frame.vector });
    drop(task);
    drop(thread);
    sched::exit_current();
}

/// The thread's exception port, else its task's.
fn exception_port(thread: &Thread, task: &Task) -> Option<Right> {
    let r = thread.ith_exception.lock().copy();
    let r = if r.is_null() { task.itk_exception.lock().copy() } else { r };
    (!r.is_null()).then_some(r)
}

/// Sends exception_raise and waits for the reply; true when the handler
/// answered KERN_SUCCESS (or the wait was aborted, e.g. to terminate).
fn raise(thread: &Arc<Thread>, task: &Arc<Task>, exc: i32, code: [u64; 2]) -> bool {
    let Some(dest) = exception_port(thread, task) else { return false };
    let reply_port = Port::new(KObject::None);
    let msg = exception_raise::Request::new(MACH_PORT_NULL, MACH_PORT_NULL, MACH_PORT_NULL, exc, code);
    let mut k = Kmsg::from_struct(&msg, dest)
        .with_port(offset_of!(exception_raise::Request, thread), Right::make_send(&thread.port()))
        .with_port(offset_of!(exception_raise::Request, task), Right::make_send(&task.itk_self));
    k.reply = Right::make_send_once(&reply_port);
    if mqueue::deliver(k) != KERN_SUCCESS {
        crate::ipc::port::destroy(reply_port);
        return false;
    }
    let answer = mqueue::receive(&Source::Port(reply_port.clone()), 0, 4096, false, Wait::Forever);
    crate::ipc::port::destroy(reply_port);
    match answer {
        Ok(Received::Message(r)) => {
            let size = core::mem::size_of::<exception_raise::Reply>();
            mach::rpc::check_reply(&r.data, exception_raise::ID, size, false).is_ok()
        }
        // Interrupted by thread_abort or thread_terminate: the thread goes
        // back towards user mode, where a halt is noticed.
        Err(MACH_RCV_INTERRUPTED) => true,
        _ => false,
    }
}

fn report(thread: &Thread, task: &Task, frame: &TrapFrame, addr: u64) {
    if frame.vector == VEC_PAGE_FAULT {
        let e = frame.error_code;
        crate::kprintln!(
            "task {} ({}) thread {}: page fault at {:#x} ({} {}, {}) rip {:#x}",
            task.id, task.name, thread.id, addr,
            if e & 2 != 0 { "write" } else { "read" },
            if e & 16 != 0 { "instruction fetch" } else { "data" },
            if e & 1 != 0 { "protection violation" } else { "not present" },
            frame.rip
        );
    } else if frame.vector == SYSCALL_VECTOR {
        crate::kprintln!(
            "task {} ({}) thread {}: UNIX system call {} with no emulation library at rip {:#x}",
            task.id, task.name, thread.id, frame.rax, frame.rip
        );
        return;
    } else {
        crate::kprintln!(
            "task {} ({}) thread {}: {} (vector {}) at rip {:#x}",
            task.id, task.name, thread.id, vector_name(frame.vector), frame.vector, frame.rip
        );
    }
    crate::kprintln!("{}", frame);
}
