//! A virtio block device through the legacy (0.9.5) PCI interface, which
//! QEMU's transitional virtio-blk-pci offers: registers in I/O space at
//! BAR0, one virtqueue in physically contiguous memory the device reads
//! by DMA.
//!
//! One request is in flight at a time (the disk's lock serialises them):
//! descriptors 0-2 always carry header, data and status, and the data goes
//! through a bounce buffer of BOUNCE_BYTES. The caller waits with the CPU
//! halted until the completion interrupt (or a clock tick), however long
//! that takes: a slow device (a loaded host, guest time under -icount) is
//! logged once, and only a device that reports an error is taken down
//! rather than trusted with the buffers again.

use super::blk::BlockDriver;
use crate::arch::layout::phys_to_virt;
use crate::vm::resident;
use core::sync::atomic::{fence, AtomicU16, AtomicU32, Ordering};
use mach::defs::device::*;
use mach::kern_return::KernReturn;
use x86_64::instructions::port::Port;

pub const VENDOR: u16 = 0x1af4;
/// Transitional virtio-blk; the subsystem id says "block" (2).
pub const DEVICE_IDS: [u16; 1] = [0x1001];
pub const SUBSYSTEM_BLOCK: u16 = 2;

// Legacy register offsets from BAR0.
const REG_HOST_FEATURES: u16 = 0x00;
const REG_GUEST_FEATURES: u16 = 0x04;
const REG_QUEUE_PFN: u16 = 0x08;
const REG_QUEUE_SIZE: u16 = 0x0c;
const REG_QUEUE_SELECT: u16 = 0x0e;
const REG_QUEUE_NOTIFY: u16 = 0x10;
const REG_STATUS: u16 = 0x12;
const REG_ISR: u16 = 0x13;
/// Device configuration without MSI-X: the capacity in 512-byte sectors.
const REG_CAPACITY: u16 = 0x14;

const STATUS_ACKNOWLEDGE: u8 = 1;
const STATUS_DRIVER: u8 = 2;
const STATUS_DRIVER_OK: u8 = 4;
const STATUS_FAILED: u8 = 0x80;

const FEATURE_RO: u32 = 1 << 5;

const DESC_NEXT: u16 = 1;
const DESC_WRITE: u16 = 2;

const REQ_IN: u32 = 0;
const REQ_OUT: u32 = 1;

pub const SECTOR: usize = 512;
const PAGE: usize = 4096;
const BOUNCE_PAGES: usize = 32;
pub const BOUNCE_BYTES: usize = BOUNCE_PAGES * PAGE;
/// How long a request may take before the driver says so (once) and
/// checks the device's status; it goes on waiting after that.
const SLOW_MS: u64 = 5000;
/// Queue sizes past this would be a confused device.
const QUEUE_MAX: u16 = 1024;

/// Disks this driver drives at most (the root disk and a swap disk).
pub const MAX_DISKS: usize = 2;
/// The I/O base of each probed device, for the interrupt handler (0: none).
static ISR_BASE: [AtomicU16; MAX_DISKS] = [AtomicU16::new(0), AtomicU16::new(0)];
/// Completion interrupts taken (DEV_GET_IO_STATS).
static INTERRUPTS: AtomicU32 = AtomicU32::new(0);

pub struct VirtioBlk {
    io: u16,
    qsize: u16,
    /// Physical addresses of the ring, the header page (request header at
    /// 0, status byte at 16) and the bounce buffer.
    ring: u64,
    hdr: u64,
    bounce: u64,
    avail_idx: u16,
    used_idx: u16,
    capacity: u64,
    read_only: bool,
    /// Set when the device failed while a request was in flight: it may
    /// still own the buffers, so it is not trusted with them again.
    down: bool,
    requests: u32,
    /// Requests that took longer than SLOW_MS (DEV_IO_STATS_TIMEOUTS).
    slow: u32,
}

fn outb(port: u16, v: u8) {
    // SAFETY: a register of the device's own I/O BAR.
    unsafe { Port::<u8>::new(port).write(v) }
}
fn inb(port: u16) -> u8 {
    // SAFETY: as above; reading the ISR also acknowledges the interrupt.
    unsafe { Port::<u8>::new(port).read() }
}
fn outw(port: u16, v: u16) {
    // SAFETY: as above.
    unsafe { Port::<u16>::new(port).write(v) }
}
fn inw(port: u16) -> u16 {
    // SAFETY: as above.
    unsafe { Port::<u16>::new(port).read() }
}
fn outl(port: u16, v: u32) {
    // SAFETY: as above.
    unsafe { Port::<u32>::new(port).write(v) }
}
fn inl(port: u16) -> u32 {
    // SAFETY: as above.
    unsafe { Port::<u32>::new(port).read() }
}

