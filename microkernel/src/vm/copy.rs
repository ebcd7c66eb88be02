//! Map copies (Mach's vm_map_copy): a range of one map captured as
//! copy-on-write references to its objects, then entered into another map
//! (or the same one). vm_read, vm_write, vm_copy and out-of-line message
//! data all move memory this way, without copying a byte until someone
//! writes.

use super::map::{MapEntry, VmMap};
use super::object::VmObject;
use super::pmap::PmapOps;
use super::user::{map_error, page_range};
use alloc::sync::Arc;
use alloc::vec::Vec;
use mach::kern_return::*;
use mach::vm::*;

/// One piece of a copy: `size` bytes at `offset` from the copy's start,
/// backed by `object` from `object_offset` (None: zero-filled).
pub struct CopyEntry {
    pub offset: u64,
    pub size: u64,
    pub object: Option<Arc<VmObject>>,
    pub object_offset: u64,
}

/// Captured memory, independent of the map it came from.
pub struct VmMapCopy {
    pub size: u64,
    pub entries: Vec<CopyEntry>,
}

/// Turns entry `e` into copy-on-write and returns the object and offset a
/// copy should use. A shared object (another map may write it directly)
/// is copied at once instead, so the copy cannot see later writes.
pub fn cow_source(e: &mut MapEntry, pmap: &mut dyn PmapOps) -> Result<(Option<Arc<VmObject>>, u64), KernReturn> {
    let Some(obj) = e.object.clone() else { return Ok((None, 0)) };
    // Already a copy-on-write view (a private mapping of a shared object,
    // or a copy not yet written): it never writes the object, so the copy
    // is one more view of it, with no page copied (and none of a pager's
    // absent pages needed now).
    if e.needs_copy {
        return Ok((Some(obj), e.offset));
    }
    if obj.is_shared() {
        return Ok((Some(obj.copy_slowly(e.offset, e.size())?), 0));
    }
    obj.collapse();
    e.needs_copy = true;
    pmap.protect_range(e.start, e.end, e.protection & !VM_PROT_WRITE);
    Ok((Some(obj), e.offset))
}

/// vm_map_copyin: captures [addr, addr+size) of `map`, which must be mapped
/// and readable.
pub fn vm_map_copyin(map: &mut VmMap, pmap: &mut dyn PmapOps, addr: u64, size: u64) -> Result<VmMapCopy, KernReturn> {
    let (start, end) = page_range(addr, size)?;
    map.check(start, end).map_err(map_error)?;
    if !map.is_mapped(start, end) {
        return Err(KERN_INVALID_ADDRESS);
    }
    let r = map.clip(start, end).map_err(map_error)?;
    if map.entries()[r.clone()].iter().any(|e| e.protection & VM_PROT_READ == 0) {
        return Err(KERN_PROTECTION_FAILURE);
    }
    let mut entries = Vec::new();
    for e in &mut map.entries_mut()[r] {
        let (object, object_offset) = cow_source(e, pmap)?;
        entries.push(CopyEntry { offset: e.start - start, size: e.size(), object, object_offset });
    }
    Ok(VmMapCopy { size: end - start, entries })
}

fn copy_entry_at(ce: &CopyEntry, base: u64, prot: VmProt, max: VmProt) -> MapEntry {
    let mut e = MapEntry::new(base + ce.offset, base + ce.offset + ce.size, prot, max);
    e.needs_copy = ce.object.is_some();
    e.object = ce.object.clone();
    e.offset = ce.object_offset;
    e
}

/// vm_map_copyout: enters a copy anywhere in `map`; returns its address.
pub fn vm_map_copyout(map: &mut VmMap, copy: VmMapCopy) -> Result<u64, KernReturn> {
    let base = map.find_space(copy.size, 0).ok_or(KERN_NO_SPACE)?;
    for ce in &copy.entries {
        map.insert(copy_entry_at(ce, base, VM_PROT_DEFAULT, VM_PROT_ALL)).map_err(map_error)?;
    }
    Ok(base)
}

