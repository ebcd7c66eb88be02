//! The pmap: x86_64 4-level page tables, the machine-dependent half of
//! virtual memory. The machine-independent VM decides what is mapped where;
//! a pmap only records translations and can always be rebuilt from the VM's
//! own structures (Rashid et al.: the pmap is a cache).

//!
//! Every user translation is also recorded in a physical-to-virtual table
//! (Mach's pv lists), so that all the mappings of a frame can be removed
//! when the VM frees or replaces it (`page_remove_all`, Mach's
//! pmap_page_protect(VM_PROT_NONE)). One lock, `PV`, serialises every change
//! to user page-table entries of every pmap, so that another CPU could take
//! a frame's mappings away from a pmap while its task runs.

use super::layout::{phys_to_virt, KERNEL_VMA, PHYSMAP_BASE, PHYSMAP_MAX};
use crate::vm::resident;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use mach::kern_return::{KernReturn, KERN_INVALID_ADDRESS, KERN_RESOURCE_SHORTAGE};
use mach::vm::{VmProt, PAGE_SIZE, VM_MAX_ADDRESS, VM_PROT_EXECUTE, VM_PROT_WRITE};
use spin::{Mutex, Once};

const P: u64 = 1 << 0;
const W: u64 = 1 << 1;
const U: u64 = 1 << 2;
/// Accessed and dirty: set by the MMU, read by the pageout scan.
const A: u64 = 1 << 5;
const D: u64 = 1 << 6;
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
    crate::kern::counts::inc(mach::defs::host::KernelCount::PageTablePages);
    Ok(pa)
}

