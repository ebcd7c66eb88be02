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
