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

/// The disk's interrupt line (0xff: none).
static DISK_IRQ: AtomicU8 = AtomicU8::new(0xff);

/// Probes the PCI bus for disks; a disk that fails to come up is
/// reported and left out, never fatal.
pub fn init() {
    let Some(addr) = pci::find(virtio_blk::VENDOR, &virtio_blk::DEVICE_IDS, Some(virtio_blk::SUBSYSTEM_BLOCK)) else {
        crate::kinfo!("no virtio disk");
        return;
    };
    let Some(io) = addr.io_bar(0) else {
        crate::kwarn!("virtio-blk at {:?}: BAR0 is not an I/O BAR (modern-only device?)", addr);
        return;
    };
    addr.enable(pci::COMMAND_IO | pci::COMMAND_BUS_MASTER);
    match virtio_blk::VirtioBlk::init(io) {
        Ok(d) => {
            use blk::BlockDriver;
            crate::kinfo!("hd0: virtio-blk at {:?}, io {:#x}, irq {:?}, {} records of 512 bytes{}", addr, io, addr.irq_line(),
                          d.records(), if d.read_only() { ", read-only" } else { "" });
            blk::register(&["hd0", "disk0"], alloc::boxed::Box::new(d));
            if let Some(irq) = addr.irq_line() {
                DISK_IRQ.store(irq, Ordering::Relaxed);
                crate::arch::timer::unmask_irq(irq);
            }
        }
        Err(e) => crate::kwarn!("virtio-blk at {:?}: {}", addr, e),
    }
}

/// A hardware interrupt line other than the clock fired.
pub fn interrupt(irq: u8) {
    if irq == DISK_IRQ.load(Ordering::Relaxed) && virtio_blk::interrupt() {
        return;
    }
    if irq == crate::arch::serial::IRQ {
        return cons::input_interrupt();
    }
    crate::kdebug!("unclaimed irq {}", irq);
}