/// Gives a page-table page back to the pool.
fn free_table(pa: u64) {
    crate::kern::counts::dec(mach::defs::host::KernelCount::PageTablePages);
    resident::free_frame(pa);
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
    // The heap works now that the physmap is mapped.
    *MODIFIED.lock() = alloc::vec![0; (max_phys / PAGE_SIZE as u64).div_ceil(64) as usize];
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

/// Frame -> the (pml4, va) pairs that map it.
struct PvTable(BTreeMap<u64, Vec<(u64, u64)>>);

static PV: Mutex<PvTable> = Mutex::new(PvTable(BTreeMap::new()));

/// Frames written through a translation that has since gone (Mach's
/// pmap_phys_attributes): the dirty bit must outlive the page-table entry,
/// or pageout would drop data. Locked inside PV.
/// A bit per frame, allocated once at boot: recording a dirty bit never
/// allocates (unmapping a dying 450 MiB task used to put 116 Ki entries in
/// a BTreeSet, with memory at its end, and the kernel panicked).
static MODIFIED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

fn modified_set(pa: u64) {
    let f = (pa / PAGE_SIZE as u64) as usize;
    if let Some(w) = MODIFIED.lock().get_mut(f / 64) {
        *w |= 1 << (f % 64);
    }
}

/// Clears the frame's record; whether it was set.
fn modified_take(pa: u64) -> bool {
    let f = (pa / PAGE_SIZE as u64) as usize;
    MODIFIED.lock().get_mut(f / 64).is_some_and(|w| {
        let was = *w & (1 << (f % 64)) != 0;
        *w &= !(1 << (f % 64));
        was
    })
}

/// Notes the dirty bit of an entry about to be cleared or replaced.
fn note_modified(pte: u64) {
    if pte & (P | D) == P | D {
        modified_set(pte & ADDR_MASK);
    }
}

/// Whether any mapping of `pa` was accessed since the last call (the
/// clock's second chance); clears the accessed bits.
pub fn page_clear_referenced(pa: u64) -> bool {
    let pv = PV.lock();
    let mut seen = false;
    for &(pml4, va) in pv.0.get(&pa).into_iter().flatten() {
        if let Some(e) = lookup(pml4, va) {
            if *e & (P | A) == P | A && *e & ADDR_MASK == pa {
                *e &= !A;
                tlb_invalidate(pml4, va);
                seen = true;
            }
        }
    }
    seen
}

/// Whether `pa` was written since the last call, through any mapping
/// present or past; clears the record and the dirty bits.
pub fn page_take_modified(pa: u64) -> bool {
    let pv = PV.lock();
    let mut dirty = modified_take(pa);
    for &(pml4, va) in pv.0.get(&pa).into_iter().flatten() {
        if let Some(e) = lookup(pml4, va) {
            if *e & (P | D) == P | D && *e & ADDR_MASK == pa {
                *e &= !D;
                tlb_invalidate(pml4, va);
                dirty = true;
            }
        }
    }
    dirty
}

impl PvTable {
    fn add(&mut self, pa: u64, pml4: u64, va: u64) {
        self.0.entry(pa).or_default().push((pml4, va));
    }
    fn remove(&mut self, pa: u64, pml4: u64, va: u64) {
        if let Some(list) = self.0.get_mut(&pa) {
            list.retain(|&m| m != (pml4, va));
            if list.is_empty() {
                self.0.remove(&pa);
            }
        }
    }
}

/// Removes every user translation of frame `pa`, in every pmap.
pub fn page_remove_all(pa: u64) {
    let mut pv = PV.lock();
    let Some(list) = pv.0.remove(&pa) else { return };
    for (pml4, va) in list {
        if let Some(e) = lookup(pml4, va) {
            if *e & P != 0 && *e & ADDR_MASK == pa {
                note_modified(*e);
                *e = 0;
                tlb_invalidate(pml4, va);
            }
        }
    }
}

/// Advanced whenever any user translation changes (removed, replaced,
/// downgraded, or its accessed/dirty bits cleared): every such change goes
/// through tlb_invalidate. A translation looked up when the generation was
/// g still stands while it is g, since the only changes that bypass it add
/// a translation where there was none. The IPC fast path keeps the frame of
/// a thread's message buffer with the generation it saw (ipc/fastpath.rs),
/// so an RPC loop does not walk the page tables on every message. One
/// counter for all pmaps: changes are rare next to messages, and a per-pmap
/// counter would have to be reached from page_remove_all's (pml4, va) pairs.
static GENERATION: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// The translation generation (see GENERATION).
pub fn generation() -> u64 {
    GENERATION.load(core::sync::atomic::Ordering::Acquire)
}

/// Makes `root` (a live pmap's root, Pmap::root) the address space of the
/// running CPU, without the pmap itself (and so without its owner's lock).
pub fn activate_root(root: u64) {
    if current_cr3() != root {
        // SAFETY: `root` is the top table of a live pmap (the caller holds
        // its task), and every pmap maps the kernel half, so kernel code
        // and stacks stay mapped across the switch.
        unsafe { load_cr3(root) };
    }
}

/// Makes a changed translation of `va` in the address space `pml4` take
/// effect. The single place for TLB consistency: with one CPU only the
/// active address space can have it cached (switching CR3 flushes the
/// others, user pages are not global). With several CPUs, this is where
/// the pmap's set of active CPUs would be sent a shootdown IPI and waited
/// for, before the frame could be reused.
fn tlb_invalidate(pml4: u64, va: u64) {
    GENERATION.fetch_add(1, core::sync::atomic::Ordering::Release);
    if current_cr3() == pml4 {
        invlpg(va);
    }
}

/// Calls `f(va, pte)` for every present leaf entry of the user range
/// [start, end), skipping absent tables.
fn for_each_pte(pml4: u64, start: u64, end: u64, mut f: impl FnMut(u64, &mut u64)) {
    let end = end.min(VM_MAX_ADDRESS);
    let mut va = start;
    while va < end {
        // Find the deepest table present for va; skip what is absent.
        let mut t = pml4;
        let mut level = 3;
        let mut skipped = false;
        while level > 0 {
            let e = table(t)[index(va, level)];
            if e & P == 0 || e & PS != 0 {
                let span = 1u64 << (12 + 9 * level);
                va = (va & !(span - 1)) + span;
                skipped = true;
                break;
            }
            t = e & ADDR_MASK;
            level -= 1;
        }
        if skipped {
            continue;
        }
        let e = &mut table(t)[index(va, 0)];
        if *e & P != 0 {
            f(va, e);
        }
        va += PAGE_SIZE as u64;
    }
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
        // Up to three page-table pages and a reverse-map entry, taken for
        // a user mapping: admitted like every other user request.
        if crate::kern::kalloc::admit(3 * PAGE_SIZE + 64).is_err() {
            return Err(PmapError::NoMemory);
        }
        let mut pv = PV.lock();
        let pt = walk(self.pml4, va, 0, P | W | U)?;
        let e = &mut table(pt)[index(va, 0)];
        let old = if *e & P != 0 { Some(*e & ADDR_MASK) } else { None };
        if let Some(o) = old {
            note_modified(*e);
            pv.remove(o, self.pml4, va);
        }
        *e = (pa & ADDR_MASK) | pte_flags(prot);
        pv.add(pa & ADDR_MASK, self.pml4, va);
        if old.is_some() {
            tlb_invalidate(self.pml4, va);
        }
        Ok(old)
    }

    /// Unmaps one page; returns the frame that was mapped.
    pub fn remove(&mut self, va: u64) -> Option<u64> {
        let mut pv = PV.lock();
        let e = lookup(self.pml4, va)?;
        if *e & P == 0 {
            return None;
        }
        let pa = *e & ADDR_MASK;
        note_modified(*e);
        *e = 0;
        pv.remove(pa, self.pml4, va);
        tlb_invalidate(self.pml4, va);
        Some(pa)
    }

    /// Unmaps every page of [start, end) (Mach's pmap_remove).
    pub fn remove_range(&mut self, start: u64, end: u64) {
        let mut pv = PV.lock();
        let pml4 = self.pml4;
        for_each_pte(pml4, start, end, |va, e| {
            pv.remove(*e & ADDR_MASK, pml4, va);
            note_modified(*e);
            *e = 0;
            tlb_invalidate(pml4, va);
        });
    }

    /// Reduces the rights of mapped pages in [start, end) to at most
    /// `prot` (Mach's pmap_protect); never adds any.
    pub fn protect_range(&mut self, start: u64, end: u64, prot: VmProt) {
        let _pv = PV.lock();
        let pml4 = self.pml4;
        let limit = pte_flags(prot);
        for_each_pte(pml4, start, end, |va, e| {
            let mut n = *e;
            if limit & W == 0 {
                n &= !W;
            }
            n |= limit & NX;
            if n != *e {
                *e = n;
                tlb_invalidate(pml4, va);
            }
        });
    }

    /// Changes the protection of one mapped page, downgrading only.
    pub fn protect(&mut self, va: u64, prot: VmProt) {
        self.protect_range(va, va + PAGE_SIZE as u64, prot);
    }

    /// The frame and writability of the page at `va` (Mach's pmap_extract).
    pub fn extract(&self, va: u64) -> Option<(u64, bool)> {
        let e = *lookup(self.pml4, va & !(PAGE_SIZE as u64 - 1))?;
        if e & P == 0 || e & U == 0 {
            return None;
        }
        Some((e & ADDR_MASK, e & W != 0))
    }

    /// The physical address of the top table, fixed for the pmap's life.
    pub fn root(&self) -> u64 {
        self.pml4
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
        self.free_user_tables();
        free_table(self.pml4);
    }
}

