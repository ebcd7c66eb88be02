//! Devices the kernel drives itself, offered to tasks as Mach device
//! ports: the console (the kernel's own output for now) and the disks
//! found on the PCI bus at boot (`blk`, `virtio_blk`), opened by name on
//! the device master port (`server`).

pub mod blk;
pub mod cons;
pub mod pci;
pub mod server;
pub mod virtio_blk;

use core::sync::atomic::{AtomicU8, Ordering};

/// The disks' interrupt lines (0xff: none).
static DISK_IRQ: [AtomicU8; virtio_blk::MAX_DISKS] = [AtomicU8::new(0xff), AtomicU8::new(0xff)];

/// Device names, by the order the disks are found on the bus: the first
/// is the root disk, the second the swap disk the default pager uses.
const NAMES: [&[&str]; virtio_blk::MAX_DISKS] = [&["hd0", "disk0"], &["hd1", "disk1"]];

/// Probes the PCI bus for disks; a disk that fails to come up is
/// reported and left out, never fatal.
pub fn init() {
    for n in 0..virtio_blk::MAX_DISKS {
        if !probe(n) {
            break;
        }
    }
}

/// Brings up the `n`th virtio disk; false when there is none.
fn probe(n: usize) -> bool {
    let Some(addr) = pci::find_nth(virtio_blk::VENDOR, &virtio_blk::DEVICE_IDS, Some(virtio_blk::SUBSYSTEM_BLOCK), n) else {
        if n == 0 {
            crate::kinfo!("no virtio disk");
        }
        return false;
    };
    let name = NAMES[n][0];
    let Some(io) = addr.io_bar(0) else {
        crate::kwarn!("virtio-blk at {:?}: BAR0 is not an I/O BAR (modern-only device?)", addr);
        return true;
    };
    addr.enable(pci::COMMAND_IO | pci::COMMAND_BUS_MASTER);
    match virtio_blk::VirtioBlk::init(io, n) {
        Ok(d) => {
            use blk::BlockDriver;
            crate::kinfo!("{}: virtio-blk at {:?}, io {:#x}, irq {:?}, {} records of 512 bytes{}", name, addr, io, addr.irq_line(),
                          d.records(), if d.read_only() { ", read-only" } else { "" });
            blk::register(NAMES[n], alloc::boxed::Box::new(d));
            if let Some(irq) = addr.irq_line() {
                DISK_IRQ[n].store(irq, Ordering::Relaxed);
                crate::arch::timer::unmask_irq(irq);
            }
        }
        Err(e) => crate::kwarn!("virtio-blk at {:?}: {}", addr, e),
    }
    true
}

/// A hardware interrupt line other than the clock fired.
pub fn interrupt(irq: u8) {
    // Disks may share a line: each one's ISR says whether it was its.
    let mut mine = false;
    for (n, line) in DISK_IRQ.iter().enumerate() {
        if irq == line.load(Ordering::Relaxed) {
            mine |= virtio_blk::interrupt(n);
        }
    }
    if mine {
        return;
    }
    if irq == crate::arch::serial::IRQ {
        return cons::input_interrupt();
    }
    crate::kdebug!("unclaimed irq {}", irq);
}
