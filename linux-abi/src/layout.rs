//! Address-space conventions of *this* system (not Linux's), shared by
//! the server's exec code and emulib.

/// Page size (AT_PAGESZ).
pub const PAGE_SIZE: u64 = 4096;

/// Lowest address a program segment or mapping may use: page 0 stays
/// unmapped so that null-pointer dereferences fault.
pub const USER_MIN: u64 = 0x1000;
/// One past the highest user address, as on Linux x86_64 (TASK_SIZE:
/// the last page below the canonical hole is left unmapped).
pub const USER_END: u64 = 0x7fff_ffff_f000;

/// Where emulib lives in every UNIX process: a range that exec never
/// replaces (the emulation library survives execve, Mach-style) and that
/// program segments may not overlap, so a hostile ELF cannot map over it.
/// 256 MiB starting at 127 TiB - 1 TiB, far from the program, the
/// default mmap area and the stack.
pub const EMULIB_BASE: u64 = 0x7f00_0000_0000;
pub const EMULIB_END: u64 = 0x7f00_1000_0000;

/// Load bias for static-pie (ET_DYN) programs: Linux's ELF_ET_DYN_BASE
/// neighbourhood, so addresses look familiar in a debugger.
pub const DYN_LOAD_BASE: u64 = 0x5555_5555_4000;

/// Top of the initial user stack (exclusive); the stack grows down from
/// here. Chosen below USER_END with a guard page above.
pub const STACK_TOP: u64 = 0x7fff_ffff_e000;

pub const fn page_down(a: u64) -> u64 {
    a & !(PAGE_SIZE - 1)
}

/// Rounds up; `None` on overflow.
pub const fn page_up(a: u64) -> Option<u64> {
    match a.checked_add(PAGE_SIZE - 1) {
        Some(v) => Some(v & !(PAGE_SIZE - 1)),
        None => None,
    }
}

/// True when [start, end) touches the emulib range.
pub const fn overlaps_emulib(start: u64, end: u64) -> bool {
    start < EMULIB_END && end > EMULIB_BASE
}
