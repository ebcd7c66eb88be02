//! Task operations served on a task port.

use crate::rpc::Kernel;
use mach::defs::task::*;
use mach::port::PortName;
use mach::KernReturn;

pub fn get_special_port(task: PortName, which: u32) -> Result<PortName, KernReturn> {
    Ok({ task_get_special_port::call(&Kernel, task, which)?.port }.name)
}

/// A send right to the bootstrap port (for the first boot task, the name
/// of its receive right).
pub fn bootstrap_port() -> Result<PortName, KernReturn> {
    get_special_port(crate::trap::task_self(), TASK_BOOTSTRAP_PORT)
}
