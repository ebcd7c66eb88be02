//! Port names, rights and the dispositions a message can carry them with.

/// A name in a task's port name space (`mach_port_name_t`).
pub type PortName = u32;

pub const MACH_PORT_NULL: PortName = 0;
pub const MACH_PORT_DEAD: PortName = !0;

/// True for a name that denotes a right (neither NULL nor DEAD).
pub const fn name_valid(name: PortName) -> bool {
    name != MACH_PORT_NULL && name != MACH_PORT_DEAD
}

/// `mach_port_right_t`: which right a call such as mach_port_allocate means.
pub type PortRight = u32;
pub const MACH_PORT_RIGHT_SEND: PortRight = 0;
pub const MACH_PORT_RIGHT_RECEIVE: PortRight = 1;
pub const MACH_PORT_RIGHT_SEND_ONCE: PortRight = 2;
pub const MACH_PORT_RIGHT_PORT_SET: PortRight = 3;
pub const MACH_PORT_RIGHT_DEAD_NAME: PortRight = 4;
pub const MACH_PORT_RIGHT_NUMBER: PortRight = 5;

/// `mach_port_type_t`: the set of rights a name denotes, one bit per right.
pub type PortType = u32;
pub const fn port_type(right: PortRight) -> PortType {
    1 << (right + 16)
}
pub const MACH_PORT_TYPE_NONE: PortType = 0;
pub const MACH_PORT_TYPE_SEND: PortType = port_type(MACH_PORT_RIGHT_SEND);
pub const MACH_PORT_TYPE_RECEIVE: PortType = port_type(MACH_PORT_RIGHT_RECEIVE);
pub const MACH_PORT_TYPE_SEND_ONCE: PortType = port_type(MACH_PORT_RIGHT_SEND_ONCE);
pub const MACH_PORT_TYPE_PORT_SET: PortType = port_type(MACH_PORT_RIGHT_PORT_SET);
pub const MACH_PORT_TYPE_DEAD_NAME: PortType = port_type(MACH_PORT_RIGHT_DEAD_NAME);
pub const MACH_PORT_TYPE_SEND_RECEIVE: PortType = MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE;

/// Dispositions (`mach_msg_type_name_t`): how a right named in a message is
/// taken from the sender. On receipt the same numbers say what arrived.
pub type MsgTypeName = u32;
pub const MACH_MSG_TYPE_MOVE_RECEIVE: MsgTypeName = 16;
pub const MACH_MSG_TYPE_MOVE_SEND: MsgTypeName = 17;
pub const MACH_MSG_TYPE_MOVE_SEND_ONCE: MsgTypeName = 18;
pub const MACH_MSG_TYPE_COPY_SEND: MsgTypeName = 19;
pub const MACH_MSG_TYPE_MAKE_SEND: MsgTypeName = 20;
pub const MACH_MSG_TYPE_MAKE_SEND_ONCE: MsgTypeName = 21;
/// What a receiver sees.
pub const MACH_MSG_TYPE_PORT_RECEIVE: MsgTypeName = MACH_MSG_TYPE_MOVE_RECEIVE;
pub const MACH_MSG_TYPE_PORT_SEND: MsgTypeName = MACH_MSG_TYPE_MOVE_SEND;
pub const MACH_MSG_TYPE_PORT_SEND_ONCE: MsgTypeName = MACH_MSG_TYPE_MOVE_SEND_ONCE;

/// The right a disposition leaves in the receiver's space.
pub const fn disposition_result(d: MsgTypeName) -> Option<MsgTypeName> {
    match d {
        MACH_MSG_TYPE_MOVE_RECEIVE => Some(MACH_MSG_TYPE_PORT_RECEIVE),
        MACH_MSG_TYPE_MOVE_SEND | MACH_MSG_TYPE_COPY_SEND | MACH_MSG_TYPE_MAKE_SEND => {
            Some(MACH_MSG_TYPE_PORT_SEND)
        }
        MACH_MSG_TYPE_MOVE_SEND_ONCE | MACH_MSG_TYPE_MAKE_SEND_ONCE => {
            Some(MACH_MSG_TYPE_PORT_SEND_ONCE)
        }
        _ => None,
    }
}

/// Notification message ids (`<mach/notify.h>`).
pub const MACH_NOTIFY_FIRST: i32 = 0o100;
pub const MACH_NOTIFY_PORT_DELETED: i32 = MACH_NOTIFY_FIRST + 0o1;
pub const MACH_NOTIFY_PORT_DESTROYED: i32 = MACH_NOTIFY_FIRST + 0o5;
pub const MACH_NOTIFY_NO_SENDERS: i32 = MACH_NOTIFY_FIRST + 0o6;
pub const MACH_NOTIFY_SEND_ONCE: i32 = MACH_NOTIFY_FIRST + 0o7;
pub const MACH_NOTIFY_DEAD_NAME: i32 = MACH_NOTIFY_FIRST + 0o10;

/// Default and maximum message queue limits.
pub const MACH_PORT_QLIMIT_DEFAULT: u32 = 5;
pub const MACH_PORT_QLIMIT_MAX: u32 = 1024;

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn type_bits_match_mach() {
        assert_eq!(MACH_PORT_TYPE_SEND, 0x10000);
        assert_eq!(MACH_PORT_TYPE_RECEIVE, 0x20000);
        assert_eq!(MACH_PORT_TYPE_DEAD_NAME, 0x100000);
    }
    #[test]
    fn dispositions_resolve() {
        assert_eq!(disposition_result(MACH_MSG_TYPE_MAKE_SEND), Some(MACH_MSG_TYPE_PORT_SEND));
        assert_eq!(disposition_result(MACH_MSG_TYPE_MAKE_SEND_ONCE), Some(MACH_MSG_TYPE_PORT_SEND_ONCE));
        assert_eq!(disposition_result(3), None);
    }
}
