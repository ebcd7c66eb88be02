//! Task operations served on a task port.

use crate::msg::rpc;
use mach::kern_return::*;
use mach::mach_port::PortReply;
use mach::port::PortName;
use mach::task::*;
use mach::KernReturn;

pub fn get_special_port(task: PortName, which: i32) -> Result<PortName, KernReturn> {
    let r: PortReply = rpc(task, TASK_GET_SPECIAL_PORT, GetSpecialPortRequest { which, ..Default::default() })?;
    if r.ret == KERN_SUCCESS { Ok(r.port.name) } else { Err(r.ret) }
}

/// A send right to the bootstrap port (for the first boot task, the name
/// of its receive right).
pub fn bootstrap_port() -> Result<PortName, KernReturn> {
    get_special_port(crate::trap::task_self(), TASK_BOOTSTRAP_PORT)
}
