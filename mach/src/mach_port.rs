//! The port operations a task asks of the kernel by messages to a task port
//! (Mach's `mach_port` subsystem, ids 3200+). Each request and reply is one
//! `repr(C)` struct: a header, then the fields. A reply has the request's
//! id plus [`REPLY_ID_OFFSET`] (MIG's convention) and starts with a return
//! code. Replies that carry a port right are complex: header, body, one
//! port descriptor, then the return code.
//!
//! Ids follow the brief's numbering of Mach's subsystem; where Mach's own
//! numbering was not given, the next free id was taken.

use crate::kern_return::KernReturn;
use crate::message::{MsgBody, MsgHeader, PortDescriptor};
use crate::pod::Pod;
use crate::port::{PortName, PortRight};

pub const MACH_PORT_ALLOCATE: i32 = 3204;
pub const MACH_PORT_DESTROY: i32 = 3205;
pub const MACH_PORT_DEALLOCATE: i32 = 3206;
pub const MACH_PORT_GET_REFS: i32 = 3207;
pub const MACH_PORT_MOD_REFS: i32 = 3208;
pub const MACH_PORT_MOVE_MEMBER: i32 = 3213;
pub const MACH_PORT_INSERT_RIGHT: i32 = 3214;
pub const MACH_PORT_EXTRACT_RIGHT: i32 = 3215;
pub const MACH_PORT_REQUEST_NOTIFICATION: i32 = 3217;
pub const MACH_PORT_GET_ATTRIBUTES: i32 = 3218;
pub const MACH_PORT_SET_ATTRIBUTES: i32 = 3219;

/// A reply's id is the request's plus this.
pub const REPLY_ID_OFFSET: i32 = 100;

/// Attribute flavours: the queue limit alone, or the receive status.
pub const MACH_PORT_LIMITS_INFO: u32 = 1;
pub const MACH_PORT_RECEIVE_STATUS: u32 = 2;
/// Words of attribute information carried (the largest flavour).
pub const PORT_INFO_WORDS: usize = 10;
/// Indices into the receive status (`mach_port_status_t`).
pub const STATUS_PSET: usize = 0;
pub const STATUS_SEQNO: usize = 1;
pub const STATUS_MSCOUNT: usize = 2;
pub const STATUS_QLIMIT: usize = 3;
pub const STATUS_MSGCOUNT: usize = 4;
pub const STATUS_SORIGHTS: usize = 5;
pub const STATUS_SRIGHTS: usize = 6;
pub const STATUS_PDREQUEST: usize = 7;
pub const STATUS_NSREQUEST: usize = 8;

/// mach_port_allocate(task, right) -> name.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct AllocateRequest {
    pub header: MsgHeader,
    pub right: PortRight,
}
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct AllocateReply {
    pub header: MsgHeader,
    pub ret: KernReturn,
    pub name: PortName,
}

/// mach_port_destroy / mach_port_deallocate(task, name).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct NameRequest {
    pub header: MsgHeader,
    pub name: PortName,
}

/// A reply with only a return code.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct RetReply {
    pub header: MsgHeader,
    pub ret: KernReturn,
}

/// mach_port_get_refs(task, name, right) -> refs.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct GetRefsRequest {
    pub header: MsgHeader,
    pub name: PortName,
    pub right: PortRight,
}
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct GetRefsReply {
    pub header: MsgHeader,
    pub ret: KernReturn,
    pub refs: u32,
}

/// mach_port_mod_refs(task, name, right, delta).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ModRefsRequest {
    pub header: MsgHeader,
    pub name: PortName,
    pub right: PortRight,
    pub delta: i32,
}

/// mach_port_move_member(task, member, after): `after` is a port set, or
/// MACH_PORT_NULL to take the member out of its set.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct MoveMemberRequest {
    pub header: MsgHeader,
    pub member: PortName,
    pub after: PortName,
}

/// mach_port_insert_right(task, name, poly): a complex request carrying the
/// right, which the kernel puts in the task's space under `name`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct InsertRightRequest {
    pub header: MsgHeader,
    pub body: MsgBody,
    pub poly: PortDescriptor,
    pub name: PortName,
}

/// mach_port_extract_right(task, name, disposition) -> right.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ExtractRightRequest {
    pub header: MsgHeader,
    pub name: PortName,
    pub disposition: u32,
}

/// A complex reply carrying one right (possibly MACH_PORT_NULL) and a code.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct PortReply {
    pub header: MsgHeader,
    pub body: MsgBody,
    pub port: PortDescriptor,
    pub ret: KernReturn,
}

/// mach_port_request_notification(task, name, variant, sync, notify):
/// the reply carries the previously registered send-once right, if any.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestNotificationRequest {
    pub header: MsgHeader,
    pub body: MsgBody,
    pub notify: PortDescriptor,
    pub name: PortName,
    /// A MACH_NOTIFY_* id: NO_SENDERS, DEAD_NAME or PORT_DESTROYED.
    pub variant: i32,
    /// No-senders: fire only once the make-send count reaches this.
    pub sync: u32,
}

/// mach_port_get_attributes(task, name, flavor) -> info.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct GetAttributesRequest {
    pub header: MsgHeader,
    pub name: PortName,
    pub flavor: u32,
}
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct GetAttributesReply {
    pub header: MsgHeader,
    pub ret: KernReturn,
    pub count: u32,
    pub info: [u32; PORT_INFO_WORDS],
}

/// mach_port_set_attributes(task, name, flavor, info): LIMITS_INFO sets
/// the queue limit (info[0]).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SetAttributesRequest {
    pub header: MsgHeader,
    pub name: PortName,
    pub flavor: u32,
    pub count: u32,
    pub info: [u32; PORT_INFO_WORDS],
}

// SAFETY: each is repr(C) of 4-byte fields (the header and descriptors are
// too), so there is no padding; the layout test checks the sizes.
unsafe impl Pod for AllocateRequest {}
unsafe impl Pod for AllocateReply {}
unsafe impl Pod for NameRequest {}
unsafe impl Pod for RetReply {}
unsafe impl Pod for GetRefsRequest {}
unsafe impl Pod for GetRefsReply {}
unsafe impl Pod for ModRefsRequest {}
unsafe impl Pod for MoveMemberRequest {}
unsafe impl Pod for InsertRightRequest {}
unsafe impl Pod for ExtractRightRequest {}
unsafe impl Pod for PortReply {}
unsafe impl Pod for RequestNotificationRequest {}
unsafe impl Pod for GetAttributesRequest {}
unsafe impl Pod for GetAttributesReply {}
unsafe impl Pod for SetAttributesRequest {}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::size_of;
    #[test]
    fn no_padding() {
        assert_eq!(size_of::<AllocateRequest>(), 28);
        assert_eq!(size_of::<AllocateReply>(), 32);
        assert_eq!(size_of::<InsertRightRequest>(), 48);
        assert_eq!(size_of::<PortReply>(), 48);
        assert_eq!(size_of::<RequestNotificationRequest>(), 56);
        assert_eq!(size_of::<GetAttributesReply>(), 32 + 40);
        assert_eq!(size_of::<SetAttributesRequest>(), 36 + 40);
    }
}
