//! Typed clients for the kernel's mach_port operations, each one RPC to a
//! task port through the `routine!` stubs of `mach::defs::mach_port`.

use crate::rpc::Kernel;
use mach::defs::mach_port::*;
use mach::port::*;
use mach::KernReturn;

pub fn allocate(task: PortName, right: PortRight) -> Result<PortName, KernReturn> {
    Ok(mach_port_allocate::call(&Kernel, task, right)?.name)
}

pub fn destroy(task: PortName, name: PortName) -> Result<(), KernReturn> {
    mach_port_destroy::call(&Kernel, task, name).map(|_| ())
}

pub fn deallocate(task: PortName, name: PortName) -> Result<(), KernReturn> {
    mach_port_deallocate::call(&Kernel, task, name).map(|_| ())
}

pub fn get_refs(task: PortName, name: PortName, right: PortRight) -> Result<u32, KernReturn> {
    Ok(mach_port_get_refs::call(&Kernel, task, name, right)?.refs)
}

pub fn mod_refs(task: PortName, name: PortName, right: PortRight, delta: i32) -> Result<(), KernReturn> {
    mach_port_mod_refs::call(&Kernel, task, name, right, delta).map(|_| ())
}

pub fn move_member(task: PortName, member: PortName, after: PortName) -> Result<(), KernReturn> {
    mach_port_move_member::call(&Kernel, task, member, after).map(|_| ())
}

/// Gives `task` the right `poly` (a name in this task, with `disposition`)
/// under `name`.
pub fn insert_right(task: PortName, name: PortName, poly: PortName, disposition: MsgTypeName) -> Result<(), KernReturn> {
    let mut req = mach_port_insert_right::Request::new(task, poly, name);
    req.poly = mach::message::PortDescriptor::new(poly, disposition);
    mach_port_insert_right::invoke(&Kernel, req).map(|_| ())
}

/// Takes a right out of `task`'s space; returns its name here.
pub fn extract_right(task: PortName, name: PortName, disposition: MsgTypeName) -> Result<PortName, KernReturn> {
    Ok({ mach_port_extract_right::call(&Kernel, task, name, disposition)?.poly }.name)
}

/// Registers `notify` (a receive right here; a send-once right is made
/// from it) for notification `variant` about `name`. Returns the name of
/// the previous request's send-once right, if any.
pub fn request_notification(task: PortName, name: PortName, variant: i32, sync: u32, notify: PortName) -> Result<PortName, KernReturn> {
    let disp = if notify == MACH_PORT_NULL { MACH_MSG_TYPE_MOVE_SEND_ONCE } else { MACH_MSG_TYPE_MAKE_SEND_ONCE };
    let mut req = mach_port_request_notification::Request::new(task, notify, name, variant, sync);
    req.notify = mach::message::PortDescriptor::new(notify, disp);
    Ok({ mach_port_request_notification::invoke(&Kernel, req)?.previous }.name)
}

pub fn get_attributes(task: PortName, name: PortName, flavor: u32) -> Result<[u32; PORT_INFO_WORDS], KernReturn> {
    Ok(mach_port_get_attributes::call(&Kernel, task, name, flavor)?.info)
}

pub fn set_qlimit(task: PortName, name: PortName, qlimit: u32) -> Result<(), KernReturn> {
    let mut info = [0; PORT_INFO_WORDS];
    info[0] = qlimit;
    mach_port_set_attributes::call(&Kernel, task, name, MACH_PORT_LIMITS_INFO, 1, info).map(|_| ())
}

/// The receive status of `name` (`mach::defs::mach_port::STATUS_*` indices).
pub fn status(task: PortName, name: PortName) -> Result<[u32; PORT_INFO_WORDS], KernReturn> {
    get_attributes(task, name, MACH_PORT_RECEIVE_STATUS)
}
