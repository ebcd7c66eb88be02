//! Typed clients for the kernel's mach_port operations (`mach::mach_port`),
//! each one RPC to a task port.

use crate::msg::rpc;
use mach::kern_return::*;
use mach::mach_port::*;
use mach::message::{MsgBody, MsgHeader, PortDescriptor, MACH_MSGH_BITS_COMPLEX};
use mach::port::*;
use mach::KernReturn;

fn ok(ret: KernReturn) -> Result<(), KernReturn> {
    if ret == KERN_SUCCESS { Ok(()) } else { Err(ret) }
}

fn complex() -> MsgHeader {
    MsgHeader { bits: MACH_MSGH_BITS_COMPLEX, ..MsgHeader::default() }
}

pub fn allocate(task: PortName, right: PortRight) -> Result<PortName, KernReturn> {
    let r: AllocateReply = rpc(task, MACH_PORT_ALLOCATE, AllocateRequest { right, ..Default::default() })?;
    ok(r.ret).map(|_| r.name)
}

pub fn destroy(task: PortName, name: PortName) -> Result<(), KernReturn> {
    let r: RetReply = rpc(task, MACH_PORT_DESTROY, NameRequest { name, ..Default::default() })?;
    ok(r.ret)
}

pub fn deallocate(task: PortName, name: PortName) -> Result<(), KernReturn> {
    let r: RetReply = rpc(task, MACH_PORT_DEALLOCATE, NameRequest { name, ..Default::default() })?;
    ok(r.ret)
}

pub fn get_refs(task: PortName, name: PortName, right: PortRight) -> Result<u32, KernReturn> {
    let r: GetRefsReply = rpc(task, MACH_PORT_GET_REFS, GetRefsRequest { name, right, ..Default::default() })?;
    ok(r.ret).map(|_| r.refs)
}

pub fn mod_refs(task: PortName, name: PortName, right: PortRight, delta: i32) -> Result<(), KernReturn> {
    let r: RetReply = rpc(task, MACH_PORT_MOD_REFS, ModRefsRequest { name, right, delta, ..Default::default() })?;
    ok(r.ret)
}

pub fn move_member(task: PortName, member: PortName, after: PortName) -> Result<(), KernReturn> {
    let r: RetReply = rpc(task, MACH_PORT_MOVE_MEMBER, MoveMemberRequest { member, after, ..Default::default() })?;
    ok(r.ret)
}

/// Gives `task` the right `poly` (a name in this task, with `disposition`)
/// under `name`.
pub fn insert_right(task: PortName, name: PortName, poly: PortName, disposition: MsgTypeName) -> Result<(), KernReturn> {
    let req = InsertRightRequest {
        header: complex(),
        body: MsgBody { descriptor_count: 1 },
        poly: PortDescriptor::new(poly, disposition),
        name,
    };
    let r: RetReply = rpc(task, MACH_PORT_INSERT_RIGHT, req)?;
    ok(r.ret)
}

/// Takes a right out of `task`'s space; returns its name here.
pub fn extract_right(task: PortName, name: PortName, disposition: MsgTypeName) -> Result<PortName, KernReturn> {
    let r: PortReply = rpc(task, MACH_PORT_EXTRACT_RIGHT, ExtractRightRequest { name, disposition, ..Default::default() })?;
    ok(r.ret).map(|_| r.port.name)
}

/// Registers `notify` (a receive right here; a send-once right is made
/// from it) for notification `variant` about `name`. Returns the name of
/// the previous request's send-once right, if any.
pub fn request_notification(task: PortName, name: PortName, variant: i32, sync: u32, notify: PortName) -> Result<PortName, KernReturn> {
    let disp = if notify == MACH_PORT_NULL { MACH_MSG_TYPE_MOVE_SEND_ONCE } else { MACH_MSG_TYPE_MAKE_SEND_ONCE };
    let req = RequestNotificationRequest {
        header: complex(),
        body: MsgBody { descriptor_count: 1 },
        notify: PortDescriptor::new(notify, disp),
        name,
        variant,
        sync,
    };
    let r: PortReply = rpc(task, MACH_PORT_REQUEST_NOTIFICATION, req)?;
    ok(r.ret).map(|_| r.port.name)
}

pub fn get_attributes(task: PortName, name: PortName, flavor: u32) -> Result<[u32; PORT_INFO_WORDS], KernReturn> {
    let r: GetAttributesReply = rpc(task, MACH_PORT_GET_ATTRIBUTES, GetAttributesRequest { name, flavor, ..Default::default() })?;
    ok(r.ret).map(|_| r.info)
}

pub fn set_qlimit(task: PortName, name: PortName, qlimit: u32) -> Result<(), KernReturn> {
    let mut info = [0; PORT_INFO_WORDS];
    info[0] = qlimit;
    let req = SetAttributesRequest { name, flavor: MACH_PORT_LIMITS_INFO, count: 1, info, ..Default::default() };
    let r: RetReply = rpc(task, MACH_PORT_SET_ATTRIBUTES, req)?;
    ok(r.ret)
}

/// The receive status of `name` (`mach::mach_port::STATUS_*` indices).
pub fn status(task: PortName, name: PortName) -> Result<[u32; PORT_INFO_WORDS], KernReturn> {
    get_attributes(task, name, MACH_PORT_RECEIVE_STATUS)
}
