//! Devices the kernel drives itself. Mach offers them to tasks as device
//! ports; for now the console is the kernel's own output.

pub mod cons;

/// A hardware interrupt line other than the clock fired.
pub fn interrupt(irq: u8) {
    if irq == crate::arch::serial::IRQ {
        return cons::input_interrupt();
    }
    crate::kdebug!("unclaimed irq {}", irq);
}
