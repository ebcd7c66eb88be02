//! The COM1 UART: the kernel console. Output is polled; input raises
//! IRQ4 (received data available) for the console's reader.

use x86_64::instructions::port::Port;

const COM1: u16 = 0x3f8;
/// COM1's interrupt line at the PIC.
pub const IRQ: u8 = 4;

/// Programs the UART. Returns a byte that was already waiting: turning
/// the FIFOs on discards the receive buffer, and input typed (or piped)
/// before boot sits there.
pub fn init() -> Option<u8> {
    let early = try_get_byte();
    // SAFETY: COM1 is a standard ISA device on every PC QEMU emulates; these
    // writes program 115200 8N1 with the FIFOs off (switching them on or
    // off discards received bytes, and with one holding register QEMU
    // keeps the rest of the input until it is read, so none is lost),
    // then the receive interrupt (OUT2 in the modem control register
    // gates it to the PIC).
    unsafe {
        Port::<u8>::new(COM1 + 1).write(0x00);
        Port::<u8>::new(COM1 + 3).write(0x80);
        Port::<u8>::new(COM1).write(0x01);
        Port::<u8>::new(COM1 + 1).write(0x00);
        Port::<u8>::new(COM1 + 3).write(0x03);
        Port::<u8>::new(COM1 + 2).write(0x00);
        Port::<u8>::new(COM1 + 4).write(0x0B);
        Port::<u8>::new(COM1 + 1).write(0x01);
    }
    early
}

pub fn put_byte(b: u8) {
    // SAFETY: reading the line status and writing the data register of COM1.
    unsafe {
        let mut lsr = Port::<u8>::new(COM1 + 5);
        while lsr.read() & 0x20 == 0 {}
        Port::<u8>::new(COM1).write(b);
    }
}

/// A received byte, if one is waiting.
pub fn try_get_byte() -> Option<u8> {
    // SAFETY: reading COM1's line status and data registers.
    unsafe {
        if Port::<u8>::new(COM1 + 5).read() & 1 != 0 {
            Some(Port::<u8>::new(COM1).read())
        } else {
            None
        }
    }
}

pub fn write_bytes(s: &[u8]) {
    for &b in s {
        if b == b'\n' {
            put_byte(b'\r');
        }
        put_byte(b);
    }
}
