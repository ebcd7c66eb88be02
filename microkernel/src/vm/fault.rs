//! The page fault handler (Mach's vm_fault): make the page at an address
//! resident and enter its translation, or say why not.
//!
//! 1. Find the map entry; check the access against its protection.
//! 2. Give an untouched entry its anonymous object; on a write to a
//!    copy-on-write entry (`needs_copy`), interpose a shadow object.
//! 3. Walk the object's shadow chain for the page (asking pagers on the way).
//! 4. Not found: zero-fill in the top object. Found in a backing object and
//!    writing: copy it into the top object. Reading: map the backing page
//!    read-only, so a later write faults again and copies.
//! 5. Enter the translation; then try to shorten the chain.

use super::map::{MapEntry, VmMap};
use super::object::{PageWait, VmObject};
use super::page::PhysMem;
use super::pmap::PmapOps;
use alloc::sync::Arc;
use mach::kern_return::*;
use mach::vm::{trunc_page, VmProt, VM_PROT_EXECUTE, VM_PROT_READ, VM_PROT_WRITE};

/// Why a fault did not complete.
pub enum FaultError {
    Failed(KernReturn),
    /// A pager has been asked for the page: the caller drops its locks,
    /// waits for the answer (`MemoryObject::wait_for_page`) and faults again.
    Wait(PageWait),
}

impl From<KernReturn> for FaultError {
    fn from(kr: KernReturn) -> Self {
        FaultError::Failed(kr)
    }
}

/// Resolves a fault at `addr` for `access` (VM_PROT_READ, _WRITE or
/// _EXECUTE) in `map`, entering the translation in `pmap`. For callers that
/// cannot wait (usercopy holds the map): a page still to come from a pager
/// fails the fault, KERN_MEMORY_ERROR; the request has gone out, so a later
/// access finds it.
pub fn vm_fault(map: &mut VmMap, pmap: &mut dyn PmapOps, phys: &'static dyn PhysMem,
                addr: u64, access: VmProt) -> Result<(), KernReturn> {
    vm_fault_paging(map, pmap, phys, addr, access).map_err(|e| match e {
        FaultError::Failed(kr) | FaultError::Wait(PageWait::Error(kr)) => kr,
        FaultError::Wait(PageWait::Pager(..)) => KERN_MEMORY_ERROR,
    })
}

/// `vm_fault`, telling when the page is on its way from a pager.
pub fn vm_fault_paging(map: &mut VmMap, pmap: &mut dyn PmapOps, phys: &'static dyn PhysMem,
                       addr: u64, access: VmProt) -> Result<(), FaultError> {
    let va = trunc_page(addr);
    let map_swappable = map.swappable;
    let entry = map.lookup_mut(va).ok_or(KERN_INVALID_ADDRESS)?;
    if access & !entry.protection != 0 {
        return Err(KERN_PROTECTION_FAILURE.into());
    }
    let write = access & VM_PROT_WRITE != 0;
    let top = prepare_entry(entry, write, phys);
    if map_swappable {
        top.set_swappable(true);
    }
    let offset = entry.object_offset(va);
    let (frame, writable, lock) = resolve_page(&top, offset, access)?;
    let mut prot = entry.protection & !lock;
    if !writable || entry.needs_copy {
        prot &= !VM_PROT_WRITE;
    }
    pmap.enter(va, frame, prot).map_err(FaultError::Failed)?;
    top.collapse();
    Ok(())
}

/// Makes sure the entry has an object it may fault pages into; returns it.
fn prepare_entry(e: &mut MapEntry, write: bool, phys: &'static dyn PhysMem) -> Arc<VmObject> {
    if e.object.is_none() {
        e.object = Some(VmObject::anonymous(e.offset + e.size(), phys));
        e.needs_copy = false;
    }
    if write && e.needs_copy {
        resolve_needs_copy(e);
    }
    e.object.clone().expect("object set above")
}

/// Gives a copy-on-write entry its own object: a shadow of the shared one,
/// or the object itself when nobody else refers to it any more.
pub fn resolve_needs_copy(e: &mut MapEntry) {
    let Some(obj) = e.object.take() else {
        e.needs_copy = false;
        return;
    };
    if Arc::strong_count(&obj) == 1 && !obj.is_shared() {
        e.object = Some(obj);
    } else {
        e.object = Some(VmObject::shadow(obj, e.offset, e.size()));
        e.offset = 0;
    }
    e.needs_copy = false;
}