/// vm_map_copy_overwrite: replaces the contents of [dst, dst+copy.size),
/// which must be mapped and writable, keeping its protection and
/// inheritance.
pub fn vm_map_copy_overwrite(map: &mut VmMap, pmap: &mut dyn PmapOps, dst: u64, copy: &VmMapCopy) -> KernReturn {
    if dst % PAGE_SIZE as u64 != 0 {
        return KERN_INVALID_ARGUMENT;
    }
    let Some(end) = dst.checked_add(copy.size) else { return KERN_INVALID_ADDRESS };
    if let Err(e) = map.check(dst, end) {
        return map_error(e);
    }
    if !map.is_mapped(dst, end) {
        return KERN_INVALID_ADDRESS;
    }
    let r = match map.clip(dst, end) {
        Ok(r) => r,
        Err(e) => return map_error(e),
    };
    if map.entries()[r].iter().any(|e| e.protection & VM_PROT_WRITE == 0) {
        return KERN_PROTECTION_FAILURE;
    }
    pmap.remove_range(dst, end);
    let old = match map.remove(dst, end) {
        Ok(old) => old,
        Err(e) => return map_error(e),
    };
    for o in &old {
        for ce in &copy.entries {
            let (s, e) = ((dst + ce.offset).max(o.start), (dst + ce.offset + ce.size).min(o.end));
            if s >= e {
                continue;
            }
            let mut n = copy_entry_at(ce, dst, o.protection, o.max_protection);
            n.offset += s - n.start;
            n.start = s;
            n.end = e;
            n.inheritance = o.inheritance;
            if let Err(err) = map.insert(n) {
                return map_error(err);
            }
        }
    }
    KERN_SUCCESS
}

/// vm_read: the contents of [addr, addr+size), copy-on-write.
pub fn vm_read(map: &mut VmMap, pmap: &mut dyn PmapOps, addr: u64, size: u64) -> Result<VmMapCopy, KernReturn> {
    vm_map_copyin(map, pmap, addr, size)
}

/// vm_write: overwrites memory at `addr` with `data` (from vm_read of this
/// or another task, or a message).
pub fn vm_write(map: &mut VmMap, pmap: &mut dyn PmapOps, addr: u64, data: &VmMapCopy) -> KernReturn {
    vm_map_copy_overwrite(map, pmap, addr, data)
}

