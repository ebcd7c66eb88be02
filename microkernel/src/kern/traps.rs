//! The system call switch: Mach traps (negative numbers) to their handlers.
//! Non-negative numbers are UNIX system calls, which belong to the task's
//! emulation library; a task without one gets an exception.
//!
//! Every task may use the Mach traps on its own rights (mach_msg, the
//! self ports, reply ports, the switch traps, exiting itself); the debug
//! traps answer KERN_NO_ACCESS to a task that is not privileged.

use super::sched;
use super::task::{TaskExit, TaskVm};
use crate::arch::trap::TrapFrame;
use crate::arch::usercopy::{copyin, copyout};
use mach::kern_return::*;
use mach::traps;
use crate::ipc::port::{KObject, Port};
use crate::ipc::right::Right;

#[cfg_attr(not(test), unsafe(no_mangle))]
extern "C" fn syscall_dispatch(frame: &mut TrapFrame) {
    let n = frame.rax as i64;
    if n == traps::MACH_MSG {
        // First, and straight to mach_msg: the IPC path is the hot one.
        frame.rax = crate::ipc::msg::mach_msg_trap(frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9) as i64 as u64;
    } else if n < 0 {
        frame.rax = mach_trap(n, frame) as i64 as u64;
    } else {
        unix_call_without_emulator(frame);
    }
    super::ast::check();
}

fn mach_trap(n: i64, f: &mut TrapFrame) -> KernReturn {
    match n {
        traps::DEBUG_TASK_EXIT => exit_task(TaskExit::Exited(f.rdi as i32)),
        traps::DEBUG_PRINT | traps::DEBUG_POWEROFF | traps::DEBUG_VM_STATS if !caller_privileged() => KERN_NO_ACCESS,
        traps::DEBUG_PRINT => debug_print(f.rdi, f.rsi),
        traps::DEBUG_POWEROFF => {
            crate::kinfo!("powered off by task request, status {}", f.rdi as u8);
            crate::arch::power::poweroff(f.rdi as u8)
        }
        traps::DEBUG_VM_STATS => debug_vm_stats(f.rdi),
        traps::SWTCH | traps::SWTCH_PRI | traps::THREAD_SWITCH => {
            sched::schedule();
            KERN_SUCCESS
        }
        traps::MACH_REPLY_PORT => match sched::current_ref().task.as_ref().map(|t| t.space.may_add_name()) {
            Some(Ok(())) => self_port(|_, _| Right::Receive(Port::new(KObject::None))),
            _ => 0, // MACH_PORT_NULL: no room (kern/kalloc.rs)
        },
        traps::TASK_SELF => self_port(|task, _| Right::make_send(&task.itk_self)),
        traps::THREAD_SELF => self_port(|_, t| Right::make_send(&t.port())),
        // As Mach's host_self trap: the task's host port, which is the
        // privileged one only for a privileged task.
        traps::HOST_SELF => self_port(|task, _| task.host_port()),
        _ => KERN_INVALID_ARGUMENT,
    }
}

/// The debug traps (console output, power off, VM introspection) are the
/// boot tasks' (Task::privileged): a UNIX process must not print on the
/// kernel console or stop the machine. Exiting one's own task stays open.
fn caller_privileged() -> bool {
    sched::current_ref().task.as_ref().is_some_and(|t| t.privileged())
}

/// The traps that return a name for a right in the caller's space (the
/// return value is the name, MACH_PORT_NULL on failure).
fn self_port(make: impl FnOnce(&alloc::sync::Arc<super::task::Task>, &alloc::sync::Arc<super::thread::Thread>) -> Right) -> KernReturn {
    let t = sched::current();
    let Some(task) = t.task.clone() else { return 0 };
    let r = make(&task, &t);
    task.space.copyout(r) as KernReturn
}

fn debug_print(addr: u64, len: u64) -> KernReturn {
    const MAX: u64 = 64 * 1024;
    if len > MAX {
        return KERN_INVALID_ARGUMENT;
    }
    let t = sched::current();
    let task = t.task.as_ref().expect("user thread");
    let mut vm = task.vm.lock();
    let mut buf = [0u8; 256];
    let mut done = 0;
    // Copy all first, so a bad pointer prints nothing rather than half.
    let mut out = alloc::vec::Vec::with_capacity(len as usize);
    while done < len {
        let n = (len - done).min(buf.len() as u64) as usize;
        if copyin(&mut vm, addr + done, &mut buf[..n]).is_err() {
            return KERN_INVALID_ADDRESS;
        }
        out.extend_from_slice(&buf[..n]);
        done += n as u64;
    }
    drop(vm);
    crate::device::cons::write_bytes(&out);
    KERN_SUCCESS
}

// DEBUG_VM_STATS is introspection for the VM tests (frame counts, chain
// depth), which no Mach interface reports.

/// Runs `f` on the calling task's memory.
fn with_vm(f: impl FnOnce(&mut TaskVm) -> KernReturn) -> KernReturn {
    let t = sched::current();
    let task = t.task.as_ref().expect("user thread");
    let mut vm = task.vm.lock();
    f(&mut vm)
}


/// rdi: address of a `mach::vm::DebugVmStats` to fill.
fn debug_vm_stats(out: u64) -> KernReturn {
    with_vm(|vm| {
        let mut objects: alloc::vec::Vec<&crate::vm::object::VmObject> =
            vm.map.entries().iter().filter_map(|e| e.object.as_deref()).collect();
        objects.sort_by_key(|o| o.id);
        objects.dedup_by_key(|o| o.id);
        let s = mach::vm::DebugVmStats {
            free_pages: crate::vm::resident::free_count() as u64,
            pages_allocated: crate::vm::page::pages_allocated(),
            resident_pages: objects.iter().map(|o| o.resident_count() as u64).sum(),
            max_chain_depth: vm.map.max_chain_depth() as u64,
            map_entries: vm.map.entries().len() as u64,
            live_objects: crate::vm::object::live_objects(),
        };
        match copyout(vm, &s.to_bytes(), out) {
            Ok(()) => KERN_SUCCESS,
            Err(_) => KERN_INVALID_ADDRESS,
        }
    })
}

fn exit_task(how: TaskExit) -> ! {
    let t = sched::current();
    let task = t.task.clone().expect("user thread");
    drop(t);
    task.terminate(how);
    drop(task);
    sched::exit_current()
}

/// A UNIX system call from a task with no emulation vector covering it:
/// an EXC_SYSCALL exception (which a handler may answer by emulating it).
fn unix_call_without_emulator(f: &mut TrapFrame) {
    super::exception::user_trap(f, 0, None);
}
