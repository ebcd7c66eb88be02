//! The pmap: x86_64 4-level page tables, the machine-dependent half of
//! virtual memory. The machine-independent VM decides what is mapped where;
//! a pmap only records translations and can always be rebuilt from the VM's
//! own structures (Rashid et al.: the pmap is a cache).

use super::layout::{phys_to_virt, KERNEL_VMA, PHYSMAP_BASE, PHYSMAP_MAX};
use crate::vm::resident;
use mach::vm::{VmProt, PAGE_SIZE, VM_MAX_ADDRESS, VM_PROT_EXECUTE, VM_PROT_WRITE};
use spin::Once;

const P: u64 = 1 << 0;
const W: u64 = 1 << 1;
const U: u64 = 1 << 2;
const PS: u64 = 1 << 7;
const G: u64 = 1 << 8;
const NX: u64 = 1 << 63;
const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PmapError {
    /// No memory for a page-table page.
    NoMemory,
    /// The address is outside the user half.
    BadAddress,
}

/// The kernel's top-level table; every pmap copies its upper half.
static KERNEL_PML4: Once<u64> = Once::new();

fn table(pa: u64) -> &'static mut [u64; 512] {
    // SAFETY: page-table pages are frames the pmap owns, reached through the
    // physmap; callers hold the pmap (or are at boot) so no one else writes.
    unsafe { &mut *(phys_to_virt(pa) as *mut [u64; 512]) }
}

fn zeroed_frame() -> Result<u64, PmapError> {
    let pa = resident::alloc_frame().ok_or(PmapError::NoMemory)?;
    table(pa).fill(0);
    Ok(pa)
}

fn index(va: u64, level: u32) -> usize {
    ((va >> (12 + 9 * level)) & 511) as usize
}

/// Builds the kernel's own page tables: the physmap of all memory below
/// `max_phys` with 2 MiB pages, and the kernel image with 4 KiB pages and
/// per-section protection. Then switches to them.
pub fn bootstrap(max_phys: u64) -> Result<(), PmapError> {
    let pml4 = zeroed_frame()?;
    let top = max_phys.min(PHYSMAP_MAX);
    let mut pa = 0;
    while pa < top {
        map_kernel_huge(pml4, PHYSMAP_BASE + pa, pa)?;
        pa += 2 * 1024 * 1024;
    }
    map_kernel_image(pml4)?;
    KERNEL_PML4.call_once(|| pml4);
    // SAFETY: the new tables map the physmap, the image (where we execute)
    // and the boot stack (in .bss), so execution continues seamlessly.
    unsafe { load_cr3(pml4) };
    Ok(())
}

fn map_kernel_huge(pml4: u64, va: u64, pa: u64) -> Result<(), PmapError> {
    let pd = walk(pml4, va, 1, P | W)?;
    table(pd)[index(va, 1)] = pa | P | W | PS | G | NX;
    Ok(())
}

fn map_kernel_image(pml4: u64) -> Result<(), PmapError> {
    unsafe extern "C" {
        static _kernel_start: u8;
        static _etext: u8;
        static _erodata: u8;
        static _kernel_end: u8;
    }
    // SAFETY: only the addresses of linker-script symbols are taken.
    let (start, etext, erodata, end) = unsafe {
        (
            &_kernel_start as *const u8 as u64,
            &_etext as *const u8 as u64,
            &_erodata as *const u8 as u64,
            &_kernel_end as *const u8 as u64,
        )
    };
    let mut va = start & !(PAGE_SIZE as u64 - 1);
    while va < end {
        let flags = if va < etext {
            P | G
        } else if va < erodata {
            P | G | NX
        } else {
            P | W | G | NX
        };
        let pt = walk(pml4, va, 0, P | W)?;
        table(pt)[index(va, 0)] = (va - KERNEL_VMA) | flags;
        va += PAGE_SIZE as u64;
    }
    Ok(())
}

/// Walks from `pml4` down to the table at `level` (0 = page table) covering
/// `va`, creating missing tables with `flags`. Returns its physical address.
fn walk(pml4: u64, va: u64, level: u32, flags: u64) -> Result<u64, PmapError> {
    let mut t = pml4;
    for l in (level + 1..=3).rev() {
        let e = &mut table(t)[index(va, l)];
        if *e & P == 0 {
            *e = zeroed_frame()? | flags;
        }
        t = *e & ADDR_MASK;
    }
    Ok(t)
}

/// Finds the page-table entry for `va` without creating tables.
fn lookup(pml4: u64, va: u64) -> Option<&'static mut u64> {
    let mut t = pml4;
    for l in (1..=3).rev() {
        let e = table(t)[index(va, l)];
        if e & P == 0 || e & PS != 0 {
            return None;
        }
        t = e & ADDR_MASK;
    }
    Some(&mut table(t)[index(va, 0)])
}

/// # Safety
/// `pml4` must map the code and stack in use.
unsafe fn load_cr3(pml4: u64) {
    // SAFETY: per the caller.
    unsafe { core::arch::asm!("mov cr3, {}", in(reg) pml4, options(nostack, preserves_flags)) }
}

fn invlpg(va: u64) {
    // SAFETY: dropping a TLB entry is always safe.
    unsafe { core::arch::asm!("invlpg [{}]", in(reg) va, options(nostack, preserves_flags)) }
}