/// The frame for `offset` of `top`, whether it may be mapped writable, and
/// the access its pager withholds. A page locked against `access` makes
/// the fault ask its pager for an unlock and wait.
fn resolve_page(top: &Arc<VmObject>, offset: u64, access: VmProt) -> Result<(u64, bool, VmProt), FaultError> {
    let found = top.lookup_page(offset).map_err(FaultError::Wait)?;
    let lock = found.as_ref().map_or(0, |f| f.lock);
    if let Some(f) = found.as_ref().filter(|f| f.lock != 0) {
        // A private copy of a page only reads it.
        let needs = if f.depth == 0 { access } else { VM_PROT_READ };
        if needs & f.lock != 0 {
            let mo = f.object.lock().pager.clone();
            if let Some(mo) = mo {
                return Err(FaultError::Wait(mo.unlock_wanted(f.offset, needs)));
            }
        }
    }
    let (frame, writable) = resolve_found(top, offset, access & VM_PROT_WRITE != 0, found)?;
    Ok((frame, writable, lock))
}

fn resolve_found(top: &Arc<VmObject>, offset: u64, write: bool, found: Option<super::object::Found>)
                 -> Result<(u64, bool), KernReturn> {
    match found {
        Some(f) if f.depth == 0 => Ok((f.frame, true)),
        Some(f) if write => {
            let frame = top.copy_in(offset, f.frame)?;
            // Another map sharing `top` may still map the original
            // read-only; it must refault and find the copy.
            if top.is_shared() {
                top.phys().remove_mappings(f.frame);
            }
            Ok((frame, true))
        }
        Some(f) => Ok((f.frame, false)),
        None => Ok((top.zero_fill(offset)?, true)),
    }
}

/// A page fault taken in user mode at `addr` (the trap handler's CR2 and
/// error code): resolves it in the running task's map. Only this thread
/// waits for a pager: the map is unlocked while it does, and the fault
/// starts over once the pager has answered (the map may have changed).
pub fn user_fault(addr: u64, error_code: u64) -> Result<(), KernReturn> {
    let thread = crate::kern::sched::current();
    let task = thread.task.as_ref().ok_or(KERN_INVALID_TASK)?;
    let access = access_from_error_code(error_code);
    loop {
        super::pageout::reclaim_if_low();
        let r = task.vm.lock().fault_paging(addr, access);
        match r {
            Ok(()) => return Ok(()),
            // No frame left, pageout has done what it could: the
            // out-of-memory policy ends the largest task.
            Err(FaultError::Failed(KERN_RESOURCE_SHORTAGE)) => match super::oom::out_of_memory(task) {
                super::oom::Decision::Retry => continue,
                _ => return Err(KERN_RESOURCE_SHORTAGE),
            },
            Err(FaultError::Failed(kr)) | Err(FaultError::Wait(PageWait::Error(kr))) => return Err(kr),
            Err(FaultError::Wait(PageWait::Pager(mo, offset))) => mo.wait_for_page(offset)?,
        }
    }
}

