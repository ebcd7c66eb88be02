//! Address maps: the sorted, non-overlapping entries that say what each
//! range of a task's address space is: which VM object (and offset in it)
//! backs it, its current and maximum protection, its inheritance, and
//! whether it still needs a private copy of its object (`needs_copy`, set
//! by copy-on-write until the first write fault gives it a shadow object).
//! Range operations split entries at the range's ends first ("clipping",
//! as Mach's vm_map does), then act on whole entries.

use super::object::VmObject;
use alloc::sync::Arc;
use alloc::vec::Vec;
use mach::vm::{VmInherit, VmProt, PAGE_SIZE, VM_INHERIT_DEFAULT};

const PAGE: u64 = PAGE_SIZE as u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    /// Misaligned, empty, wrapping or outside the map's bounds.
    InvalidRange,
    /// Part of the range is already mapped (fixed allocation).
    NoSpace,
    /// Part of the range is not mapped.
    NotMapped,
    /// The protection asked for exceeds the maximum protection.
    ProtectionFailure,
    /// The map has as many entries as it may have, or the kernel heap
    /// cannot grow its table: KERN_RESOURCE_SHORTAGE, never a panic.
    NoEntries,
}

/// The most entries one map may have (Linux's vm.max_map_count is 65530):
/// every entry is kernel heap, and a task must not be able to take it all.
pub const MAX_ENTRIES: usize = 65536;

#[derive(Clone)]
pub struct MapEntry {
    pub start: u64,
    pub end: u64,
    pub protection: VmProt,
    pub max_protection: VmProt,
    pub inheritance: VmInherit,
    /// None: nothing touched yet; the first fault gives it an anonymous
    /// object (Mach's lazily allocated null object).
    pub object: Option<Arc<VmObject>>,
    /// Offset in `object` of `start`.
    pub offset: u64,
    /// The object is shared copy-on-write: the first write fault must
    /// interpose a shadow object; until then the pmap maps it read-only.
    pub needs_copy: bool,
}

impl core::fmt::Debug for MapEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "[{:#x}, {:#x}) prot {}/{} inh {} obj {:?}+{:#x}{}", self.start, self.end,
               self.protection, self.max_protection, self.inheritance,
               self.object.as_ref().map(|o| o.id), self.offset,
               if self.needs_copy { " needs_copy" } else { "" })
    }
}

impl MapEntry {
    /// An entry with no object yet: zero-filled memory on first touch.
    pub fn new(start: u64, end: u64, protection: VmProt, max_protection: VmProt) -> Self {
        MapEntry { start, end, protection, max_protection, inheritance: VM_INHERIT_DEFAULT,
                   object: None, offset: 0, needs_copy: false }
    }
    /// An entry mapping `object` from `offset` (vm_map_enter).
    pub fn with_object(start: u64, end: u64, object: Arc<VmObject>, offset: u64,
                       protection: VmProt, max_protection: VmProt) -> Self {
        MapEntry { object: Some(object), offset, ..Self::new(start, end, protection, max_protection) }
    }
    pub fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }
    pub fn size(&self) -> u64 {
        self.end - self.start
    }
    /// The offset in the object of address `addr` of this entry.
    pub fn object_offset(&self, addr: u64) -> u64 {
        self.offset + (addr - self.start)
    }
}

#[derive(Debug, Clone)]
pub struct VmMap {
    entries: Vec<MapEntry>,
    min: u64,
    max: u64,
    /// Objects faulted in here may be paged out to the default pager
    /// (false for the default pager's own map).
    pub swappable: bool,
}

impl VmMap {
    pub fn new(min: u64, max: u64) -> Self {
        VmMap { entries: Vec::new(), min, max, swappable: true }
    }

    pub fn entries(&self) -> &[MapEntry] {
        &self.entries
    }

    pub fn entries_mut(&mut self) -> &mut [MapEntry] {
        &mut self.entries
    }

    pub fn bounds(&self) -> (u64, u64) {
        (self.min, self.max)
    }

    /// Objects in the longest shadow chain any entry sees.
    pub fn max_chain_depth(&self) -> usize {
        self.entries.iter().filter_map(|e| e.object.as_ref()).map(|o| o.chain_depth()).max().unwrap_or(0)
    }

    pub fn check(&self, start: u64, end: u64) -> Result<(), MapError> {
        if start % PAGE != 0 || end % PAGE != 0 || start >= end || start < self.min || end > self.max {
            return Err(MapError::InvalidRange);
        }
        Ok(())
    }

