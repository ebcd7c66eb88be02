//! The external memory management protocol: the kernel's calls on a
//! memory object (to its pager, 2200 range) and the pager's calls on the
//! memory object control port the kernel gave it (2000 range). All of them
//! are one-way messages (simpleroutines in MIG terms): a pager answers a
//! data request by a separate data_provided, not by a reply.
//!
//! The kernel sends the control port once, in memory_object_init; later
//! kernel messages carry only data, and the pager tells its objects apart
//! by the port they arrive on (the received header's local port).

use crate::kern_return::KernReturn;
use crate::simpleroutine;
use crate::vm::VmProt;

pub const MEMORY_OBJECT_INIT: i32 = 2200;
pub const MEMORY_OBJECT_TERMINATE: i32 = 2201;
pub const MEMORY_OBJECT_DATA_REQUEST: i32 = 2203;
pub const MEMORY_OBJECT_DATA_UNLOCK: i32 = 2204;
pub const MEMORY_OBJECT_DATA_WRITE: i32 = 2205;
pub const MEMORY_OBJECT_LOCK_COMPLETED: i32 = 2206;
/// To the default memory manager's port: a new object to hold.
pub const MEMORY_OBJECT_CREATE: i32 = 2207;

pub const MEMORY_OBJECT_DATA_PROVIDED: i32 = 2004;
pub const MEMORY_OBJECT_DATA_UNAVAILABLE: i32 = 2005;
pub const MEMORY_OBJECT_LOCK_REQUEST: i32 = 2006;
pub const MEMORY_OBJECT_DATA_ERROR: i32 = 2007;
pub const MEMORY_OBJECT_SET_ATTRIBUTES: i32 = 2008;
pub const MEMORY_OBJECT_DESTROY: i32 = 2009;

/// lock_request: what to do with the pages of the range.
pub const MEMORY_OBJECT_RETURN_NONE: u32 = 0;
pub const MEMORY_OBJECT_RETURN_DIRTY: u32 = 1;
pub const MEMORY_OBJECT_RETURN_ALL: u32 = 2;

/// The fixed part of every protocol message after the header: which range.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RangeArgs {
    pub offset: u64,
    pub length: u64,
    /// data_request / data_unlock: the access wanted; lock_request: the
    /// access to withhold (Mach's lock value; VM_PROT_NONE unlocks).
    pub access: VmProt,
    /// lock_request: MEMORY_OBJECT_RETURN_*, and whether to flush (bit 8).
    pub flags: u32,
}

/// lock_request flag: discard the pages of the range (after returning
/// those `should_return` asks for).
pub const MEMORY_OBJECT_FLUSH: u32 = 1 << 8;

// ---- kernel -> pager, on the memory object port ----

simpleroutine! {
    /// The first vm_map of the object: here is its control port (a send
    /// right) and the kernel's page size.
    memory_object_init = MEMORY_OBJECT_INIT;
    request { page_size: u64 }
    request_ports { control: crate::port::MACH_MSG_TYPE_MAKE_SEND }
}

simpleroutine! {
    /// To the default memory manager (host_set_default_memory_manager):
    /// an anonymous object of `size` bytes whose evicted pages it is to
    /// keep. `object` is the receive right of the object's memory object
    /// port, where memory_object_init and the rest follow.
    memory_object_create = MEMORY_OBJECT_CREATE;
    request { size: u64 }
    request_ports { object: crate::port::MACH_MSG_TYPE_MOVE_RECEIVE }
}

simpleroutine! {
    /// The last mapping is gone; dirty pages were returned before this.
    memory_object_terminate = MEMORY_OBJECT_TERMINATE;
    request { args: RangeArgs }
}

simpleroutine! {
    /// A fault needs [offset, offset+length) with `args.access`.
    memory_object_data_request = MEMORY_OBJECT_DATA_REQUEST;
    request { args: RangeArgs }
}

simpleroutine! {
    /// A fault needs more access than the pager's lock allows.
    memory_object_data_unlock = MEMORY_OBJECT_DATA_UNLOCK;
    request { args: RangeArgs }
}

simpleroutine! {
    /// Dirty pages coming back (pageout, clean, or termination), out of line.
    memory_object_data_write = MEMORY_OBJECT_DATA_WRITE;
    request { args: RangeArgs }
    request_ool { data }
}

simpleroutine! {
    /// A lock_request with a reply port is done.
    memory_object_lock_completed = MEMORY_OBJECT_LOCK_COMPLETED;
    request { args: RangeArgs }
}

// ---- pager -> kernel, on the control port ----

simpleroutine! {
    /// memory_object_ready / set_attributes: `ready` nonzero when the
    /// object may be used (`may_cache` is accepted and recorded).
    memory_object_set_attributes = MEMORY_OBJECT_SET_ATTRIBUTES;
    request { ready: u32, may_cache: u32 }
}

simpleroutine! {
    /// Data for [offset, offset+data.size), out of line, with the access
    /// the pager withholds (`lock_value`, VM_PROT_NONE for none).
    memory_object_data_provided = MEMORY_OBJECT_DATA_PROVIDED;
    request { offset: u64, lock_value: VmProt }
    request_ool { data }
}

simpleroutine! {
    /// No data for the range: the kernel zero-fills it.
    memory_object_data_unavailable = MEMORY_OBJECT_DATA_UNAVAILABLE;
    request { args: RangeArgs }
}

simpleroutine! {
    /// The range cannot be supplied: the faults waiting for it fail.
    memory_object_data_error = MEMORY_OBJECT_DATA_ERROR;
    request { args: RangeArgs, error: KernReturn }
}

simpleroutine! {
    /// Clean (`args.flags` & 3 = MEMORY_OBJECT_RETURN_*), flush
    /// (MEMORY_OBJECT_FLUSH) or lock (`args.access`: the access to withhold)
    /// the resident pages of the range; lock_completed goes to `reply_to`
    /// unless it is null.
    memory_object_lock_request = MEMORY_OBJECT_LOCK_REQUEST;
    request { args: RangeArgs }
    request_ports { reply_to: crate::port::MACH_MSG_TYPE_MAKE_SEND }
}

simpleroutine! {
    /// The pager gives up the object: its data is gone, mappings fault
    /// with an error from now on.
    memory_object_destroy = MEMORY_OBJECT_DESTROY;
    request { reason: KernReturn }
}
