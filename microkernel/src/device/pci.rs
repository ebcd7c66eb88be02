//! PCI configuration space through the PC's configuration mechanism #1
//! (address at port 0xCF8, data at 0xCFC), and a scan for a device by id.

use spin::Mutex;
use x86_64::instructions::port::Port;

const CONFIG_ADDRESS: u16 = 0xcf8;
const CONFIG_DATA: u16 = 0xcfc;

/// Configuration registers this kernel uses.
pub const REG_ID: u8 = 0x00;
pub const REG_COMMAND: u8 = 0x04;
pub const REG_HEADER: u8 = 0x0c;
pub const REG_BAR0: u8 = 0x10;
pub const REG_SUBSYSTEM: u8 = 0x2c;
pub const REG_INTERRUPT: u8 = 0x3c;

pub const COMMAND_IO: u32 = 1 << 0;
pub const COMMAND_BUS_MASTER: u32 = 1 << 2;

/// The address/data pair is one shared register: one access at a time.
static CONFIG: Mutex<()> = Mutex::new(());

/// A function on the bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PciAddr {
    pub bus: u8,
    pub dev: u8,
    pub func: u8,
}

impl PciAddr {
    fn address(self, reg: u8) -> u32 {
        0x8000_0000 | (self.bus as u32) << 16 | (self.dev as u32) << 11 | (self.func as u32) << 8 | (reg as u32 & 0xfc)
    }

    pub fn read(self, reg: u8) -> u32 {
        let _g = CONFIG.lock();
        // SAFETY: mechanism #1 accesses: select the register, then read it;
        // they touch only configuration space.
        unsafe {
            Port::<u32>::new(CONFIG_ADDRESS).write(self.address(reg));
            Port::<u32>::new(CONFIG_DATA).read()
        }
    }

    pub fn write(self, reg: u8, v: u32) {
        let _g = CONFIG.lock();
        // SAFETY: as in read; the caller picks a register it means to set.
        unsafe {
            Port::<u32>::new(CONFIG_ADDRESS).write(self.address(reg));
            Port::<u32>::new(CONFIG_DATA).write(v);
        }
    }

    /// The I/O port base of an I/O-space BAR, if BAR `n` is one.
    pub fn io_bar(self, n: u8) -> Option<u16> {
        let bar = self.read(REG_BAR0 + 4 * n);
        (bar & 1 == 1 && bar & !3 != 0).then_some((bar & 0xfffc) as u16)
    }

    /// The legacy interrupt line the firmware routed this function to.
    pub fn irq_line(self) -> Option<u8> {
        let line = self.read(REG_INTERRUPT) as u8;
        (line < 16).then_some(line)
    }

    pub fn enable(self, bits: u32) {
        let cmd = self.read(REG_COMMAND) & 0xffff;
        self.write(REG_COMMAND, cmd | bits);
    }
}

/// The first function with `vendor` and one of `devices`, and the subsystem
/// id `subsystem` (None: any).
pub fn find(vendor: u16, devices: &[u16], subsystem: Option<u16>) -> Option<PciAddr> {
    find_nth(vendor, devices, subsystem, 0)
}

/// `find`, skipping the first `n` such functions (bus order).
pub fn find_nth(vendor: u16, devices: &[u16], subsystem: Option<u16>, n: usize) -> Option<PciAddr> {
    let mut skip = n;
    for bus in 0..=255u8 {
        for dev in 0..32u8 {
            let f0 = PciAddr { bus, dev, func: 0 };
            if f0.read(REG_ID) & 0xffff == 0xffff {
                continue;
            }
            let funcs = if f0.read(REG_HEADER) & 0x0080_0000 != 0 { 8 } else { 1 };
            for func in 0..funcs {
                let a = PciAddr { bus, dev, func };
                if matches(a, vendor, devices, subsystem) {
                    if skip == 0 {
                        return Some(a);
                    }
                    skip -= 1;
                }
            }
        }
    }
    None
}

fn matches(a: PciAddr, vendor: u16, devices: &[u16], subsystem: Option<u16>) -> bool {
    let id = a.read(REG_ID);
    if id as u16 != vendor || !devices.contains(&((id >> 16) as u16)) {
        return false;
    }
    subsystem.is_none_or(|s| (a.read(REG_SUBSYSTEM) >> 16) as u16 == s)
}
