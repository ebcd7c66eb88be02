//! The CMOS real-time clock, read once at boot for the wall-clock base.

use x86_64::instructions::port::Port;

fn cmos(reg: u8) -> u8 {
    // SAFETY: selecting and reading a CMOS register (with NMI left
    // enabled) has no other effect.
    unsafe {
        Port::<u8>::new(0x70).write(reg);
        Port::<u8>::new(0x71).read()
    }
}

fn updating() -> bool {
    cmos(0x0a) & 0x80 != 0
}

/// (year, month, day, hour, minute, second) as the RTC keeps them in UTC.
pub fn read() -> (u32, u32, u32, u32, u32, u32) {
    while updating() {}
    let raw = [cmos(0x00), cmos(0x02), cmos(0x04), cmos(0x07), cmos(0x08), cmos(0x09), cmos(0x32)];
    let binary = cmos(0x0b) & 0x04 != 0;
    let v = |b: u8| if binary { b as u32 } else { ((b >> 4) * 10 + (b & 0x0f)) as u32 };
    let century = if raw[6] == 0 { 20 } else { v(raw[6]) };
    (century * 100 + v(raw[5]), v(raw[4]), v(raw[3]), v(raw[2] & 0x7f), v(raw[1]), v(raw[0]))
}