/// The access an x86 page-fault error code describes.
pub fn access_from_error_code(code: u64) -> VmProt {
    if code & 2 != 0 {
        VM_PROT_WRITE
    } else if code & 16 != 0 {
        VM_PROT_EXECUTE
    } else {
        VM_PROT_READ
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::map::MapEntry;
    use crate::vm::page::testmem::TestMem;
    use crate::vm::pmap::TestPmap;
    use mach::vm::*;

    const P: u64 = PAGE_SIZE as u64;
    const RW: VmProt = VM_PROT_READ | VM_PROT_WRITE;

    fn setup() -> (VmMap, TestPmap, &'static TestMem) {
        let mut m = VmMap::new(0x1000, 0x100_0000);
        m.insert(MapEntry::new(0x10000, 0x20000, RW, VM_PROT_ALL)).unwrap();
        m.insert(MapEntry::new(0x30000, 0x31000, VM_PROT_READ, VM_PROT_READ)).unwrap();
        (m, TestPmap::default(), TestMem::new(1000))
    }

    #[test]
    fn unmapped_and_protection_errors() {
        let (mut m, mut p, mem) = setup();
        assert_eq!(vm_fault(&mut m, &mut p, mem, 0x5000, VM_PROT_READ), Err(KERN_INVALID_ADDRESS));
        assert_eq!(vm_fault(&mut m, &mut p, mem, 0x30000, VM_PROT_WRITE), Err(KERN_PROTECTION_FAILURE));
        assert_eq!(vm_fault(&mut m, &mut p, mem, 0x30000, VM_PROT_EXECUTE), Err(KERN_PROTECTION_FAILURE));
        assert_eq!(mem.live(), 0);
    }

    #[test]
    fn zero_fill_is_lazy_and_per_page() {
        let (mut m, mut p, mem) = setup();
        vm_fault(&mut m, &mut p, mem, 0x12345, VM_PROT_WRITE).unwrap();
        assert_eq!(mem.live(), 1);
        let (f, w) = p.extract(0x12000).unwrap();
        assert!(w);
        assert_eq!(mem.byte(f, 0), 0);
        // Faulting the same page again reuses it.
        vm_fault(&mut m, &mut p, mem, 0x12000, VM_PROT_READ).unwrap();
        assert_eq!(mem.live(), 1);
        assert_eq!(m.lookup(0x10000).unwrap().object.as_ref().unwrap().resident_count(), 1);
    }

    #[test]
    fn copy_on_write_reads_share_and_writes_copy() {
        let (mut m, mut p, mem) = setup();
        let base = VmObject::anonymous(P, mem);
        let orig = base.zero_fill(0).unwrap();
        mem.write(orig, 0, &[42]);
        m.insert(MapEntry { needs_copy: true, ..MapEntry::with_object(0x40000, 0x41000, base.clone(), 0, RW, RW) }).unwrap();
        vm_fault(&mut m, &mut p, mem, 0x40000, VM_PROT_READ).unwrap();
        assert_eq!(p.extract(0x40000), Some((orig, false)));
        vm_fault(&mut m, &mut p, mem, 0x40000, VM_PROT_WRITE).unwrap();
        let (copy, w) = p.extract(0x40000).unwrap();
        assert!(w && copy != orig);
        assert_eq!(mem.byte(copy, 0), 42);
        // The original still belongs to `base` (someone else's view).
        assert_eq!(base.find_page(0).unwrap().frame, orig);
        assert!(!m.lookup(0x40000).unwrap().needs_copy);
    }

    #[test]
    fn exclusive_copy_on_write_needs_no_shadow() {
        let (mut m, mut p, mem) = setup();
        let base = VmObject::anonymous(P, mem);
        base.zero_fill(0).unwrap();
        m.insert(MapEntry { needs_copy: true, ..MapEntry::with_object(0x40000, 0x41000, base, 0, RW, RW) }).unwrap();
        vm_fault(&mut m, &mut p, mem, 0x40000, VM_PROT_WRITE).unwrap();
        assert_eq!(m.lookup(0x40000).unwrap().object.as_ref().unwrap().chain_depth(), 1);
        assert_eq!(mem.live(), 1);
    }

    #[test]
    fn out_of_memory_is_a_resource_shortage() {
        let (mut m, mut p, mem) = setup();
        mem.set_limit(0);
        assert_eq!(vm_fault(&mut m, &mut p, mem, 0x10000, VM_PROT_READ), Err(KERN_RESOURCE_SHORTAGE));
        mem.set_limit(10);
        p.fail = true;
        assert_eq!(vm_fault(&mut m, &mut p, mem, 0x10000, VM_PROT_READ), Err(KERN_RESOURCE_SHORTAGE));
    }

    #[test]
    fn error_codes_map_to_access() {
        assert_eq!(access_from_error_code(0b00010), VM_PROT_WRITE);
        assert_eq!(access_from_error_code(0b00111), VM_PROT_WRITE);
        assert_eq!(access_from_error_code(0b10100), VM_PROT_EXECUTE);
        assert_eq!(access_from_error_code(0b00101), VM_PROT_READ);
    }
}
