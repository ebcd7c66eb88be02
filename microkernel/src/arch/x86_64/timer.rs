//! The clock: the 8254 PIT at HZ through the 8259 PIC, remapped above the
//! exception vectors. One CPU for now; the local APIC timer replaces this
//! when more CPUs come up.

use x86_64::instructions::port::Port;

pub const HZ: u64 = 100;
pub const IRQ_BASE: u8 = 32;
pub const TIMER_VECTOR: u8 = IRQ_BASE;
const PIT_FREQ: u64 = 1_193_182;

pub fn init() {
    // SAFETY: programming the standard PC interrupt controllers and timer:
    // ICW1-4 remap the PICs to vectors 32-47, then all lines but IRQ0 (the
    // clock) and IRQ4 (the console's input) are masked and PIT channel 0
    // runs in rate-generator mode.
    unsafe {
        let mut m_cmd = Port::<u8>::new(0x20);
        let mut m_data = Port::<u8>::new(0x21);
        let mut s_cmd = Port::<u8>::new(0xa0);
        let mut s_data = Port::<u8>::new(0xa1);
        m_cmd.write(0x11);
        s_cmd.write(0x11);
        m_data.write(IRQ_BASE);
        s_data.write(IRQ_BASE + 8);
        m_data.write(4);
        s_data.write(2);
        m_data.write(1);
        s_data.write(1);
        m_data.write(0xee);
        s_data.write(0xff);

        let div = (PIT_FREQ / HZ) as u16;
        Port::<u8>::new(0x43).write(0x34);
        let mut ch0 = Port::<u8>::new(0x40);
        ch0.write(div as u8);
        ch0.write((div >> 8) as u8);
    }
}

/// Acknowledges an interrupt at the PIC.
pub fn eoi(vector: u8) {
    // SAFETY: a non-specific EOI to the PIC(s) that raised the interrupt.
    unsafe {
        if vector >= IRQ_BASE + 8 {
            Port::<u8>::new(0xa0).write(0x20);
        }
        Port::<u8>::new(0x20).write(0x20);
    }
}

/// Lets interrupt line `irq` (0-15) through the PICs (and the cascade,
/// line 2, for the second one).
pub fn unmask_irq(irq: u8) {
    // SAFETY: read-modify-write of the PICs' mask registers.
    unsafe {
        let mut m_data = Port::<u8>::new(0x21);
        let mut s_data = Port::<u8>::new(0xa1);
        if irq < 8 {
            let m = m_data.read();
            m_data.write(m & !(1 << irq));
        } else {
            let s = s_data.read();
            s_data.write(s & !(1 << (irq - 8)));
            let m = m_data.read();
            m_data.write(m & !(1 << 2));
        }
    }
}

/// The TSC's rate in Hz, measured against PIT channel 2 over 2 ms at boot
/// (with the speaker off). Under QEMU's -icount shift=0 this comes out at
/// 1 GHz: one tick per guest instruction.
pub fn calibrate_tsc() -> u64 {
    const LATCH: u64 = PIT_FREQ / 500; // 2 ms
    // SAFETY: port 0x61 bit 0 gates PIT channel 2 and bit 1 drives the
    // speaker (kept off); channel 2 counts down once in mode 0 and its
    // output shows in 0x61 bit 5 when it reaches zero.
    unsafe {
        let mut gate = Port::<u8>::new(0x61);
        let g = gate.read();
        gate.write((g & !0x02) | 0x01);
        Port::<u8>::new(0x43).write(0xb0);
        let mut ch2 = Port::<u8>::new(0x42);
        ch2.write(LATCH as u8);
        ch2.write((LATCH >> 8) as u8);
        let t0 = super::cpu::read_tsc();
        let mut spins = 0u64;
        while gate.read() & 0x20 == 0 && spins < 100_000_000 {
            spins += 1;
        }
        let t1 = super::cpu::read_tsc();
        gate.write(g);
        (t1 - t0) * (PIT_FREQ / LATCH)
    }
}
