//! Kernel return codes (`kern_return_t`) and the mach_msg return codes.

/// A Mach return code. `0` is success; everything else names a failure.
pub type KernReturn = i32;

pub const KERN_SUCCESS: KernReturn = 0;
pub const KERN_INVALID_ADDRESS: KernReturn = 1;
pub const KERN_PROTECTION_FAILURE: KernReturn = 2;
pub const KERN_NO_SPACE: KernReturn = 3;
pub const KERN_INVALID_ARGUMENT: KernReturn = 4;
pub const KERN_FAILURE: KernReturn = 5;
pub const KERN_RESOURCE_SHORTAGE: KernReturn = 6;
pub const KERN_NOT_RECEIVER: KernReturn = 7;
pub const KERN_NO_ACCESS: KernReturn = 8;
pub const KERN_MEMORY_FAILURE: KernReturn = 9;
pub const KERN_MEMORY_ERROR: KernReturn = 10;
pub const KERN_ALREADY_IN_SET: KernReturn = 11;
pub const KERN_NOT_IN_SET: KernReturn = 12;
pub const KERN_NAME_EXISTS: KernReturn = 13;
pub const KERN_ABORTED: KernReturn = 14;
pub const KERN_INVALID_NAME: KernReturn = 15;
pub const KERN_INVALID_TASK: KernReturn = 16;
pub const KERN_INVALID_RIGHT: KernReturn = 17;
pub const KERN_INVALID_VALUE: KernReturn = 18;
pub const KERN_UREFS_OVERFLOW: KernReturn = 19;
pub const KERN_INVALID_CAPABILITY: KernReturn = 20;
pub const KERN_RIGHT_EXISTS: KernReturn = 21;
pub const KERN_INVALID_HOST: KernReturn = 22;
pub const KERN_MEMORY_PRESENT: KernReturn = 23;
pub const KERN_TERMINATED: KernReturn = 37;

pub const MACH_MSG_SUCCESS: KernReturn = 0;

pub const MACH_SEND_IN_PROGRESS: KernReturn = 0x1000_0001;
pub const MACH_SEND_INVALID_DATA: KernReturn = 0x1000_0002;
pub const MACH_SEND_INVALID_DEST: KernReturn = 0x1000_0003;
pub const MACH_SEND_TIMED_OUT: KernReturn = 0x1000_0004;
pub const MACH_SEND_INTERRUPTED: KernReturn = 0x1000_0007;
pub const MACH_SEND_MSG_TOO_SMALL: KernReturn = 0x1000_0008;
pub const MACH_SEND_INVALID_REPLY: KernReturn = 0x1000_0009;
pub const MACH_SEND_INVALID_RIGHT: KernReturn = 0x1000_000a;
pub const MACH_SEND_INVALID_NOTIFY: KernReturn = 0x1000_000b;
pub const MACH_SEND_INVALID_MEMORY: KernReturn = 0x1000_000c;
pub const MACH_SEND_NO_BUFFER: KernReturn = 0x1000_000d;
pub const MACH_SEND_TOO_LARGE: KernReturn = 0x1000_000e;
pub const MACH_SEND_INVALID_TYPE: KernReturn = 0x1000_000f;
pub const MACH_SEND_INVALID_HEADER: KernReturn = 0x1000_0010;

pub const MACH_RCV_IN_PROGRESS: KernReturn = 0x1000_4001;
pub const MACH_RCV_INVALID_NAME: KernReturn = 0x1000_4002;
pub const MACH_RCV_TIMED_OUT: KernReturn = 0x1000_4003;
pub const MACH_RCV_TOO_LARGE: KernReturn = 0x1000_4004;
pub const MACH_RCV_INTERRUPTED: KernReturn = 0x1000_4005;
pub const MACH_RCV_PORT_CHANGED: KernReturn = 0x1000_4006;
pub const MACH_RCV_INVALID_NOTIFY: KernReturn = 0x1000_4007;
pub const MACH_RCV_INVALID_DATA: KernReturn = 0x1000_4008;
pub const MACH_RCV_PORT_DIED: KernReturn = 0x1000_4009;
pub const MACH_RCV_IN_SET: KernReturn = 0x1000_400a;
pub const MACH_RCV_HEADER_ERROR: KernReturn = 0x1000_400b;
pub const MACH_RCV_BODY_ERROR: KernReturn = 0x1000_400c;

/// MIG-level errors: the stub or the server could not make sense of a message.
pub const MIG_TYPE_ERROR: KernReturn = -300;
pub const MIG_REPLY_MISMATCH: KernReturn = -301;
pub const MIG_REMOTE_ERROR: KernReturn = -302;
pub const MIG_BAD_ID: KernReturn = -303;
pub const MIG_BAD_ARGUMENTS: KernReturn = -304;
pub const MIG_NO_REPLY: KernReturn = -305;
pub const MIG_SERVER_DIED: KernReturn = -308;

