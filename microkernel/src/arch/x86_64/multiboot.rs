//! Reading the Multiboot1 information structure the loader leaves us.

use super::layout::phys_to_virt;
use crate::kern::boot_info::{BootInfo, MemRegion, Module, MAX_MODULES, MAX_REGIONS};

pub const BOOTLOADER_MAGIC: u32 = 0x2BAD_B002;

#[repr(C)]
struct Info {
    flags: u32,
    mem_lower: u32,
    mem_upper: u32,
    boot_device: u32,
    cmdline: u32,
    mods_count: u32,
    mods_addr: u32,
    syms: [u32; 4],
    mmap_length: u32,
    mmap_addr: u32,
}

#[repr(C)]
struct ModEntry {
    start: u32,
    end: u32,
    string: u32,
    _reserved: u32,
}

#[repr(C, packed)]
struct MmapEntry {
    size: u32,
    addr: u64,
    len: u64,
    kind: u32,
}

/// Reads a NUL-terminated string at a physical address (boot memory).
///
/// # Safety
/// `pa` must be a NUL-terminated string in memory the physmap covers.
unsafe fn c_str(pa: u32) -> &'static [u8] {
    if pa == 0 {
        return b"";
    }
    let p = phys_to_virt(pa as u64) as *const u8;
    // SAFETY: per the caller, a NUL-terminated string lives at p.
    unsafe { core::ffi::CStr::from_ptr(p.cast()).to_bytes() }
}

/// Parses the loader's information into a `BootInfo`.
///
/// # Safety
/// `info_pa` must be the physical address the Multiboot loader passed in ebx,
/// with its memory still intact and mapped by the physmap.
pub unsafe fn parse(info_pa: u64) -> BootInfo {
    let mut bi = BootInfo::empty();
    bi.reserve(info_pa, info_pa + core::mem::size_of::<Info>() as u64);
    // SAFETY: per the caller, a valid Multiboot info structure is at info_pa.
    let info = unsafe { &*(phys_to_virt(info_pa) as *const Info) };
    if info.flags & (1 << 2) != 0 {
        // SAFETY: flag 2 says cmdline is a valid string address.
        bi.cmdline = unsafe { c_str(info.cmdline) };
        bi.reserve(info.cmdline as u64, info.cmdline as u64 + bi.cmdline.len() as u64 + 1);
    }
    if info.flags & (1 << 3) != 0 {
        let n = (info.mods_count as usize).min(MAX_MODULES);
        let table = info.mods_addr as u64;
        bi.reserve(table, table + (n * core::mem::size_of::<ModEntry>()) as u64);
        for i in 0..n {
            // SAFETY: flag 3 says mods_addr holds mods_count entries.
            let m = unsafe { &*((phys_to_virt(info.mods_addr as u64) as *const ModEntry).add(i)) };
            bi.modules[i] = Module {
                start: m.start as u64,
                end: m.end as u64,
                // SAFETY: each module entry's string is a NUL-terminated name.
                name: unsafe { c_str(m.string) },
            };
            bi.reserve(m.string as u64, m.string as u64 + bi.modules[i].name.len() as u64 + 1);
        }
        bi.module_count = n;
    }
    if info.flags & (1 << 6) != 0 {
        bi.reserve(info.mmap_addr as u64, info.mmap_addr as u64 + info.mmap_length as u64);
        let mut off = 0u64;
        while off < info.mmap_length as u64 && bi.region_count < MAX_REGIONS {
            let p = phys_to_virt(info.mmap_addr as u64 + off) as *const MmapEntry;
            // SAFETY: flag 6 says the map holds entries up to mmap_length; the
            // struct is packed, so read it unaligned.
            let e = unsafe { core::ptr::read_unaligned(p) };
            if e.kind == 1 {
                bi.regions[bi.region_count] = MemRegion { start: e.addr, end: e.addr + e.len };
                bi.region_count += 1;
            }
            off += e.size as u64 + 4;
        }
    }
    bi
}