    /// Index of the first entry ending after `addr`.
    fn first_after(&self, addr: u64) -> usize {
        self.entries.partition_point(|e| e.end <= addr)
    }

    pub fn lookup(&self, addr: u64) -> Option<&MapEntry> {
        let i = self.first_after(addr);
        self.entries.get(i).filter(|e| e.contains(addr))
    }

    pub fn lookup_mut(&mut self, addr: u64) -> Option<&mut MapEntry> {
        let i = self.first_after(addr);
        self.entries.get_mut(i).filter(|e| e.contains(addr))
    }

    /// The first entry that ends after `addr` (vm_region's answer).
    pub fn first_entry_after(&self, addr: u64) -> Option<&MapEntry> {
        self.entries.get(self.first_after(addr))
    }

    fn is_free(&self, start: u64, end: u64) -> bool {
        let i = self.first_after(start);
        self.entries.get(i).is_none_or(|e| e.start >= end)
    }

    /// Makes room for `n` more entries without a panic: under the limit,
    /// and the table's memory reserved (fallibly) before it is needed.
    fn room(&mut self, n: usize) -> Result<(), MapError> {
        if n == 0 {
            return Ok(());
        }
        if self.entries.len() + n > MAX_ENTRIES {
            return Err(MapError::NoEntries);
        }
        if self.entries.capacity() - self.entries.len() < n {
            // Grow by half again (amortised), at least by n.
            let more = (self.entries.len() / 2).max(n).min(MAX_ENTRIES - self.entries.len()).max(n);
            crate::kern::kalloc::admit(more * core::mem::size_of::<MapEntry>()).map_err(|_| MapError::NoEntries)?;
            self.entries.try_reserve_exact(more).map_err(|_| MapError::NoEntries)?;
        }
        Ok(())
    }

    /// Enters a new entry at a fixed place.
    pub fn insert(&mut self, entry: MapEntry) -> Result<(), MapError> {
        self.check(entry.start, entry.end)?;
        if !self.is_free(entry.start, entry.end) {
            return Err(MapError::NoSpace);
        }
        self.room(1)?;
        let i = self.first_after(entry.start);
        self.entries.insert(i, entry);
        Ok(())
    }

    /// The lowest free range of `size` bytes at or above `hint`.
    pub fn find_space(&self, size: u64, hint: u64) -> Option<u64> {
        if size == 0 || size % PAGE != 0 {
            return None;
        }
        let mut at = hint.max(self.min).next_multiple_of(PAGE);
        for e in &self.entries[self.first_after(at)..] {
            if e.start >= at && e.start - at >= size {
                break;
            }
            at = at.max(e.end);
        }
        (at.checked_add(size)? <= self.max).then_some(at)
    }

    /// Splits entries so that `addr` is an entry boundary.
    fn clip_at(&mut self, addr: u64) {
        let i = self.first_after(addr);
        if let Some(e) = self.entries.get(i) {
            if e.start < addr && addr < e.end {
                // Both halves keep the object (a new reference) and its
                // copy state; the second half starts further into it.
                let second = MapEntry { start: addr, offset: e.object_offset(addr), ..e.clone() };
                self.entries[i].end = addr;
                self.entries.insert(i + 1, second);
            }
        }
    }

    /// Clips at both ends and returns the index range of entries inside;
    /// fails (changing nothing) when the map cannot take the two entries
    /// clipping may add.
    pub fn clip(&mut self, start: u64, end: u64) -> Result<core::ops::Range<usize>, MapError> {
        let splits = [start, end].iter().filter(|&&a| self.lookup(a).is_some_and(|e| e.start < a)).count();
        self.room(splits)?;
        self.clip_at(start);
        self.clip_at(end);
        let a = self.first_after(start);
        let b = self.entries.partition_point(|e| e.start < end);
        Ok(a..b)
    }

    /// True when [start, end) is mapped without holes.
    pub fn is_mapped(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        for e in &self.entries[self.first_after(start)..] {
            if e.start > at || at >= end {
                break;
            }
            at = e.end;
        }
        at >= end
    }

    /// Removes [start, end); returns the entries (clipped) that were there.
    /// Holes in the range are allowed, as in vm_deallocate.
    pub fn remove(&mut self, start: u64, end: u64) -> Result<Vec<MapEntry>, MapError> {
        self.check(start, end)?;
        let r = self.clip(start, end)?;
        Ok(self.entries.drain(r).collect())
    }

