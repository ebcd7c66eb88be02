//! The VM operations a task's port offers (Mach's vm_user.c), as kernel
//! functions on a map and its pmap returning `kern_return` codes. The
//! task-port RPCs call these; until IPC exists, temporary DEBUG_* traps do.

use super::map::{MapEntry, MapError, VmMap};
use super::pmap::PmapOps;
use mach::kern_return::*;
use mach::vm::*;

pub fn map_error(e: MapError) -> KernReturn {
    match e {
        MapError::InvalidRange | MapError::NotMapped => KERN_INVALID_ADDRESS,
        MapError::NoSpace => KERN_NO_SPACE,
        MapError::ProtectionFailure => KERN_PROTECTION_FAILURE,
        MapError::NoEntries => KERN_RESOURCE_SHORTAGE,
    }
}

/// The page-aligned range covering [addr, addr+size).
pub fn page_range(addr: u64, size: u64) -> Result<(u64, u64), KernReturn> {
    let end = addr.checked_add(size).and_then(round_page).ok_or(KERN_INVALID_ADDRESS)?;
    Ok((trunc_page(addr), end))
}

/// vm_allocate: zero-filled memory, allocated lazily on first touch. With
/// `anywhere` the kernel picks the address (at or above `*addr`);
/// otherwise the range at `*addr` must be free. `*addr` is set to the start.
pub fn vm_allocate(map: &mut VmMap, addr: &mut u64, size: u64, anywhere: bool) -> KernReturn {
    if size == 0 {
        *addr = 0;
        return KERN_SUCCESS;
    }
    let Some(size) = round_page(size) else { return KERN_INVALID_ARGUMENT };
    let start = if anywhere {
        match map.find_space(size, trunc_page(*addr)) {
            Some(a) => a,
            None => return KERN_NO_SPACE,
        }
    } else {
        trunc_page(*addr)
    };
    let Some(end) = start.checked_add(size) else { return KERN_INVALID_ADDRESS };
    match map.insert(MapEntry::new(start, end, VM_PROT_DEFAULT, VM_PROT_ALL)) {
        Ok(()) => {
            *addr = start;
            KERN_SUCCESS
        }
        Err(e) => map_error(e),
    }
}

/// vm_deallocate: removes [addr, addr+size); holes are allowed. Frames are
/// freed when their object's last reference goes (frames shared with
/// another map survive).
pub fn vm_deallocate(map: &mut VmMap, pmap: &mut dyn PmapOps, addr: u64, size: u64) -> KernReturn {
    if size == 0 {
        return KERN_SUCCESS;
    }
    let (start, end) = match page_range(addr, size) {
        Ok(r) => r,
        Err(kr) => return kr,
    };
    if let Err(e) = map.check(start, end) {
        return map_error(e);
    }
    pmap.remove_range(start, end);
    match map.remove(start, end) {
        Ok(gone) => {
            drop(gone);
            KERN_SUCCESS
        }
        Err(e) => map_error(e),
    }
}

/// vm_protect: sets the current (or with `set_max` the maximum) protection
/// of [addr, addr+size). Rights taken away are taken from the pmap at once.
pub fn vm_protect(map: &mut VmMap, pmap: &mut dyn PmapOps, addr: u64, size: u64,
                  set_max: bool, prot: VmProt) -> KernReturn {
    if prot & !VM_PROT_ALL != 0 {
        return KERN_INVALID_ARGUMENT;
    }
    if size == 0 {
        return KERN_SUCCESS;
    }
    let (start, end) = match page_range(addr, size) {
        Ok(r) => r,
        Err(kr) => return kr,
    };
    if let Err(e) = map.protect(start, end, prot, set_max) {
        return map_error(e);
    }
    // Already clipped by protect: this finds the entries, adds none.
    let r = match map.clip(start, end) {
        Ok(r) => r,
        Err(e) => return map_error(e),
    };
    for e in &map.entries()[r] {
        let mut p = e.protection;
        if e.needs_copy {
            p &= !VM_PROT_WRITE;
        }
        pmap.protect_range(e.start, e.end, p);
    }
    KERN_SUCCESS
}

/// vm_inherit: what a child gets of [addr, addr+size) at fork.
pub fn vm_inherit(map: &mut VmMap, addr: u64, size: u64, inh: VmInherit) -> KernReturn {
    if !matches!(inh, VM_INHERIT_SHARE | VM_INHERIT_COPY | VM_INHERIT_NONE) {
        return KERN_INVALID_ARGUMENT;
    }
    if size == 0 {
        return KERN_SUCCESS;
    }
    let (start, end) = match page_range(addr, size) {
        Ok(r) => r,
        Err(kr) => return kr,
    };
    match map.set_inheritance(start, end, inh) {
        Ok(()) => KERN_SUCCESS,
        Err(e) => map_error(e),
    }
}

/// What vm_region tells about a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionInfo {
    pub start: u64,
    pub size: u64,
    pub protection: VmProt,
    pub max_protection: VmProt,
    pub inheritance: VmInherit,
    pub shared: bool,
    /// Offset in the object, and the object's id (0: none yet).
    pub offset: u64,
    pub object_id: u64,
}

