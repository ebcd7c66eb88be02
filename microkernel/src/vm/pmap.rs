//! What the machine-independent VM needs of a pmap (the machine-dependent
//! translation cache, arch::pmap): enter one page, remove or write-protect
//! a range, extract one translation. A trait, so that the fault handler and
//! the map operations run on the host against `TestPmap`.
//!
//! Contract: every removal and every protection downgrade is visible to the
//! hardware when the call returns (the TLB is invalidated).

use mach::kern_return::KernReturn;
use mach::vm::VmProt;

pub trait PmapOps {
    /// Maps the page at `va` to `frame` with `prot` (pmap_enter).
    fn enter(&mut self, va: u64, frame: u64, prot: VmProt) -> Result<(), KernReturn>;
    /// Unmaps every page in [start, end) (pmap_remove).
    fn remove_range(&mut self, start: u64, end: u64);
    /// Reduces the rights of every mapped page in [start, end) to at most
    /// `prot` (pmap_protect); never adds rights: more comes by refaulting.
    fn protect_range(&mut self, start: u64, end: u64, prot: VmProt);
    /// The frame mapped at `va` and whether it is writable.
    fn extract(&self, va: u64) -> Option<(u64, bool)>;
}

/// A pmap for host tests: a table of (frame, prot) by page.
#[cfg(test)]
#[derive(Default, Debug)]
pub struct TestPmap {
    pub pages: std::collections::BTreeMap<u64, (u64, VmProt)>,
    /// Fail `enter` (as if page tables could not be allocated).
    pub fail: bool,
}

#[cfg(test)]
impl PmapOps for TestPmap {
    fn enter(&mut self, va: u64, frame: u64, prot: VmProt) -> Result<(), KernReturn> {
        if self.fail {
            return Err(mach::kern_return::KERN_RESOURCE_SHORTAGE);
        }
        self.pages.insert(va, (frame, prot));
        Ok(())
    }
    fn remove_range(&mut self, start: u64, end: u64) {
        self.pages.retain(|&va, _| va < start || va >= end);
    }
    fn protect_range(&mut self, start: u64, end: u64, prot: VmProt) {
        for (_, (_, p)) in self.pages.range_mut(start..end) {
            *p &= prot;
        }
    }
    fn extract(&self, va: u64) -> Option<(u64, bool)> {
        self.pages.get(&va).map(|&(f, p)| (f, p & mach::vm::VM_PROT_WRITE != 0))
    }
}
