//! Block devices independent of their hardware: the disks found at boot,
//! their names, and the checks every request passes before a driver sees
//! it (whole records, inside the disk, not absurdly large). Requests are
//! split into the driver's largest transfer.

use crate::ipc::port::{KObject, Port};
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use mach::defs::device::*;
use mach::kern_return::KernReturn;
use spin::{Mutex, Once};

/// Bytes in a record.
pub const RECORD: usize = 512;

/// What a disk driver does; `buf` is whole records, at most
/// `max_transfer` bytes, inside the disk (the caller checked).
pub trait BlockDriver: Send {
    fn records(&self) -> u64;
    fn read_only(&self) -> bool;
    fn max_transfer(&self) -> usize;
    fn read(&mut self, recnum: u64, buf: &mut [u8]) -> Result<(), KernReturn>;
    fn write(&mut self, recnum: u64, buf: &[u8]) -> Result<(), KernReturn>;
    /// DEV_GET_IO_STATS: requests, interrupts, slow requests.
    fn io_stats(&self) -> [u32; 3] {
        [0; 3]
    }
}

pub struct Disk {
    pub names: &'static [&'static str],
    records: u64,
    read_only: bool,
    driver: Mutex<Box<dyn BlockDriver>>,
    /// The device port, made at the first open.
    port: Once<Arc<Port>>,
    opens: Mutex<u32>,
}

static DISKS: Mutex<Vec<Arc<Disk>>> = Mutex::new(Vec::new());

/// Adds a disk found at boot; returns its index.
pub fn register(names: &'static [&'static str], driver: Box<dyn BlockDriver>) -> u32 {
    let disk = Disk {
        names, records: driver.records(), read_only: driver.read_only(),
        driver: Mutex::new(driver), port: Once::new(), opens: Mutex::new(0),
    };
    let mut disks = DISKS.lock();
    disks.push(Arc::new(disk));
    disks.len() as u32 - 1
}

pub fn by_index(i: u32) -> Option<Arc<Disk>> {
    DISKS.lock().get(i as usize).cloned()
}

/// The disk named `name` and its index.
pub fn lookup(name: &[u8]) -> Option<(u32, Arc<Disk>)> {
    let disks = DISKS.lock();
    let i = disks.iter().position(|d| d.names.iter().any(|n| n.as_bytes() == name))?;
    Some((i as u32, disks[i].clone()))
}

/// Checks a transfer of `bytes` from `recnum`: whole records, at most
/// DEVICE_IO_MAX, ending inside a disk of `records`.
pub fn check_transfer(records: u64, recnum: u64, bytes: u64) -> Result<(), KernReturn> {
    if bytes == 0 || bytes % RECORD as u64 != 0 || bytes > DEVICE_IO_MAX as u64 {
        return Err(D_INVALID_SIZE);
    }
    if recnum >= records {
        return Err(D_INVALID_RECNUM);
    }
    if recnum + bytes / RECORD as u64 > records {
        return Err(D_INVALID_SIZE);
    }
    Ok(())
}

