//! The external memory management protocol: the kernel's calls on a
//! memory object (to its pager, 2200 range) and the pager's calls on the
//! memory object control port the kernel gave it (2000 range). All of them
//! are one-way messages (simpleroutines in MIG terms): a pager answers a
//! data request by a separate data_provided, not by a reply.

use crate::vm::VmProt;

pub const MEMORY_OBJECT_INIT: i32 = 2200;
pub const MEMORY_OBJECT_TERMINATE: i32 = 2201;
pub const MEMORY_OBJECT_DATA_REQUEST: i32 = 2203;
pub const MEMORY_OBJECT_DATA_UNLOCK: i32 = 2204;
pub const MEMORY_OBJECT_DATA_WRITE: i32 = 2205;
pub const MEMORY_OBJECT_LOCK_COMPLETED: i32 = 2206;

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
    /// protection to leave; set_attributes: ready flag.
    pub access: VmProt,
    /// lock_request: MEMORY_OBJECT_RETURN_*, and whether to flush (bit 8).
    pub flags: u32,
}
