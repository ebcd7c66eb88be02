//! What the boot loader tells the kernel, in a loader-neutral form.

pub const MAX_REGIONS: usize = 32;
pub const MAX_MODULES: usize = 16;

/// A range of usable RAM, [start, end).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemRegion {
    pub start: u64,
    pub end: u64,
}

/// A boot module: a file the loader placed in memory, with its command line
/// (the file name, then any arguments).
#[derive(Clone, Copy, Debug, Default)]
pub struct Module {
    pub start: u64,
    pub end: u64,
    pub name: &'static [u8],
}

#[derive(Debug)]
pub struct BootInfo {
    pub cmdline: &'static [u8],
    pub regions: [MemRegion; MAX_REGIONS],
    pub region_count: usize,
    pub modules: [Module; MAX_MODULES],
    pub module_count: usize,
    /// Memory the loader's own structures occupy (info, strings, tables):
    /// it must survive until the kernel no longer reads it.
    pub reserved: [MemRegion; MAX_RESERVED],
    pub reserved_count: usize,
}

pub const MAX_RESERVED: usize = 2 * MAX_MODULES + 8;

impl BootInfo {
    pub const fn empty() -> Self {
        BootInfo {
            cmdline: b"",
            regions: [MemRegion { start: 0, end: 0 }; MAX_REGIONS],
            region_count: 0,
            modules: [Module { start: 0, end: 0, name: b"" }; MAX_MODULES],
            module_count: 0,
            reserved: [MemRegion { start: 0, end: 0 }; MAX_RESERVED],
            reserved_count: 0,
        }
    }

    /// Records memory the kernel must not hand out; extra entries beyond the
    /// table are merged into the last so that nothing is forgotten.
    pub fn reserve(&mut self, start: u64, end: u64) {
        if self.reserved_count < MAX_RESERVED {
            self.reserved[self.reserved_count] = MemRegion { start, end };
            self.reserved_count += 1;
        } else {
            let last = &mut self.reserved[MAX_RESERVED - 1];
            last.start = last.start.min(start);
            last.end = last.end.max(end);
        }
    }

    pub fn reserved(&self) -> &[MemRegion] {
        &self.reserved[..self.reserved_count]
    }

    /// Highest end of usable RAM.
    pub fn max_phys(&self) -> u64 {
        self.regions().iter().map(|r| r.end).max().unwrap_or(0)
    }

    /// A page-aligned run of `size` bytes of RAM at or above `floor` that
    /// overlaps neither the reserved ranges nor the modules nor `also`.
    pub fn find_free(&self, size: u64, floor: u64, also: MemRegion) -> Option<u64> {
        // The end of whatever in-use range overlaps [a, b), if any.
        let busy = |a: u64, b: u64| {
            let hit = |r: &MemRegion| r.start < b && a < r.end;
            let mods = self.modules().iter().map(|m| MemRegion { start: m.start, end: m.end });
            self.reserved().iter().copied().chain(mods).chain(core::iter::once(also))
                .find(|r| hit(r))
                .map(|r| r.end)
        };
        for r in self.regions() {
            let mut at = r.start.max(floor).next_multiple_of(4096);
            while at.checked_add(size)? <= r.end {
                match busy(at, at + size) {
                    None => return Some(at),
                    Some(end) => at = end.next_multiple_of(4096),
                }
            }
        }
        None
    }
    pub fn regions(&self) -> &[MemRegion] {
        &self.regions[..self.region_count]
    }
    pub fn modules(&self) -> &[Module] {
        &self.modules[..self.module_count]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_free_avoids_everything_in_use() {
        let mut bi = BootInfo::empty();
        bi.regions[0] = MemRegion { start: 0, end: 0x9f000 };
        bi.regions[1] = MemRegion { start: 0x100000, end: 0x800000 };
        bi.region_count = 2;
        bi.reserve(0x200000, 0x201000);
        bi.modules[0] = Module { start: 0x300000, end: 0x305000, name: b"m" };
        bi.module_count = 1;
        let kernel = MemRegion { start: 0x100000, end: 0x180000 };
        assert_eq!(bi.find_free(0x1000, 0x100000, kernel), Some(0x180000));
        assert_eq!(bi.find_free(0x90000, 0x100000, kernel), Some(0x201000));
        assert_eq!(bi.find_free(0x100000, 0x100000, kernel), Some(0x305000));
        assert_eq!(bi.find_free(0x800000, 0, kernel), None);
        assert_eq!(bi.max_phys(), 0x800000);
    }
}
