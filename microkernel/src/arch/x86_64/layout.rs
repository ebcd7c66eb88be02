//! The kernel's half of every address space.
//!
//! PML4 slots 256.. hold a window onto all physical memory (the physmap), and
//! slot 511 the kernel image. Both are built once at boot and shared by every
//! task's page tables, so the kernel half never needs updating per task.

/// Link address of the kernel image minus its load address.
pub const KERNEL_VMA: u64 = 0xFFFF_FFFF_8000_0000;
/// Physical address p is visible at PHYSMAP_BASE + p.
pub const PHYSMAP_BASE: u64 = 0xFFFF_8000_0000_0000;
/// Most physical memory the physmap covers: one PML4 slot.
pub const PHYSMAP_MAX: u64 = 512 * 1024 * 1024 * 1024;

pub const fn phys_to_virt(pa: u64) -> u64 {
    PHYSMAP_BASE + pa
}

/// Kernel image address to physical address.
pub const fn kimage_to_phys(va: u64) -> u64 {
    va - KERNEL_VMA
}
