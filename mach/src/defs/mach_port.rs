//! The port operations a task asks of the kernel by messages to a task port
//! (Mach's `mach_port` subsystem, ids 3200+), declared with `routine!`.
//! get/set_attributes take 3218/3219 (Mach numbers them differently).

use crate::port::{MsgTypeName, PortName, PortRight};
use crate::routine;

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


routine! {
    /// Allocates a right (receive, port set or dead name) under a new name.
    mach_port_allocate = MACH_PORT_ALLOCATE;
    request { right: PortRight }
    reply { name: PortName }
}

routine! {
    /// Removes a name and every right it denotes.
    mach_port_destroy = MACH_PORT_DESTROY;
    request { name: PortName }
    reply { }
}

routine! {
    /// Releases one user reference of a send, send-once or dead-name right.
    mach_port_deallocate = MACH_PORT_DEALLOCATE;
    request { name: PortName }
    reply { }
}

routine! {
    mach_port_get_refs = MACH_PORT_GET_REFS;
    request { name: PortName, right: PortRight }
    reply { refs: u32 }
}

routine! {
    mach_port_mod_refs = MACH_PORT_MOD_REFS;
    request { name: PortName, right: PortRight, delta: i32 }
    reply { }
}

routine! {
    /// Moves a receive right into the port set `after`, or out of any set
    /// with MACH_PORT_NULL.
    mach_port_move_member = MACH_PORT_MOVE_MEMBER;
    request { member: PortName, after: PortName }
    reply { }
}

routine! {
    /// Gives the target task the right carried (any disposition: set
    /// `poly.disposition` and use `invoke`) under `name`.
    mach_port_insert_right = MACH_PORT_INSERT_RIGHT;
    request { name: PortName }
    request_ports { poly: MACH_MSG_TYPE_COPY_SEND }
    reply { }
}

routine! {
    /// Takes a right out of the target's space with `disposition`; the
    /// reply's descriptor says what arrived.
    mach_port_extract_right = MACH_PORT_EXTRACT_RIGHT;
    request { name: PortName, disposition: MsgTypeName }
    reply { }
    reply_ports { poly: MACH_MSG_TYPE_MOVE_SEND }
}

routine! {
    /// Registers a send-once right for notification `variant` (a
    /// MACH_NOTIFY_* id) about `name`; no-senders fires only once the
    /// make-send count reaches `sync`. The reply carries the previously
    /// registered send-once right, if any.
    mach_port_request_notification = MACH_PORT_REQUEST_NOTIFICATION;
    request { name: PortName, variant: i32, sync: u32 }
    request_ports { notify: MACH_MSG_TYPE_MAKE_SEND_ONCE }
    reply { }
    reply_ports { previous: MACH_MSG_TYPE_MOVE_SEND_ONCE }
}

routine! {
    mach_port_get_attributes = MACH_PORT_GET_ATTRIBUTES;
    request { name: PortName, flavor: u32 }
    reply { count: u32, info: [u32; PORT_INFO_WORDS] }
}

routine! {
    /// LIMITS_INFO sets the queue limit (info[0]).
    mach_port_set_attributes = MACH_PORT_SET_ATTRIBUTES;
    request { name: PortName, flavor: u32, count: u32, info: [u32; PORT_INFO_WORDS] }
    reply { }
}
