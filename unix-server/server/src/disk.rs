//! The root disk as a `fat32::BlockDevice` over the kernel's Mach device
//! port (`hd0`). Every device request is an RPC, so reads go through a
//! small cache of whole chunks (read ahead: the FAT and directories are
//! read a sector at a time); writes go through to the device at once and
//! update the cached copy, so nothing is lost at power-off beyond what
//! the file system itself still holds.

use alloc::vec;
use alloc::vec::Vec;
use fat32::{BlockDevice, Error};
use mach::defs::device::*;
use mach::defs::task::task_get_special_port;
use mach::message::OolDescriptor;
use mach::port::PortName;
use machrt::rpc::Kernel;

const RECORD: usize = 512;
/// Records per cached chunk (64 KiB).
const CHUNK: u64 = 128;
/// Chunks kept (1 MiB).
const CACHED: usize = 16;
/// The kernel's limit per device request, in records.
const MAX_IO: u64 = (DEVICE_IO_MAX as u64) / RECORD as u64;

pub struct Disk {
    port: PortName,
    records: u64,
    /// (first record of the chunk, its bytes), most recent last.
    chunks: Vec<(u64, Vec<u8>)>,
}

impl Disk {
    /// hd0, if the machine has one.
    pub fn open() -> Option<Disk> {
        let me = machrt::trap::task_self();
        let master = { task_get_special_port::call(&Kernel, me, TASK_DEVICE_MASTER_PORT).ok()?.port }.name;
        let port = { device_open::call(&Kernel, master, D_READ | D_WRITE, dev_name("hd0")).ok()?.device }.name;
        let st = { device_get_status::call(&Kernel, port, DEV_GET_SIZE).ok()?.status };
        if st[DEV_GET_SIZE_RECORD_SIZE] as usize != RECORD {
            return None;
        }
        Some(Disk { port, records: st[DEV_GET_SIZE_RECORDS] as u64, chunks: Vec::new() })
    }

    fn device_read(&self, rec: u64, buf: &mut [u8]) -> fat32::Result<()> {
        let r = device_read::call(&Kernel, self.port, D_READ, rec, buf.len() as u32).map_err(|_| Error::Io)?;
        let d = { r.data };
        if d.size as usize != buf.len() {
            machrt::vm::vm_deallocate(d.address, d.size as u64);
            return Err(Error::Io);
        }
        // SAFETY: the reply mapped `size` bytes of data at `address` here.
        let src = unsafe { core::slice::from_raw_parts(d.address as *const u8, d.size as usize) };
        buf.copy_from_slice(src);
        machrt::vm::vm_deallocate(d.address, d.size as u64);
        Ok(())
    }

    /// The cached chunk starting at record `start`, read in if missing.
    fn chunk(&mut self, start: u64) -> fat32::Result<&[u8]> {
        if let Some(i) = self.chunks.iter().position(|c| c.0 == start) {
            let c = self.chunks.remove(i);
            self.chunks.push(c);
        } else {
            let n = CHUNK.min(self.records - start) as usize;
            let mut b = vec![0u8; n * RECORD];
            self.device_read(start, &mut b)?;
            if self.chunks.len() >= CACHED {
                self.chunks.remove(0);
            }
            self.chunks.push((start, b));
        }
        Ok(&self.chunks.last().ok_or(Error::Io)?.1)
    }

    fn check(&self, lba: u64, len: usize) -> fat32::Result<u64> {
        let n = (len / RECORD) as u64;
        if len % RECORD != 0 || lba.checked_add(n).is_none_or(|e| e > self.records) {
            return Err(Error::Io);
        }
        Ok(n)
    }
}

impl BlockDevice for Disk {
    fn block_size(&self) -> usize {
        RECORD
    }

    fn num_blocks(&self) -> u64 {
        self.records
    }

    fn read_blocks(&mut self, lba: u64, buf: &mut [u8]) -> fat32::Result<()> {
        let n = self.check(lba, buf.len())?;
        // Big transfers (file data) go straight to the device.
        if n > CHUNK {
            for (i, part) in buf.chunks_mut(MAX_IO as usize * RECORD).enumerate() {
                self.device_read(lba + i as u64 * MAX_IO, part)?;
            }
            return Ok(());
        }
        let mut done = 0u64;
        while done < n {
            let rec = lba + done;
            let start = rec - rec % CHUNK;
            let take = (start + CHUNK - rec).min(n - done);
            let c = self.chunk(start)?;
            let from = ((rec - start) as usize) * RECORD;
            let to = (done as usize) * RECORD;
            buf[to..to + take as usize * RECORD].copy_from_slice(&c[from..from + take as usize * RECORD]);
            done += take;
        }
        Ok(())
    }

    fn write_blocks(&mut self, lba: u64, buf: &[u8]) -> fat32::Result<()> {
        let n = self.check(lba, buf.len())?;
        for (i, part) in buf.chunks(MAX_IO as usize * RECORD).enumerate() {
            let ool = OolDescriptor::new(part.as_ptr() as u64, part.len() as u32, false);
            let r = device_write::call(&Kernel, self.port, ool, D_WRITE, lba + i as u64 * MAX_IO).map_err(|_| Error::Io)?;
            if r.bytes_written as usize != part.len() {
                return Err(Error::Io);
            }
        }
        // Keep cached copies true.
        for (start, bytes) in self.chunks.iter_mut() {
            let cend = *start + (bytes.len() / RECORD) as u64;
            let (lo, hi) = (lba.max(*start), (lba + n).min(cend));
            if lo < hi {
                let src = &buf[((lo - lba) as usize) * RECORD..((hi - lba) as usize) * RECORD];
                bytes[((lo - *start) as usize) * RECORD..((hi - *start) as usize) * RECORD].copy_from_slice(src);
            }
        }
        Ok(())
    }
}
