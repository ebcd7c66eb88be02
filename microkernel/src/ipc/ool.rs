//! Out-of-line memory in messages. For now a region is copied physically
//! into fresh frames on send and those frames are mapped into the receiver
//! (one copy). The VM's copy-on-write will replace `copy_in_region` and
//! `copy_out_region`; nothing else here touches the VM.

use crate::arch::layout::phys_to_virt;
use crate::arch::usercopy::copyin;
use crate::kern::task::TaskVm;
use crate::vm::resident;
use alloc::vec::Vec;
use mach::kern_return::*;
use mach::vm::{round_page, trunc_page, PAGE_SIZE, VM_PROT_DEFAULT};

const PAGE: u64 = PAGE_SIZE as u64;
/// Where the receiver's regions go, by default.
const OOL_HINT: u64 = 0x4000_0000;

/// Pages holding a copy of the data, owned until mapped or dropped.
pub struct OolRegion {
    frames: Vec<u64>,
    pub size: u64,
}

impl Drop for OolRegion {
    fn drop(&mut self) {
        for &pa in &self.frames {
            resident::free_frame(pa);
        }
    }
}

/// Copies [addr, addr+size) of the sender into new frames (the physical
/// copy the VM engineer replaces by copy-on-write).
pub fn copy_in_region(vm: &TaskVm, addr: u64, size: u64) -> Result<OolRegion, KernReturn> {
    if size > mach::message::MACH_MSG_OOL_SIZE_MAX as u64 || addr.checked_add(size).is_none() {
        return Err(MACH_SEND_INVALID_MEMORY);
    }
    let mut region = OolRegion { frames: Vec::new(), size };
    let mut done = 0;
    while done < size {
        let pa = resident::alloc_frame().ok_or(MACH_SEND_NO_BUFFER)?;
        region.frames.push(pa);
        let n = (size - done).min(PAGE) as usize;
        // SAFETY: a fresh frame, ours alone, seen through the physmap.
        let page = unsafe { core::slice::from_raw_parts_mut(phys_to_virt(pa) as *mut u8, PAGE_SIZE) };
        page[n..].fill(0);
        copyin(&vm.pmap, addr + done, &mut page[..n]).map_err(|_| MACH_SEND_INVALID_MEMORY)?;
        done += n as u64;
    }
    Ok(region)
}

/// Maps the region at a fresh address in the receiver; returns it.
pub fn copy_out_region(vm: &mut TaskVm, mut region: OolRegion) -> Result<u64, KernReturn> {
    if region.frames.is_empty() {
        return Ok(0);
    }
    let len = region.frames.len() as u64 * PAGE;
    let at = vm.map.find_space(len, OOL_HINT).ok_or(MACH_RCV_BODY_ERROR)?;
    vm.map_frames(at, &region.frames, VM_PROT_DEFAULT).map_err(|_| MACH_RCV_BODY_ERROR)?;
    region.frames.clear(); // now the receiver's
    Ok(at)
}

/// Removes a sent region from the sender (the descriptor's `deallocate`).
pub fn deallocate_region(vm: &mut TaskVm, addr: u64, size: u64) {
    if size == 0 {
        return;
    }
    if let Some(end) = round_page(addr + size) {
        vm.deallocate(trunc_page(addr), end);
    }
}
