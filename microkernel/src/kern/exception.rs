//! Exceptions raised by user threads. Until exception ports exist, an
//! exception is reported with the thread's registers and ends its task.

use super::sched;
use super::task::TaskExit;
use crate::arch::trap::{vector_name, TrapFrame, VEC_PAGE_FAULT};

/// The VM could not resolve a user page fault: note why (the report and
/// the end of the task follow in `user_trap`).
pub fn user_page_fault_failed(_frame: &TrapFrame, addr: u64, kr: mach::kern_return::KernReturn) {
    crate::kdebug!("vm_fault at {:#x}: {}", addr, mach::kern_return::name(kr));
}

/// A user thread took exception `frame.vector`; `addr` is the faulting
/// address for page faults.
pub fn user_trap(frame: &TrapFrame, addr: u64) {
    let thread = sched::current();
    let task = thread.task.clone().expect("user threads belong to a task");
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
    } else {
        crate::kprintln!(
            "task {} ({}) thread {}: {} (vector {}) at rip {:#x}",
            task.id, task.name, thread.id, vector_name(frame.vector), frame.vector, frame.rip
        );
    }
    crate::kprintln!("{}", frame);
    task.terminate(TaskExit::Killed { vector: frame.vector });
    drop(task);
    drop(thread);
    sched::exit_current();
}