/// A short name for a return code, for logs and test output.
pub fn name(kr: KernReturn) -> &'static str {
    match kr {
        KERN_SUCCESS => "KERN_SUCCESS",
        KERN_INVALID_ADDRESS => "KERN_INVALID_ADDRESS",
        KERN_PROTECTION_FAILURE => "KERN_PROTECTION_FAILURE",
        KERN_NO_SPACE => "KERN_NO_SPACE",
        KERN_INVALID_ARGUMENT => "KERN_INVALID_ARGUMENT",
        KERN_FAILURE => "KERN_FAILURE",
        KERN_RESOURCE_SHORTAGE => "KERN_RESOURCE_SHORTAGE",
        KERN_NOT_RECEIVER => "KERN_NOT_RECEIVER",
        KERN_NO_ACCESS => "KERN_NO_ACCESS",
        KERN_MEMORY_FAILURE => "KERN_MEMORY_FAILURE",
        KERN_MEMORY_ERROR => "KERN_MEMORY_ERROR",
        KERN_ALREADY_IN_SET => "KERN_ALREADY_IN_SET",
        KERN_NOT_IN_SET => "KERN_NOT_IN_SET",
        KERN_NAME_EXISTS => "KERN_NAME_EXISTS",
        KERN_ABORTED => "KERN_ABORTED",
        KERN_INVALID_NAME => "KERN_INVALID_NAME",
        KERN_INVALID_TASK => "KERN_INVALID_TASK",
        KERN_INVALID_RIGHT => "KERN_INVALID_RIGHT",
        KERN_INVALID_VALUE => "KERN_INVALID_VALUE",
        KERN_UREFS_OVERFLOW => "KERN_UREFS_OVERFLOW",
        KERN_INVALID_CAPABILITY => "KERN_INVALID_CAPABILITY",
        KERN_RIGHT_EXISTS => "KERN_RIGHT_EXISTS",
        KERN_INVALID_HOST => "KERN_INVALID_HOST",
        KERN_MEMORY_PRESENT => "KERN_MEMORY_PRESENT",
        KERN_TERMINATED => "KERN_TERMINATED",
        MACH_SEND_INVALID_DATA => "MACH_SEND_INVALID_DATA",
        MACH_SEND_INVALID_DEST => "MACH_SEND_INVALID_DEST",
        MACH_SEND_TIMED_OUT => "MACH_SEND_TIMED_OUT",
        MACH_SEND_INTERRUPTED => "MACH_SEND_INTERRUPTED",
        MACH_SEND_MSG_TOO_SMALL => "MACH_SEND_MSG_TOO_SMALL",
        MACH_SEND_INVALID_REPLY => "MACH_SEND_INVALID_REPLY",
        MACH_SEND_INVALID_RIGHT => "MACH_SEND_INVALID_RIGHT",
        MACH_SEND_INVALID_NOTIFY => "MACH_SEND_INVALID_NOTIFY",
        MACH_SEND_INVALID_MEMORY => "MACH_SEND_INVALID_MEMORY",
        MACH_SEND_NO_BUFFER => "MACH_SEND_NO_BUFFER",
        MACH_SEND_TOO_LARGE => "MACH_SEND_TOO_LARGE",
        MACH_SEND_INVALID_TYPE => "MACH_SEND_INVALID_TYPE",
        MACH_SEND_INVALID_HEADER => "MACH_SEND_INVALID_HEADER",
        MACH_RCV_INVALID_NAME => "MACH_RCV_INVALID_NAME",
        MACH_RCV_TIMED_OUT => "MACH_RCV_TIMED_OUT",
        MACH_RCV_TOO_LARGE => "MACH_RCV_TOO_LARGE",
        MACH_RCV_INTERRUPTED => "MACH_RCV_INTERRUPTED",
        MACH_RCV_PORT_CHANGED => "MACH_RCV_PORT_CHANGED",
        MACH_RCV_INVALID_DATA => "MACH_RCV_INVALID_DATA",
        MACH_RCV_PORT_DIED => "MACH_RCV_PORT_DIED",
        MACH_RCV_IN_SET => "MACH_RCV_IN_SET",
        MACH_RCV_HEADER_ERROR => "MACH_RCV_HEADER_ERROR",
        MACH_RCV_BODY_ERROR => "MACH_RCV_BODY_ERROR",
        MIG_TYPE_ERROR => "MIG_TYPE_ERROR",
        MIG_REPLY_MISMATCH => "MIG_REPLY_MISMATCH",
        MIG_REMOTE_ERROR => "MIG_REMOTE_ERROR",
        MIG_BAD_ID => "MIG_BAD_ID",
        MIG_BAD_ARGUMENTS => "MIG_BAD_ARGUMENTS",
        MIG_NO_REPLY => "MIG_NO_REPLY",
        MIG_SERVER_DIED => "MIG_SERVER_DIED",
        _ => "(unknown return code)",
    }
}
