//! Exceptions (Mach's 2400 range): the kernel sends `exception_raise` to a
//! thread's, else its task's, exception port and waits for the reply.
//! KERN_SUCCESS resumes the thread (with whatever state the handler set);
//! any other reply ends the task.

use crate::routine;

/// Mach's exception classes.
pub const EXC_BAD_ACCESS: i32 = 1;
pub const EXC_BAD_INSTRUCTION: i32 = 2;
pub const EXC_ARITHMETIC: i32 = 3;
pub const EXC_EMULATION: i32 = 4;
pub const EXC_SOFTWARE: i32 = 5;
pub const EXC_BREAKPOINT: i32 = 6;
pub const EXC_SYSCALL: i32 = 7;

routine! {
    /// `code[0]` is the machine trap number (or error), `code[1]` the
    /// faulting address (page faults) or the trap's error code.
    exception_raise = 2401;
    request { exception: i32, code: [u64; 2] }
    request_ports { thread: MACH_MSG_TYPE_COPY_SEND, task: MACH_MSG_TYPE_COPY_SEND }
    reply { }
}