/// vm_copy: copies [src, src+size) over [dst, dst+size) in one map.
pub fn vm_copy(map: &mut VmMap, pmap: &mut dyn PmapOps, src: u64, size: u64, dst: u64) -> KernReturn {
    match vm_map_copyin(map, pmap, src, size) {
        Ok(c) => vm_map_copy_overwrite(map, pmap, dst, &c),
        Err(kr) => kr,
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::vm::fault::vm_fault;
    use crate::vm::page::testmem::TestMem;
    use crate::vm::page::PhysMem;
    use crate::vm::pmap::TestPmap;
    use crate::vm::user::vm_allocate;

    const P: u64 = PAGE_SIZE as u64;

    pub struct Space {
        pub map: VmMap,
        pub pmap: TestPmap,
        pub mem: &'static TestMem,
    }

    impl Space {
        pub fn new(mem: &'static TestMem) -> Space {
            Space { map: VmMap::new(0x1000, 0x1000_0000), pmap: TestPmap::default(), mem }
        }
        pub fn alloc(&mut self, pages: u64) -> u64 {
            let mut a = 0;
            assert_eq!(vm_allocate(&mut self.map, &mut a, pages * P, true), KERN_SUCCESS);
            a
        }
        pub fn read(&mut self, va: u64) -> Result<u8, KernReturn> {
            vm_fault(&mut self.map, &mut self.pmap, self.mem, va, VM_PROT_READ)?;
            let (f, _) = self.pmap.extract(trunc_page(va)).unwrap();
            Ok(self.mem.byte(f, (va % P) as usize))
        }
        pub fn write(&mut self, va: u64, b: u8) -> Result<(), KernReturn> {
            if !self.pmap.extract(trunc_page(va)).is_some_and(|(_, w)| w) {
                vm_fault(&mut self.map, &mut self.pmap, self.mem, va, VM_PROT_WRITE)?;
            }
            let (f, w) = self.pmap.extract(trunc_page(va)).unwrap();
            assert!(w);
            self.mem.write(f, (va % P) as usize, &[b]);
            Ok(())
        }
    }

    #[test]
    fn read_then_copyout_between_maps_is_isolated() {
        let mem = TestMem::new(100);
        let (mut a, mut b) = (Space::new(mem), Space::new(mem));
        let x = a.alloc(4);
        a.write(x, 1).unwrap();
        a.write(x + 2 * P, 3).unwrap();
        let c = vm_read(&mut a.map, &mut a.pmap, x, 4 * P).unwrap();
        let y = vm_map_copyout(&mut b.map, c).unwrap();
        assert_eq!((b.read(y).unwrap(), b.read(y + 2 * P).unwrap(), b.read(y + P).unwrap()), (1, 3, 0));
        let before = mem.live();
        b.write(y, 9).unwrap();
        assert_eq!(mem.live(), before + 1, "one page copied");
        a.write(x + 2 * P, 4).unwrap();
        assert_eq!((a.read(x).unwrap(), b.read(y).unwrap()), (1, 9));
        assert_eq!((a.read(x + 2 * P).unwrap(), b.read(y + 2 * P).unwrap()), (4, 3));
        drop(a);
        assert_eq!(b.read(y + 2 * P).unwrap(), 3);
        drop(b);
        assert_eq!(mem.live(), 0);
    }

    #[test]
    fn copy_and_write_in_place() {
        let mem = TestMem::new(100);
        let mut a = Space::new(mem);
        let x = a.alloc(2);
        let y = a.alloc(2);
        a.write(x + P, 5).unwrap();
        a.read(y + P).unwrap();
        assert_eq!(vm_copy(&mut a.map, &mut a.pmap, x, 2 * P, y), KERN_SUCCESS);
        assert_eq!(a.read(y + P).unwrap(), 5);
        a.write(y + P, 6).unwrap();
        assert_eq!(a.read(x + P).unwrap(), 5);
        let data = vm_read(&mut a.map, &mut a.pmap, y, P).unwrap();
        assert_eq!(vm_write(&mut a.map, &mut a.pmap, x + 0x10, &data), KERN_INVALID_ARGUMENT);
        assert_eq!(vm_write(&mut a.map, &mut a.pmap, 0x800_0000, &data), KERN_INVALID_ADDRESS);
        assert_eq!(vm_protect_ro(&mut a, x), KERN_SUCCESS);
        assert_eq!(vm_write(&mut a.map, &mut a.pmap, x, &data), KERN_PROTECTION_FAILURE);
        assert!(vm_read(&mut a.map, &mut a.pmap, 0x800_0000, P).is_err());
    }

    fn vm_protect_ro(s: &mut Space, va: u64) -> KernReturn {
        crate::vm::user::vm_protect(&mut s.map, &mut s.pmap, va, P, false, VM_PROT_READ)
    }

    #[test]
    fn a_copy_on_write_view_of_a_shared_object_is_copied_without_copying() {
        let mem = TestMem::new(100);
        let (mut a, mut b) = (Space::new(mem), Space::new(mem));
        let x = a.alloc(2);
        a.write(x, 1).unwrap();
        // What vm_map with copy makes of a pager's object: a shared object
        // behind a needs-copy entry (read-only in the pmap).
        {
            let e = &mut a.map.entries_mut()[0];
            e.object.as_ref().unwrap().set_shared();
            e.needs_copy = true;
        }
        a.pmap.protect_range(x, x + 2 * P, VM_PROT_READ);
        let before = mem.live();
        let c = vm_read(&mut a.map, &mut a.pmap, x, 2 * P).unwrap();
        assert_eq!(mem.live(), before, "no page copied");
        let y = vm_map_copyout(&mut b.map, c).unwrap();
        assert_eq!(b.read(y).unwrap(), 1);
        b.write(y, 9).unwrap();
        a.write(x, 4).unwrap();
        assert_eq!((a.read(x).unwrap(), b.read(y).unwrap()), (4, 9), "each side's writes are its own");
    }

    #[test]
    fn copy_of_untouched_memory_holds_no_object() {
        let mem = TestMem::new(100);
        let (mut a, mut b) = (Space::new(mem), Space::new(mem));
        let x = a.alloc(8);
        let c = vm_read(&mut a.map, &mut a.pmap, x, 8 * P).unwrap();
        assert!(c.entries.iter().all(|e| e.object.is_none()));
        let y = vm_map_copyout(&mut b.map, c).unwrap();
        assert_eq!(b.read(y + 7 * P).unwrap(), 0);
        let _ = mem.alloc_zeroed().map(|f| mem.free(f));
    }
}