/// vm_region: the region containing `addr`, or else the next one above it.
pub fn vm_region(map: &VmMap, addr: u64) -> Result<RegionInfo, KernReturn> {
    let e = map.first_entry_after(addr).ok_or(KERN_NO_SPACE)?;
    Ok(RegionInfo {
        start: e.start,
        size: e.size(),
        protection: e.protection,
        max_protection: e.max_protection,
        inheritance: e.inheritance,
        shared: e.object.as_ref().is_some_and(|o| o.is_shared()),
        offset: e.offset,
        object_id: e.object.as_ref().map_or(0, |o| o.id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::fault::vm_fault;
    use crate::vm::page::testmem::TestMem;
    use crate::vm::pmap::TestPmap;

    const P: u64 = PAGE_SIZE as u64;

    fn map() -> VmMap {
        VmMap::new(0x1000, 0x1000_0000)
    }

    #[test]
    fn allocate_anywhere_fixed_and_overlap() {
        let mut m = map();
        let mut a = 0;
        assert_eq!(vm_allocate(&mut m, &mut a, 3 * P - 5, true), KERN_SUCCESS);
        assert_eq!((a, m.lookup(a).unwrap().size()), (0x1000, 3 * P));
        let mut b = 0x2000;
        assert_eq!(vm_allocate(&mut m, &mut b, P, false), KERN_NO_SPACE);
        let mut c = 0x8000;
        assert_eq!(vm_allocate(&mut m, &mut c, P, false), KERN_SUCCESS);
        let mut d = 0x2000_0000;
        assert_eq!(vm_allocate(&mut m, &mut d, P, false), KERN_INVALID_ADDRESS);
        let mut e = 0;
        assert_eq!(vm_allocate(&mut m, &mut e, 0x1000_0000, true), KERN_NO_SPACE);
        assert_eq!(vm_allocate(&mut m, &mut e, u64::MAX, true), KERN_INVALID_ARGUMENT);
    }

    #[test]
    fn deallocate_frees_touched_pages_and_allows_holes() {
        let (mut m, mut p, mem) = (map(), TestPmap::default(), TestMem::new(100));
        let mut a = 0;
        vm_allocate(&mut m, &mut a, 4 * P, true);
        for i in 0..4 {
            vm_fault(&mut m, &mut p, mem, a + i * P, VM_PROT_WRITE).unwrap();
        }
        assert_eq!(mem.live(), 4);
        assert_eq!(vm_deallocate(&mut m, &mut p, a + P, P), KERN_SUCCESS);
        // The object still holds the page until the whole object goes.
        assert!(p.extract(a + P).is_none());
        assert_eq!(vm_deallocate(&mut m, &mut p, 0x1000, 0x100000), KERN_SUCCESS);
        assert_eq!(mem.live(), 0);
        assert!(p.pages.is_empty());
        assert_eq!(vm_fault(&mut m, &mut p, mem, a, VM_PROT_READ), Err(KERN_INVALID_ADDRESS));
    }

    #[test]
    fn protect_downgrades_the_pmap_at_once() {
        let (mut m, mut p, mem) = (map(), TestPmap::default(), TestMem::new(100));
        let mut a = 0;
        vm_allocate(&mut m, &mut a, 2 * P, true);
        vm_fault(&mut m, &mut p, mem, a, VM_PROT_WRITE).unwrap();
        assert_eq!(vm_protect(&mut m, &mut p, a, P, false, VM_PROT_READ), KERN_SUCCESS);
        assert_eq!(p.extract(a).unwrap().1, false);
        assert_eq!(vm_fault(&mut m, &mut p, mem, a, VM_PROT_WRITE), Err(KERN_PROTECTION_FAILURE));
        assert_eq!(vm_protect(&mut m, &mut p, a, P, true, VM_PROT_READ), KERN_SUCCESS);
        assert_eq!(vm_protect(&mut m, &mut p, a, P, false, VM_PROT_DEFAULT), KERN_PROTECTION_FAILURE);
        assert_eq!(vm_protect(&mut m, &mut p, a, 3 * P, false, VM_PROT_READ), KERN_INVALID_ADDRESS);
        assert_eq!(vm_protect(&mut m, &mut p, a, P, false, 0x80), KERN_INVALID_ARGUMENT);
        // Raising it again needs a new fault to reach the pmap.
        assert_eq!(vm_protect(&mut m, &mut p, a + P, P, false, VM_PROT_READ), KERN_SUCCESS);
        assert_eq!(vm_protect(&mut m, &mut p, a + P, P, false, VM_PROT_DEFAULT), KERN_SUCCESS);
        vm_fault(&mut m, &mut p, mem, a + P, VM_PROT_WRITE).unwrap();
    }

    #[test]
    fn region_describes_at_or_after() {
        let mut m = map();
        let mut a = 0x4000;
        vm_allocate(&mut m, &mut a, 2 * P, false);
        assert_eq!(vm_inherit(&mut m, a, P, VM_INHERIT_SHARE), KERN_SUCCESS);
        assert_eq!(vm_inherit(&mut m, a, P, 9), KERN_INVALID_ARGUMENT);
        let r = vm_region(&m, 0x1000).unwrap();
        assert_eq!((r.start, r.size, r.inheritance), (0x4000, P, VM_INHERIT_SHARE));
        let r = vm_region(&m, 0x5000).unwrap();
        assert_eq!((r.start, r.inheritance, r.protection), (0x5000, VM_INHERIT_COPY, VM_PROT_DEFAULT));
        assert_eq!(vm_region(&m, 0x6000), Err(KERN_NO_SPACE));
    }
}