fn current_cr3() -> u64 {
    let v: u64;
    // SAFETY: reading CR3 has no side effects.
    unsafe { core::arch::asm!("mov {}, cr3", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v & ADDR_MASK
}

fn pte_flags(prot: VmProt) -> u64 {
    let mut f = P | U;
    if prot & VM_PROT_WRITE != 0 {
        f |= W;
    }
    if prot & VM_PROT_EXECUTE == 0 {
        f |= NX;
    }
    f
}

fn user_range_ok(va: u64) -> bool {
    va < VM_MAX_ADDRESS && va % PAGE_SIZE as u64 == 0
}

/// One address space's translations.
pub struct Pmap {
    pml4: u64,
}

impl Pmap {
    /// A pmap with an empty user half and the kernel half shared.
    pub fn new() -> Result<Pmap, PmapError> {
        let pml4 = zeroed_frame()?;
        let k = *KERNEL_PML4.get().expect("pmap::bootstrap ran");
        table(pml4)[256..].copy_from_slice(&table(k)[256..]);
        Ok(Pmap { pml4 })
    }

    fn is_active(&self) -> bool {
        // One CPU runs for now; with more, each pmap keeps the set of CPUs
        // it is active on and a change here sends them a shootdown IPI.
        current_cr3() == self.pml4
    }

    /// Maps the user page at `va` to the frame `pa` (Mach's pmap_enter).
    /// Returns the frame it replaced, if any.
    pub fn enter(&mut self, va: u64, pa: u64, prot: VmProt) -> Result<Option<u64>, PmapError> {
        if !user_range_ok(va) {
            return Err(PmapError::BadAddress);
        }
        let pt = walk(self.pml4, va, 0, P | W | U)?;
        let e = &mut table(pt)[index(va, 0)];
        let old = if *e & P != 0 { Some(*e & ADDR_MASK) } else { None };
        *e = (pa & ADDR_MASK) | pte_flags(prot);
        if old.is_some() && self.is_active() {
            invlpg(va);
        }
        Ok(old)
    }

    /// Unmaps one page; returns the frame that was mapped.
    pub fn remove(&mut self, va: u64) -> Option<u64> {
        let e = lookup(self.pml4, va)?;
        if *e & P == 0 {
            return None;
        }
        let pa = *e & ADDR_MASK;
        *e = 0;
        if self.is_active() {
            invlpg(va);
        }
        Some(pa)
    }

    /// Changes the protection of a mapped page (Mach's pmap_protect).
    pub fn protect(&mut self, va: u64, prot: VmProt) {
        if let Some(e) = lookup(self.pml4, va) {
            if *e & P != 0 {
                *e = (*e & ADDR_MASK) | pte_flags(prot);
                if self.is_active() {
                    invlpg(va);
                }
            }
        }
    }

    /// The frame and writability of the page at `va` (Mach's pmap_extract).
    pub fn extract(&self, va: u64) -> Option<(u64, bool)> {
        let e = *lookup(self.pml4, va & !(PAGE_SIZE as u64 - 1))?;
        if e & P == 0 || e & U == 0 {
            return None;
        }
        Some((e & ADDR_MASK, e & W != 0))
    }

    /// Makes this the address space of the running CPU.
    pub fn activate(&self) {
        if !self.is_active() {
            // SAFETY: every pmap maps the kernel half, so kernel code and
            // stacks stay mapped across the switch.
            unsafe { load_cr3(self.pml4) };
        }
    }

    /// Calls `f(va, pa)` for every user page mapped.
    pub fn for_each_mapping(&self, mut f: impl FnMut(u64, u64)) {
        for i4 in 0..256 {
            let e4 = table(self.pml4)[i4];
            if e4 & P == 0 {
                continue;
            }
            for i3 in 0..512 {
                let e3 = table(e4 & ADDR_MASK)[i3];
                if e3 & P == 0 {
                    continue;
                }
                for i2 in 0..512 {
                    let e2 = table(e3 & ADDR_MASK)[i2];
                    if e2 & P == 0 {
                        continue;
                    }
                    for i1 in 0..512 {
                        let e1 = table(e2 & ADDR_MASK)[i1];
                        if e1 & P != 0 {
                            let va = ((i4 as u64) << 39) | ((i3 as u64) << 30) | ((i2 as u64) << 21) | ((i1 as u64) << 12);
                            f(va, e1 & ADDR_MASK);
                        }
                    }
                }
            }
        }
    }
}

impl Drop for Pmap {
    /// Frees the page-table pages of the user half (not the mapped frames,
    /// which belong to the VM).
    fn drop(&mut self) {
        if self.is_active() {
            // SAFETY: the kernel's own tables map everything the kernel uses.
            unsafe { load_cr3(*KERNEL_PML4.get().unwrap()) };
        }
        for i4 in 0..256 {
            let e4 = table(self.pml4)[i4];
            if e4 & P == 0 {
                continue;
            }
            for i3 in 0..512 {
                let e3 = table(e4 & ADDR_MASK)[i3];
                if e3 & P == 0 {
                    continue;
                }
                for i2 in 0..512 {
                    let e2 = table(e3 & ADDR_MASK)[i2];
                    if e2 & P != 0 {
                        resident::free_frame(e2 & ADDR_MASK);
                    }
                }
                resident::free_frame(e3 & ADDR_MASK);
            }
            resident::free_frame(e4 & ADDR_MASK);
        }
        resident::free_frame(self.pml4);
    }
}
