//! Virtual memory attributes (`<mach/vm_prot.h>`, `<mach/vm_inherit.h>`).

/// `vm_prot_t`.
pub type VmProt = u32;
pub const VM_PROT_NONE: VmProt = 0;
pub const VM_PROT_READ: VmProt = 1;
pub const VM_PROT_WRITE: VmProt = 2;
pub const VM_PROT_EXECUTE: VmProt = 4;
pub const VM_PROT_DEFAULT: VmProt = VM_PROT_READ | VM_PROT_WRITE;
pub const VM_PROT_ALL: VmProt = VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE;

/// `vm_inherit_t`: what a child task gets of a region at task_create.
pub type VmInherit = u32;
pub const VM_INHERIT_SHARE: VmInherit = 0;
pub const VM_INHERIT_COPY: VmInherit = 1;
pub const VM_INHERIT_NONE: VmInherit = 2;
pub const VM_INHERIT_DEFAULT: VmInherit = VM_INHERIT_COPY;

pub const PAGE_SIZE: usize = 4096;
pub const PAGE_SHIFT: u32 = 12;

pub const fn trunc_page(x: u64) -> u64 {
    x & !(PAGE_SIZE as u64 - 1)
}
/// Rounds up; `None` when the result would not fit in 64 bits.
pub const fn round_page(x: u64) -> Option<u64> {
    match x.checked_add(PAGE_SIZE as u64 - 1) {
        Some(v) => Some(trunc_page(v)),
        None => None,
    }
}

/// The user half of every address space: [VM_MIN_ADDRESS, VM_MAX_ADDRESS).
pub const VM_MIN_ADDRESS: u64 = 0x1000;
pub const VM_MAX_ADDRESS: u64 = 0x0000_7fff_ffff_f000;

/// What the temporary DEBUG_VM_STATS trap reports (until host_statistics
/// and task_info exist).
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DebugVmStats {
    /// Free page frames in the whole machine.
    pub free_pages: u64,
    /// Frames ever allocated for object pages (zero fill or copy).
    pub pages_allocated: u64,
    /// Resident pages of the objects the caller's map points at directly.
    pub resident_pages: u64,
    /// Longest shadow chain (in objects) among the caller's entries.
    pub max_chain_depth: u64,
    pub map_entries: u64,
    /// VM objects in existence.
    pub live_objects: u64,
}

impl DebugVmStats {
    pub const WORDS: usize = 6;

    pub fn to_bytes(&self) -> [u8; 8 * Self::WORDS] {
        let w = [self.free_pages, self.pages_allocated, self.resident_pages,
                 self.max_chain_depth, self.map_entries, self.live_objects];
        let mut b = [0u8; 8 * Self::WORDS];
        for (i, x) in w.iter().enumerate() {
            b[8 * i..8 * i + 8].copy_from_slice(&x.to_le_bytes());
        }
        b
    }

    pub fn from_bytes(b: &[u8; 8 * Self::WORDS]) -> Self {
        let w = |i: usize| u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().unwrap_or([0; 8]));
        DebugVmStats { free_pages: w(0), pages_allocated: w(1), resident_pages: w(2),
                       max_chain_depth: w(3), map_entries: w(4), live_objects: w(5) }
    }
}
