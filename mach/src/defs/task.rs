//! The task subsystem (3400): calls on a task port.

use crate::port::PortName;
use crate::routine;

/// `task_get_special_port` / `task_set_special_port` selectors.
pub const TASK_KERNEL_PORT: u32 = 1;
pub const TASK_HOST_PORT: u32 = 2;
pub const TASK_EXCEPTION_PORT: u32 = 3;
/// The port a task asks to find services; boot tasks share one, whose
/// receive right the first boot task holds.
pub const TASK_BOOTSTRAP_PORT: u32 = 4;

/// The most thread rights one `task_threads` reply carries.
pub const TASK_THREADS_MAX: usize = 8;

/// `task_info` flavour TASK_BASIC_INFO.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskBasicInfo {
    pub suspend_count: u32,
    pub thread_count: u32,
    pub resident_pages: u64,
    pub virtual_size: u64,
    pub user_ticks: u64,
}

routine! {
    /// Creates a task; with `inherit_memory` its address space is built
    /// from the parent's by each region's inheritance, else it is empty.
    task_create = 3400;
    request { inherit_memory: u32 }
    reply { }
    reply_ports { child: MACH_MSG_TYPE_MOVE_SEND }
}

routine! {
    /// Ends the task and all its threads.
    task_terminate = 3401;
    request { }
    reply { }
}

routine! {
    /// Send rights to the task's first threads (up to TASK_THREADS_MAX, the
    /// rest MACH_PORT_NULL) and how many threads it has in all.
    task_threads = 3402;
    request { }
    reply { count: u32 }
    reply_ports { t0: MACH_MSG_TYPE_MOVE_SEND, t1: MACH_MSG_TYPE_MOVE_SEND, t2: MACH_MSG_TYPE_MOVE_SEND,
                  t3: MACH_MSG_TYPE_MOVE_SEND, t4: MACH_MSG_TYPE_MOVE_SEND, t5: MACH_MSG_TYPE_MOVE_SEND,
                  t6: MACH_MSG_TYPE_MOVE_SEND, t7: MACH_MSG_TYPE_MOVE_SEND }
}

impl task_threads::Reply {
    /// The thread names the reply carries, in order.
    pub fn threads(&self) -> [PortName; TASK_THREADS_MAX] {
        [{ self.t0 }.name, { self.t1 }.name, { self.t2 }.name, { self.t3 }.name,
         { self.t4 }.name, { self.t5 }.name, { self.t6 }.name, { self.t7 }.name]
    }
}

routine! {
    /// TASK_BASIC_INFO.
    task_info = 3404;
    request { }
    reply { info: TaskBasicInfo }
}

routine! {
    /// Increments the suspend count; threads stop while it is above zero.
    task_suspend = 3407;
    request { }
    reply { }
}

routine! {
    /// Decrements the suspend count (KERN_FAILURE when already zero).
    task_resume = 3408;
    request { }
    reply { }
}

routine! {
    task_get_special_port = 3409;
    request { which: u32 }
    reply { }
    reply_ports { port: MACH_MSG_TYPE_MOVE_SEND }
}

routine! {
    /// Sets a special port to the right carried (MACH_PORT_NULL clears).
    task_set_special_port = 3410;
    request { which: u32 }
    request_ports { port: MACH_MSG_TYPE_COPY_SEND }
    reply { }
}

routine! {
    /// Creates a suspended thread in the task (set its state, then resume).
    thread_create = 3412;
    request { }
    reply { }
    reply_ports { thread: MACH_MSG_TYPE_MOVE_SEND }
}

routine! {
    /// Sets the emulation vector: UNIX system calls numbered in
    /// [first, last] from this task enter user mode at `entry`, registers
    /// intact, with the return address in rcx and the flags in r11 (the
    /// trampoline). Inherited by task_create. entry 0 clears it.
    task_set_emulation = 3413;
    request { entry: u64, first: u64, last: u64 }
    reply { }
}
