//! The task subsystem's messages served on a task port (ids 3400+).

use crate::message::MsgHeader;
use crate::pod::Pod;

/// Special ports a task holds send rights to (`<mach/task_special_ports.h>`).
pub const TASK_KERNEL_PORT: i32 = 1;
pub const TASK_HOST_PORT: i32 = 2;
/// The port a task asks to find services; boot tasks share one, whose
/// receive right the first boot task holds.
pub const TASK_BOOTSTRAP_PORT: i32 = 4;

pub const TASK_GET_SPECIAL_PORT: i32 = 3409;

/// task_get_special_port(task, which) -> send right. The reply is a
/// `mach_port::PortReply` carrying a copy of the send right.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct GetSpecialPortRequest {
    pub header: MsgHeader,
    pub which: i32,
}

// SAFETY: repr(C), 4-byte fields only.
unsafe impl Pod for GetSpecialPortRequest {}