impl Disk {
    pub fn records(&self) -> u64 {
        self.records
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    pub fn io_stats(&self) -> [u32; 3] {
        self.driver.lock().io_stats()
    }

    /// The device port (a kernel object naming disk `index`).
    pub fn port(&self, index: u32) -> &Arc<Port> {
        self.port.call_once(|| Port::new(KObject::Device(index)))
    }

    pub fn open(&self, mode: u32) -> Result<(), KernReturn> {
        if mode & D_WRITE != 0 && self.read_only {
            return Err(D_READ_ONLY);
        }
        *self.opens.lock() += 1;
        Ok(())
    }

    /// Closing a device not open is an error, as in Mach.
    pub fn close(&self) -> Result<(), KernReturn> {
        let mut n = self.opens.lock();
        *n = n.checked_sub(1).ok_or(D_INVALID_OPERATION)?;
        Ok(())
    }

    /// Reads `bytes` from `recnum` into a new buffer.
    pub fn read(&self, recnum: u64, bytes: u32) -> Result<Vec<u8>, KernReturn> {
        check_transfer(self.records, recnum, bytes as u64)?;
        let mut buf = Vec::new();
        buf.try_reserve_exact(bytes as usize).map_err(|_| D_NO_MEMORY)?;
        buf.resize(bytes as usize, 0);
        let mut d = self.driver.lock();
        let chunk = d.max_transfer();
        for (i, part) in buf.chunks_mut(chunk).enumerate() {
            d.read(recnum + (i * chunk / RECORD) as u64, part)?;
        }
        Ok(buf)
    }

    /// Reads into `buf` (whole records, at most a transfer's worth) from
    /// `recnum`.
    pub fn read_into(&self, recnum: u64, buf: &mut [u8]) -> Result<(), KernReturn> {
        check_transfer(self.records, recnum, buf.len() as u64)?;
        let mut d = self.driver.lock();
        let chunk = d.max_transfer();
        for (i, part) in buf.chunks_mut(chunk).enumerate() {
            d.read(recnum + (i * chunk / RECORD) as u64, part)?;
        }
        Ok(())
    }

    /// Writes `data` at `recnum`; returns the bytes written.
    pub fn write(&self, recnum: u64, data: &[u8]) -> Result<u32, KernReturn> {
        if self.read_only {
            return Err(D_READ_ONLY);
        }
        check_transfer(self.records, recnum, data.len() as u64)?;
        let mut d = self.driver.lock();
        let chunk = d.max_transfer();
        for (i, part) in data.chunks(chunk).enumerate() {
            d.write(recnum + (i * chunk / RECORD) as u64, part)?;
        }
        Ok(data.len() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfers_are_checked_before_the_driver() {
        assert_eq!(check_transfer(100, 0, 512), Ok(()));
        assert_eq!(check_transfer(100, 99, 512), Ok(()));
        assert_eq!(check_transfer(100, 100, 512), Err(D_INVALID_RECNUM));
        assert_eq!(check_transfer(100, u64::MAX, 512), Err(D_INVALID_RECNUM));
        assert_eq!(check_transfer(100, 99, 1024), Err(D_INVALID_SIZE));
        assert_eq!(check_transfer(100, 0, 0), Err(D_INVALID_SIZE));
        assert_eq!(check_transfer(100, 0, 100), Err(D_INVALID_SIZE));
        assert_eq!(check_transfer(u64::MAX, 0, DEVICE_IO_MAX as u64 + 512), Err(D_INVALID_SIZE));
    }

    struct Ram(Vec<u8>);
    impl BlockDriver for Ram {
        fn records(&self) -> u64 { (self.0.len() / RECORD) as u64 }
        fn read_only(&self) -> bool { false }
        fn max_transfer(&self) -> usize { 2 * RECORD }
        fn read(&mut self, r: u64, buf: &mut [u8]) -> Result<(), KernReturn> {
            assert!(buf.len() <= 2 * RECORD);
            let at = r as usize * RECORD;
            buf.copy_from_slice(&self.0[at..at + buf.len()]);
            Ok(())
        }
        fn write(&mut self, r: u64, buf: &[u8]) -> Result<(), KernReturn> {
            assert!(buf.len() <= 2 * RECORD);
            let at = r as usize * RECORD;
            self.0[at..at + buf.len()].copy_from_slice(buf);
            Ok(())
        }
    }

    #[test]
    fn requests_are_split_to_the_drivers_largest_transfer() {
        let d = Disk {
            names: &["ram0"], records: 16, read_only: false,
            driver: Mutex::new(Box::new(Ram(alloc::vec![0; 16 * RECORD]))),
            port: Once::new(), opens: Mutex::new(0),
        };
        let data: Vec<u8> = (0..5 * RECORD).map(|i| (i / RECORD) as u8 + 1).collect();
        assert_eq!(d.write(3, &data), Ok(5 * RECORD as u32));
        let back = d.read(2, 7 * RECORD as u32).unwrap();
        assert!(back[..RECORD].iter().all(|&b| b == 0));
        assert_eq!(&back[RECORD..6 * RECORD], &data[..]);
        assert_eq!(d.close(), Err(D_INVALID_OPERATION));
        assert_eq!(d.open(D_READ | D_WRITE), Ok(()));
        assert_eq!(d.close(), Ok(()));
    }
}