/// Byte offsets of the ring's parts for a queue of `n` (legacy layout:
/// descriptors, available ring, then the used ring on the next page).
fn avail_off(n: u16) -> usize {
    16 * n as usize
}
fn used_off(n: u16) -> usize {
    (avail_off(n) + 6 + 2 * n as usize).next_multiple_of(PAGE)
}
fn ring_pages(n: u16) -> usize {
    (used_off(n) + 6 + 8 * n as usize).div_ceil(PAGE)
}

fn write_mem<T>(pa: u64, v: T) {
    // SAFETY: pa is inside memory this driver allocated for DMA, reached
    // through the physmap; volatile because the device reads it.
    unsafe { core::ptr::write_volatile(phys_to_virt(pa) as *mut T, v) }
}
fn read_mem<T>(pa: u64) -> T {
    // SAFETY: as in write_mem; the device writes this memory.
    unsafe { core::ptr::read_volatile(phys_to_virt(pa) as *const T) }
}

fn zero_frames(pa: u64, pages: usize) {
    // SAFETY: freshly allocated frames of ours, through the physmap.
    unsafe { core::ptr::write_bytes(phys_to_virt(pa) as *mut u8, 0, pages * PAGE) }
}

fn alloc_dma(pages: usize) -> Result<u64, &'static str> {
    let pa = resident::alloc_contiguous(pages).ok_or("no contiguous memory for the virtqueue")?;
    zero_frames(pa, pages);
    Ok(pa)
}

impl VirtioBlk {
    /// Resets the device at I/O base `io` (disk `n`) and sets up its one queue.
    pub fn init(io: u16, n: usize) -> Result<VirtioBlk, &'static str> {
        outb(io + REG_STATUS, 0);
        outb(io + REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
        let features = inl(io + REG_HOST_FEATURES);
        outl(io + REG_GUEST_FEATURES, features & FEATURE_RO);
        outw(io + REG_QUEUE_SELECT, 0);
        let qsize = inw(io + REG_QUEUE_SIZE);
        if qsize < 3 || qsize > QUEUE_MAX {
            outb(io + REG_STATUS, STATUS_FAILED);
            return Err("virtqueue 0 has an unusable size");
        }
        let ring = alloc_dma(ring_pages(qsize))?;
        let hdr = alloc_dma(1)?;
        let bounce = alloc_dma(BOUNCE_PAGES)?;
        outl(io + REG_QUEUE_PFN, (ring / PAGE as u64) as u32);
        let capacity = inl(io + REG_CAPACITY) as u64 | (inl(io + REG_CAPACITY + 4) as u64) << 32;
        outb(io + REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_DRIVER_OK);
        ISR_BASE[n].store(io, Ordering::Relaxed);
        Ok(VirtioBlk {
            io, qsize, ring, hdr, bounce, avail_idx: 0, used_idx: 0, capacity,
            read_only: features & FEATURE_RO != 0, down: false, requests: 0, slow: 0,
        })
    }

    fn set_desc(&self, i: u16, addr: u64, len: u32, flags: u16, next: u16) {
        let d = self.ring + 16 * i as u64;
        write_mem(d, addr);
        write_mem(d + 8, len);
        write_mem(d + 12, flags);
        write_mem(d + 14, next);
    }

    /// Puts descriptor chain 0 on the available ring and tells the device.
    fn submit(&mut self) {
        let avail = self.ring + avail_off(self.qsize) as u64;
        let slot = self.avail_idx % self.qsize;
        write_mem(avail + 4 + 2 * slot as u64, 0u16);
        fence(Ordering::SeqCst); // the entry before the index that shows it
        self.avail_idx = self.avail_idx.wrapping_add(1);
        write_mem(avail + 2, self.avail_idx);
        fence(Ordering::SeqCst); // the index before the notification
        outw(self.io + REG_QUEUE_NOTIFY, 0);
    }