    /// Sets the current (or, with `set_max`, the maximum) protection.
    pub fn protect(&mut self, start: u64, end: u64, prot: VmProt, set_max: bool) -> Result<(), MapError> {
        self.check(start, end)?;
        if !self.is_mapped(start, end) {
            return Err(MapError::NotMapped);
        }
        let r = self.clip(start, end)?;
        if !set_max && self.entries[r.clone()].iter().any(|e| prot & !e.max_protection != 0) {
            return Err(MapError::ProtectionFailure);
        }
        for e in &mut self.entries[r] {
            if set_max {
                e.max_protection = prot;
                e.protection &= prot;
            } else {
                e.protection = prot;
            }
        }
        Ok(())
    }

    pub fn set_inheritance(&mut self, start: u64, end: u64, inh: VmInherit) -> Result<(), MapError> {
        self.check(start, end)?;
        if !self.is_mapped(start, end) {
            return Err(MapError::NotMapped);
        }
        let r = self.clip(start, end)?;
        for e in &mut self.entries[r] {
            e.inheritance = inh;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mach::vm::*;

    #[test]
    fn a_full_map_refuses_new_entries_but_still_unmaps() {
        let mut m = VmMap::new(0x1000, 0x1000 + 2 * PAGE * MAX_ENTRIES as u64 + 4 * PAGE);
        for i in 0..MAX_ENTRIES as u64 {
            m.insert(MapEntry::new(0x1000 + 2 * i * PAGE, 0x2000 + 2 * i * PAGE, VM_PROT_READ, VM_PROT_ALL)).unwrap();
        }
        let top = 0x1000 + 2 * PAGE * MAX_ENTRIES as u64;
        assert_eq!(m.insert(MapEntry::new(top, top + PAGE, VM_PROT_READ, VM_PROT_ALL)).err(), Some(MapError::NoEntries));
        assert_eq!(m.remove(0x1000, 0x2000).map(|v| v.len()), Ok(1), "a whole entry goes without a split");
        assert_eq!(m.entries().len(), MAX_ENTRIES - 1);
        m.insert(MapEntry::new(0x1000, 0x2000, VM_PROT_READ, VM_PROT_ALL)).unwrap();
        m.insert(MapEntry::new(0x2000, 0x3000, VM_PROT_READ, VM_PROT_ALL)).err().unwrap();
        let before = m.entries().len();
        assert_eq!(m.protect(0x3000, 0x4000, VM_PROT_NONE, false), Ok(()), "no split: whole entry");
        assert_eq!(m.entries().len(), before);
        // Splitting an entry needs one more: refused, the map unchanged.
        let last = top - 2 * PAGE;
        m.remove(last, last + PAGE).unwrap();
        m.insert(MapEntry::new(last, last + 2 * PAGE, VM_PROT_READ, VM_PROT_ALL)).unwrap();
        assert_eq!(m.protect(last, last + PAGE, VM_PROT_NONE, false), Err(MapError::NoEntries));
        assert_eq!(m.lookup(last).map(|e| (e.start, e.end, e.protection)), Some((last, last + 2 * PAGE, VM_PROT_READ)));
    }

    const RW: VmProt = VM_PROT_READ | VM_PROT_WRITE;

    fn map() -> VmMap {
        VmMap::new(0x1000, 0x100_0000)
    }

    #[test]
    fn insert_rejects_overlap_and_bad_ranges() {
        let mut m = map();
        m.insert(MapEntry::new(0x2000, 0x4000, RW, VM_PROT_ALL)).unwrap();
        assert_eq!(m.insert(MapEntry::new(0x3000, 0x5000, RW, RW)).err(), Some(MapError::NoSpace));
        assert_eq!(m.insert(MapEntry::new(0x1000, 0x3000, RW, RW)).err(), Some(MapError::NoSpace));
        assert_eq!(m.insert(MapEntry::new(0x5001, 0x6000, RW, RW)).err(), Some(MapError::InvalidRange));
        assert_eq!(m.insert(MapEntry::new(0x0, 0x1000, RW, RW)).err(), Some(MapError::InvalidRange));
        assert_eq!(m.insert(MapEntry::new(0x6000, 0x6000, RW, RW)).err(), Some(MapError::InvalidRange));
        m.insert(MapEntry::new(0x1000, 0x2000, RW, RW)).unwrap();
        m.insert(MapEntry::new(0x4000, 0x5000, RW, RW)).unwrap();
        let starts: Vec<u64> = m.entries().iter().map(|e| e.start).collect();
        assert_eq!(starts, [0x1000, 0x2000, 0x4000]);
    }

    #[test]
    fn find_space_first_fit() {
        let mut m = map();
        assert_eq!(m.find_space(0x2000, 0), Some(0x1000));
        m.insert(MapEntry::new(0x1000, 0x3000, RW, RW)).unwrap();
        m.insert(MapEntry::new(0x4000, 0x5000, RW, RW)).unwrap();
        assert_eq!(m.find_space(0x1000, 0), Some(0x3000));
        assert_eq!(m.find_space(0x2000, 0), Some(0x5000));
        assert_eq!(m.find_space(0x1000, 0x4800), Some(0x5000));
        assert_eq!(m.find_space(0x100_0000, 0), None);
        assert_eq!(m.find_space(0x123, 0), None);
    }

    #[test]
    fn remove_splits_and_tolerates_holes() {
        let mut m = map();
        m.insert(MapEntry::new(0x1000, 0x5000, RW, RW)).unwrap();
        m.insert(MapEntry::new(0x6000, 0x8000, RW, RW)).unwrap();
        let gone = m.remove(0x2000, 0x7000).unwrap();
        assert_eq!(gone.iter().map(|e| (e.start, e.end)).collect::<Vec<_>>(),
                   [(0x2000, 0x5000), (0x6000, 0x7000)]);
        assert_eq!(m.entries().iter().map(|e| (e.start, e.end)).collect::<Vec<_>>(),
                   [(0x1000, 0x2000), (0x7000, 0x8000)]);
        assert!(m.lookup(0x3000).is_none());
        assert_eq!(m.lookup(0x7fff).unwrap().start, 0x7000);
    }

    #[test]
    fn protect_respects_maximum_and_clips() {
        let mut m = map();
        m.insert(MapEntry::new(0x1000, 0x4000, VM_PROT_READ, VM_PROT_READ | VM_PROT_WRITE)).unwrap();
        assert_eq!(m.protect(0x2000, 0x3000, VM_PROT_ALL, false), Err(MapError::ProtectionFailure));
        m.protect(0x2000, 0x3000, RW, false).unwrap();
        let prots: Vec<VmProt> = m.entries().iter().map(|e| e.protection).collect();
        assert_eq!(prots, [VM_PROT_READ, RW, VM_PROT_READ]);
        assert_eq!(m.protect(0x3000, 0x6000, VM_PROT_READ, false), Err(MapError::NotMapped));
        m.protect(0x1000, 0x4000, VM_PROT_READ, true).unwrap();
        assert!(m.entries().iter().all(|e| e.protection == VM_PROT_READ && e.max_protection == VM_PROT_READ));
    }

    #[test]
    fn clipping_keeps_the_object_and_advances_the_offset() {
        let mem = crate::vm::page::testmem::TestMem::new(10);
        let obj = VmObject::anonymous(0x4000, mem);
        let mut m = map();
        m.insert(MapEntry::with_object(0x1000, 0x5000, obj.clone(), 0, RW, RW)).unwrap();
        m.protect(0x2000, 0x3000, VM_PROT_READ, false).unwrap();
        let offs: Vec<u64> = m.entries().iter().map(|e| e.offset).collect();
        assert_eq!(offs, [0, 0x1000, 0x2000]);
        assert_eq!(Arc::strong_count(&obj), 4);
        m.remove(0x1000, 0x5000).unwrap();
        assert_eq!(Arc::strong_count(&obj), 1);
    }

    #[test]
    fn inheritance_is_per_range() {
        let mut m = map();
        m.insert(MapEntry::new(0x1000, 0x4000, RW, RW)).unwrap();
        m.set_inheritance(0x3000, 0x4000, VM_INHERIT_SHARE).unwrap();
        assert_eq!(m.lookup(0x1000).unwrap().inheritance, VM_INHERIT_COPY);
        assert_eq!(m.lookup(0x3000).unwrap().inheritance, VM_INHERIT_SHARE);
        assert!(m.is_mapped(0x1000, 0x4000));
        assert!(!m.is_mapped(0x1000, 0x5000));
    }
}
