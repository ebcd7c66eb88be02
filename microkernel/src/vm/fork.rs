//! Address-space copy for task creation (Mach's vm_map_fork): the child's
//! map is built entry by entry from the parent's inheritance attributes.
//! NONE: the child has nothing there. SHARE: both map the same object and
//! see each other's writes. COPY: both map the object copy-on-write (the
//! parent's pmap is write-protected at once; each side's first write to a
//! page interposes a shadow object and copies just that page).

use super::copy::cow_source;
use super::fault::resolve_needs_copy;
use super::map::{MapEntry, VmMap};
use super::object::VmObject;
use super::page::PhysMem;
use super::pmap::PmapOps;
use super::user::map_error;
use mach::kern_return::*;
use mach::vm::*;

/// A new map for a child of the task whose map is `parent`.
pub fn vm_map_fork(parent: &mut VmMap, parent_pmap: &mut dyn PmapOps, phys: &'static dyn PhysMem) -> Result<VmMap, KernReturn> {
    let (min, max) = parent.bounds();
    let mut child = VmMap::new(min, max);
    for e in parent.entries_mut() {
        let c = match e.inheritance {
            VM_INHERIT_NONE => continue,
            VM_INHERIT_SHARE => share_entry(e, phys),
            _ => copy_entry(e, parent_pmap)?,
        };
        child.insert(c).map_err(map_error)?;
    }
    Ok(child)
}

fn share_entry(e: &mut MapEntry, phys: &'static dyn PhysMem) -> MapEntry {
    if e.object.is_none() {
        e.object = Some(VmObject::anonymous(e.offset + e.size(), phys));
    }
    // Both sides must write into one object, not into private shadows.
    if e.needs_copy {
        resolve_needs_copy(e);
    }
    if let Some(o) = &e.object {
        o.set_shared();
    }
    e.clone()
}

fn copy_entry(e: &mut MapEntry, parent_pmap: &mut dyn PmapOps) -> Result<MapEntry, KernReturn> {
    let (object, offset) = cow_source(e, parent_pmap)?;
    let needs_copy = object.is_some();
    Ok(MapEntry { object, offset, needs_copy, ..e.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::copy::tests::Space;
    use crate::vm::page::testmem::TestMem;
    use crate::vm::pmap::TestPmap;
    use crate::vm::user::vm_inherit;

    const P: u64 = PAGE_SIZE as u64;

    fn fork(s: &mut Space) -> Space {
        let map = vm_map_fork(&mut s.map, &mut s.pmap, s.mem).unwrap();
        Space { map, pmap: TestPmap::default(), mem: s.mem }
    }

    #[test]
    fn copy_inheritance_isolates_both_ways() {
        let mem = TestMem::new(100);
        let mut p = Space::new(mem);
        let x = p.alloc(4);
        for i in 0..4 {
            p.write(x + i * P, i as u8 + 1).unwrap();
        }
        let mut c = fork(&mut p);
        assert!(!p.pmap.extract(x).unwrap().1, "parent write-protected");
        let before = mem.live();
        c.write(x, 10).unwrap();
        assert_eq!(mem.live(), before + 1, "a write after fork copies one page");
        p.write(x + P, 20).unwrap();
        assert_eq!(mem.live(), before + 2);
        assert_eq!((p.read(x).unwrap(), c.read(x).unwrap()), (1, 10));
        assert_eq!((p.read(x + P).unwrap(), c.read(x + P).unwrap()), (20, 2));
        assert_eq!((p.read(x + 3 * P).unwrap(), c.read(x + 3 * P).unwrap()), (4, 4));
        drop(p);
        assert_eq!(c.read(x + 3 * P).unwrap(), 4);
        drop(c);
        assert_eq!(mem.live(), 0);
    }

    #[test]
    fn share_inheritance_sees_writes_both_ways() {
        let mem = TestMem::new(100);
        let mut p = Space::new(mem);
        let x = p.alloc(2);
        assert_eq!(vm_inherit(&mut p.map, x, 2 * P, VM_INHERIT_SHARE), KERN_SUCCESS);
        let mut c = fork(&mut p);
        c.write(x, 7).unwrap();
        assert_eq!(p.read(x).unwrap(), 7);
        p.write(x + P, 8).unwrap();
        assert_eq!(c.read(x + P).unwrap(), 8);
        assert_eq!(mem.live(), 2);
    }

    #[test]
    fn none_inheritance_leaves_a_hole() {
        let mem = TestMem::new(100);
        let mut p = Space::new(mem);
        let x = p.alloc(1);
        p.write(x, 1).unwrap();
        vm_inherit(&mut p.map, x, P, VM_INHERIT_NONE);
        let mut c = fork(&mut p);
        assert_eq!(c.read(x), Err(KERN_INVALID_ADDRESS));
    }

    #[test]
    fn share_of_a_copy_on_write_region_stays_coherent() {
        let mem = TestMem::new(100);
        let mut g = Space::new(mem);
        let x = g.alloc(1);
        g.write(x, 1).unwrap();
        let mut p = fork(&mut g);
        p.read(x).unwrap();
        vm_inherit(&mut p.map, x, P, VM_INHERIT_SHARE);
        let mut c = fork(&mut p);
        assert_eq!(c.read(x).unwrap(), 1);
        c.write(x, 2).unwrap();
        // The parent mapped the grandparent's page read-only before; the
        // copy into the shared object must be what it sees now.
        p.pmap.pages.retain(|_, (f, _)| !mem_unmapped(mem, *f));
        assert_eq!(p.read(x).unwrap(), 2);
        assert_eq!(g.read(x).unwrap(), 1);
        // A copy of a shared region is eager and isolated from the sharers.
        vm_inherit(&mut c.map, x, P, VM_INHERIT_COPY);
        let mut d = fork(&mut c);
        p.write(x, 3).unwrap();
        assert_eq!((c.read(x).unwrap(), d.read(x).unwrap()), (3, 2));
    }

    /// TestPmap cannot be reached from TestMem; emulate remove_mappings.
    fn mem_unmapped(mem: &TestMem, f: u64) -> bool {
        mem.unmapped_frames().contains(&f)
    }

    #[test]
    fn repeated_forks_keep_chains_short() {
        let mem = TestMem::new(1000);
        let mut t = Space::new(mem);
        let x = t.alloc(4);
        t.write(x, 0).unwrap();
        let mut worst = 0;
        for gen in 1..=50u8 {
            let mut child = fork(&mut t);
            drop(t); // the parent exits
            child.write(x, gen).unwrap();
            child.write(x + P * (gen as u64 % 4), gen).unwrap();
            worst = worst.max(child.map.max_chain_depth());
            t = child;
        }
        assert!(worst <= 2, "chain depth {}", worst);
        assert_eq!(t.read(x).unwrap(), 50);
        assert!(mem.live() <= 4);
    }

    #[test]
    fn chains_stay_bounded_while_ancestors_live() {
        let mem = TestMem::new(1000);
        let mut t = Space::new(mem);
        let x = t.alloc(1);
        t.write(x, 0).unwrap();
        let mut keep = std::vec::Vec::new();
        for gen in 1..=10u8 {
            let mut child = fork(&mut t);
            child.write(x, gen).unwrap();
            keep.push(t);
            t = child;
        }
        // Each generation's written page fully covers its backing object,
        // so the child bypasses it: depth stays small.
        assert!(t.map.max_chain_depth() <= 2, "depth {}", t.map.max_chain_depth());
        for (i, a) in keep.iter_mut().enumerate() {
            assert_eq!(a.read(x).unwrap(), i as u8);
        }
    }
}
