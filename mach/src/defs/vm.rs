//! Virtual memory calls on a task port (Mach 3's 3800 range).

use crate::routine;
use crate::vm::{VmInherit, VmProt};

/// What `vm_region` says of the region at or after an address.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RegionInfo {
    pub address: u64,
    pub size: u64,
    pub protection: VmProt,
    pub max_protection: VmProt,
    pub inheritance: VmInherit,
    pub shared: u32,
    pub offset: u64,
}

routine! {
    vm_region = 3800;
    request { address: u64 }
    reply { info: RegionInfo }
}

routine! {
    /// Allocates zero-filled memory: at `address` exactly, or anywhere.
    vm_allocate = 3801;
    request { address: u64, size: u64, anywhere: u32 }
    reply { address: u64 }
}

routine! {
    vm_deallocate = 3802;
    request { address: u64, size: u64 }
    reply { }
}

routine! {
    vm_protect = 3803;
    request { address: u64, size: u64, set_maximum: u32, protection: VmProt }
    reply { }
}

routine! {
    vm_inherit = 3804;
    request { address: u64, size: u64, inheritance: VmInherit }
    reply { }
}

routine! {
    /// Reads the target task's memory; the data arrives out of line.
    vm_read = 3805;
    request { address: u64, size: u64 }
    reply { }
    reply_ool { data }
}

routine! {
    /// Writes out-of-line data into the target task's memory.
    vm_write = 3806;
    request { address: u64 }
    request_ool { data }
    reply { }
}

routine! {
    vm_copy = 3807;
    request { source: u64, size: u64, dest: u64 }
    reply { }
}

routine! {
    /// Maps `size` bytes of a memory object at `offset` (copy: private
    /// copy-on-write, else shared). A null object means anonymous memory.
    vm_map = 3812;
    request { address: u64, size: u64, mask: u64, anywhere: u32, offset: u64, copy: u32,
              protection: VmProt, max_protection: VmProt, inheritance: VmInherit }
    request_ports { object: MACH_MSG_TYPE_COPY_SEND }
    reply { address: u64 }
}