impl Pmap {
    /// Removes every user translation and frees the page-table pages of
    /// the user half: a dead task's tables go back at once, not when the
    /// last reference to the task does (a 2^46-byte mapping touched once a
    /// GiB has 64 Ki of them).
    pub fn free_user_tables(&mut self) {
        // The VM removes its mappings first; this keeps the pv table right
        // should any remain.
        self.remove_range(0, VM_MAX_ADDRESS);
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
                        free_table(e2 & ADDR_MASK);
                    }
                }
                free_table(e3 & ADDR_MASK);
            }
            free_table(e4 & ADDR_MASK);
            table(self.pml4)[i4] = 0;
        }
        if self.is_active() {
            // Drop whatever the TLB still holds of the freed tables.
            // SAFETY: the pml4 itself stays, and maps the kernel half.
            unsafe { load_cr3(self.pml4) };
        }
    }
}

impl crate::vm::pmap::PmapOps for Pmap {
    fn enter(&mut self, va: u64, frame: u64, prot: VmProt) -> Result<(), KernReturn> {
        match Pmap::enter(self, va, frame, prot) {
            Ok(_) => Ok(()),
            Err(PmapError::NoMemory) => Err(KERN_RESOURCE_SHORTAGE),
            Err(PmapError::BadAddress) => Err(KERN_INVALID_ADDRESS),
        }
    }
    fn remove_range(&mut self, start: u64, end: u64) {
        Pmap::remove_range(self, start, end)
    }
    fn protect_range(&mut self, start: u64, end: u64, prot: VmProt) {
        Pmap::protect_range(self, start, end, prot)
    }
    fn extract(&self, va: u64) -> Option<(u64, bool)> {
        Pmap::extract(self, va)
    }
}
