//! Copying between the kernel and a task's memory.
//!
//! Every access goes through the task's pmap: the range is translated page
//! by page and copied through the physmap, so a bad user pointer is an error
//! value, never a kernel fault, and the copy works whichever address space
//! is loaded (the kernel may copy into a task that is not running).

use super::layout::phys_to_virt;
use super::pmap::Pmap;
use mach::vm::{PAGE_SIZE, VM_MAX_ADDRESS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadAddress;

fn check(addr: u64, len: usize) -> Result<(), BadAddress> {
    let end = addr.checked_add(len as u64).ok_or(BadAddress)?;
    if end > VM_MAX_ADDRESS {
        return Err(BadAddress);
    }
    Ok(())
}

/// Runs `f(kernel_ptr, n, done)` over each page-sized piece of the user
/// range, after checking that page is present (and writable if `write`).
fn each_piece(pmap: &Pmap, addr: u64, len: usize, write: bool,
              mut f: impl FnMut(*mut u8, usize, usize)) -> Result<(), BadAddress> {
    check(addr, len)?;
    let mut done = 0usize;
    while done < len {
        let va = addr + done as u64;
        let in_page = (va % PAGE_SIZE as u64) as usize;
        let n = (PAGE_SIZE - in_page).min(len - done);
        let (pa, writable) = pmap.extract(va).ok_or(BadAddress)?;
        if write && !writable {
            return Err(BadAddress);
        }
        f(phys_to_virt(pa + in_page as u64) as *mut u8, n, done);
        done += n;
    }
    Ok(())
}

/// Copies from user memory into `dst`.
pub fn copyin(pmap: &Pmap, src: u64, dst: &mut [u8]) -> Result<(), BadAddress> {
    each_piece(pmap, src, dst.len(), false, |p, n, done| {
        // SAFETY: p is n bytes of a present user frame, via the physmap.
        let s = unsafe { core::slice::from_raw_parts(p, n) };
        dst[done..done + n].copy_from_slice(s);
    })
}

/// Copies `src` into user memory, which must be mapped writable.
pub fn copyout(pmap: &Pmap, src: &[u8], dst: u64) -> Result<(), BadAddress> {
    each_piece(pmap, dst, src.len(), true, |p, n, done| {
        // SAFETY: p is n bytes of a present, writable user frame.
        let d = unsafe { core::slice::from_raw_parts_mut(p, n) };
        d.copy_from_slice(&src[done..done + n]);
    })
}