    /// Waits for the used ring to move, halted between checks. A slow
    /// device is not a dead one: under -icount (guest time leaps while the
    /// CPU halts) or on a loaded host a request can take seconds of guest
    /// time. So past SLOW_MS the wait logs (the first time) and goes on,
    /// checking the device's status every SLOW_MS; only a device
    /// that reports an error (FAILED in its status, or all-ones: gone from
    /// the bus) or resets itself (DRIVER_OK dropped) is taken down.
    fn wait(&mut self, sector: u64) -> Result<(), KernReturn> {
        let used = self.ring + used_off(self.qsize) as u64;
        let start = crate::kern::clock::ticks();
        let mut mark = crate::kern::clock::deadline_after_ms(SLOW_MS);
        let mut slow = false;
        loop {
            fence(Ordering::SeqCst);
            if read_mem::<u16>(used + 2) != self.used_idx {
                self.used_idx = self.used_idx.wrapping_add(1);
                self.requests = self.requests.wrapping_add(1);
                if slow {
                    crate::kdebug!("virtio-blk: sector {} answered after {} ticks", sector,
                                   crate::kern::clock::ticks() - start);
                }
                return Ok(());
            }
            if crate::kern::clock::ticks() >= mark {
                if let Err(why) = self.check_alive() {
                    crate::kwarn!("virtio-blk: {}; device taken down", why);
                    self.down = true;
                    return Err(D_DEVICE_DOWN);
                }
                if !slow {
                    // Said once per boot; DEV_GET_IO_STATS counts them all.
                    if self.slow == 0 {
                        crate::kwarn!("virtio-blk: sector {} not answered in {} ms; still waiting (a slow host, \
                                       not a dead disk; later slow requests are only counted)", sector, SLOW_MS);
                    } else {
                        crate::kdebug!("virtio-blk: sector {} not answered in {} ms; still waiting", sector, SLOW_MS);
                    }
                    self.slow += 1;
                    slow = true;
                }
                mark = crate::kern::clock::deadline_after_ms(SLOW_MS);
            }
            crate::arch::cpu::idle_wait();
        }
    }

    /// A device error, read from the status register.
    fn check_alive(&self) -> Result<(), &'static str> {
        let st = inb(self.io + REG_STATUS);
        if st == 0xff {
            Err("the device is gone (status reads all ones)")
        } else if st & STATUS_FAILED != 0 {
            Err("the device reports FAILED")
        } else if st & STATUS_DRIVER_OK == 0 {
            Err("the device reset itself")
        } else {
            Ok(())
        }
    }

    /// One request of `len` bytes at `sector` through the bounce buffer.
    fn request(&mut self, write: bool, sector: u64, len: usize) -> Result<(), KernReturn> {
        if self.down {
            return Err(D_DEVICE_DOWN);
        }
        write_mem(self.hdr, if write { REQ_OUT } else { REQ_IN });
        write_mem(self.hdr + 4, 0u32);
        write_mem(self.hdr + 8, sector);
        write_mem(self.hdr + 16, 0xffu8);
        let data_flags = DESC_NEXT | if write { 0 } else { DESC_WRITE };
        self.set_desc(0, self.hdr, 16, DESC_NEXT, 1);
        self.set_desc(1, self.bounce, len as u32, data_flags, 2);
        self.set_desc(2, self.hdr + 16, 1, DESC_WRITE, 0);
        self.submit();
        self.wait(sector)?;
        match read_mem::<u8>(self.hdr + 16) {
            0 => Ok(()),
            _ => Err(D_IO_ERROR),
        }
    }

    fn bounce_slice(&mut self, len: usize) -> &mut [u8] {
        // SAFETY: the bounce buffer is BOUNCE_BYTES of our own frames, not
        // in the device's hands between requests (one at a time).
        unsafe { core::slice::from_raw_parts_mut(phys_to_virt(self.bounce) as *mut u8, len) }
    }
}

impl BlockDriver for VirtioBlk {
    fn records(&self) -> u64 {
        self.capacity
    }
    fn read_only(&self) -> bool {
        self.read_only
    }
    fn max_transfer(&self) -> usize {
        BOUNCE_BYTES
    }
    fn read(&mut self, recnum: u64, buf: &mut [u8]) -> Result<(), KernReturn> {
        self.request(false, recnum, buf.len())?;
        buf.copy_from_slice(self.bounce_slice(buf.len()));
        Ok(())
    }
    fn write(&mut self, recnum: u64, buf: &[u8]) -> Result<(), KernReturn> {
        self.bounce_slice(buf.len()).copy_from_slice(buf);
        self.request(true, recnum, buf.len())
    }
    fn io_stats(&self) -> [u32; 3] {
        [self.requests, INTERRUPTS.load(Ordering::Relaxed), self.slow]
    }
}

/// The device's interrupt: reading the ISR lowers the (level) line; the
/// waiter sees the used ring when it wakes.
pub fn interrupt(n: usize) -> bool {
    let io = ISR_BASE[n].load(Ordering::Relaxed);
    let mine = io != 0 && inb(io + REG_ISR) & 1 != 0;
    if mine {
        INTERRUPTS.fetch_add(1, Ordering::Relaxed);
    }
    mine
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_layout_matches_the_legacy_spec() {
        // QEMU's default queue of 256: 4 KiB of descriptors, the available
        // ring on the next page, the used ring on the page after.
        assert_eq!(avail_off(256), 4096);
        assert_eq!(used_off(256), 8192);
        assert_eq!(ring_pages(256), 3);
        assert_eq!(used_off(8), 4096);
        assert_eq!(ring_pages(8), 2);
    }
}
