//! The root disk as a `blockdev::BlockDevice` (what fat32 and ext2 mount) over the kernel's Mach device
//! port (`hd0`). Every device request is an RPC, so the disk is seen
//! through a write-back cache of whole 64 KiB chunks: reads fill chunks,
//! writes change cached chunks and mark them dirty, and dirty chunks go to
//! the device when they are evicted and on `flush` — which the file
//! system calls on sync, fsync and unmount (power-off unmounts), so what a
//! program synced, and everything at a clean shutdown, is on the disk.

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;
use blockdev::{BlockDevice, IoError};
use mach::defs::device::*;
use mach::defs::task::task_get_special_port;
use mach::message::OolDescriptor;
use mach::port::PortName;
use machrt::rpc::Kernel;

const RECORD: usize = 512;
/// Records per cached chunk (64 KiB).
const CHUNK: u64 = 128;
/// Chunks kept (16 MiB): the root's metadata and the files in use.
const CACHED: usize = 256;
/// The kernel's limit per device request, in records.
const MAX_IO: u64 = (DEVICE_IO_MAX as u64) / RECORD as u64;

struct Chunk {
    bytes: Vec<u8>,
    dirty: bool,
    /// Last use, for evicting the least recently used.
    used: u64,
}

/// The root file system's device: the disk, or — on a machine without
/// one — memory, so that /tmp and the like still exist (a tmpfs, in
/// effect; the programs then come from the boot modules).
pub enum Disk {
    Device(DeviceDisk),
    Ram(blockdev::MemDevice),
}

/// Size of the memory root: FAT32 needs 65525 clusters at least.
const RAM_ROOT_BYTES: usize = 40 << 20;

impl Disk {
    /// hd0, if the machine has one.
    pub fn open() -> Option<Disk> {
        DeviceDisk::open().map(Disk::Device)
    }

    /// A freshly formatted FAT32 volume in memory.
    pub fn ram() -> Option<Disk> {
        let dev = blockdev::MemDevice::new(RAM_ROOT_BYTES);
        fat32::format(dev, &fat32::FormatOptions::default()).ok().map(Disk::Ram)
    }
}

impl BlockDevice for Disk {
    fn block_size(&self) -> usize {
        match self {
            Disk::Device(d) => d.block_size(),
            Disk::Ram(m) => m.block_size(),
        }
    }
    fn num_blocks(&self) -> u64 {
        match self {
            Disk::Device(d) => d.num_blocks(),
            Disk::Ram(m) => m.num_blocks(),
        }
    }
    fn read_blocks(&mut self, lba: u64, buf: &mut [u8]) -> blockdev::Result<()> {
        match self {
            Disk::Device(d) => d.read_blocks(lba, buf),
            Disk::Ram(m) => m.read_blocks(lba, buf),
        }
    }
    fn write_blocks(&mut self, lba: u64, buf: &[u8]) -> blockdev::Result<()> {
        match self {
            Disk::Device(d) => d.write_blocks(lba, buf),
            Disk::Ram(m) => m.write_blocks(lba, buf),
        }
    }
    fn flush(&mut self) -> blockdev::Result<()> {
        match self {
            Disk::Device(d) => d.flush(),
            Disk::Ram(m) => m.flush(),
        }
    }
}

pub struct DeviceDisk {
    port: PortName,
    records: u64,
    /// Chunks by their first record.
    chunks: BTreeMap<u64, Chunk>,
    clock: u64,
}

impl DeviceDisk {
    /// hd0, if the machine has one.
    pub fn open() -> Option<DeviceDisk> {
        let me = machrt::trap::task_self();
        let master = { task_get_special_port::call(&Kernel, me, TASK_DEVICE_MASTER_PORT).ok()?.port }.name;
        let port = { device_open::call(&Kernel, master, D_READ | D_WRITE, dev_name("hd0")).ok()?.device }.name;
        let st = { device_get_status::call(&Kernel, port, DEV_GET_SIZE).ok()?.status };
        if st[DEV_GET_SIZE_RECORD_SIZE] as usize != RECORD {
            return None;
        }
        Some(DeviceDisk { port, records: st[DEV_GET_SIZE_RECORDS] as u64, chunks: BTreeMap::new(), clock: 0 })
    }

    fn device_read(&self, rec: u64, buf: &mut [u8]) -> blockdev::Result<()> {
        let r = device_read::call(&Kernel, self.port, D_READ, rec, buf.len() as u32).map_err(|_| IoError)?;
        let d = { r.data };
        if d.size as usize != buf.len() {
            machrt::vm::vm_deallocate(d.address, d.size as u64);
            return Err(IoError);
        }
        // SAFETY: the reply mapped `size` bytes of data at `address` here.
        let src = unsafe { core::slice::from_raw_parts(d.address as *const u8, d.size as usize) };
        buf.copy_from_slice(src);
        machrt::vm::vm_deallocate(d.address, d.size as u64);
        Ok(())
    }

    fn device_write(&self, rec: u64, buf: &[u8]) -> blockdev::Result<()> {
        for (i, part) in buf.chunks(MAX_IO as usize * RECORD).enumerate() {
            let ool = OolDescriptor::new(part.as_ptr() as u64, part.len() as u32, false);
            let r = device_write::call(&Kernel, self.port, ool, D_WRITE, rec + i as u64 * MAX_IO).map_err(|_| IoError)?;
            if r.bytes_written as usize != part.len() {
                return Err(IoError);
            }
        }
        Ok(())
    }

    /// Makes room for one more chunk: the least recently used goes,
    /// written back first if dirty.
    fn evict(&mut self) -> blockdev::Result<()> {
        if self.chunks.len() < CACHED {
            return Ok(());
        }
        let Some((&start, _)) = self.chunks.iter().min_by_key(|(_, c)| c.used) else { return Ok(()) };
        if let Some(c) = self.chunks.get(&start) {
            if c.dirty {
                self.device_write(start, &c.bytes)?;
            }
        }
        self.chunks.remove(&start);
        Ok(())
    }

    /// The cached chunk starting at record `start`, read in if missing
    /// (unless `whole`: the caller overwrites all of it).
    fn chunk(&mut self, start: u64, whole: bool) -> blockdev::Result<&mut Chunk> {
        self.clock += 1;
        let now = self.clock;
        if !self.chunks.contains_key(&start) {
            self.evict()?;
            let n = CHUNK.min(self.records - start) as usize;
            let mut bytes = vec![0u8; n * RECORD];
            if !whole {
                self.device_read(start, &mut bytes)?;
            }
            self.chunks.insert(start, Chunk { bytes, dirty: false, used: now });
        }
        let c = self.chunks.get_mut(&start).ok_or(IoError)?;
        c.used = now;
        Ok(c)
    }

    fn check(&self, lba: u64, len: usize) -> blockdev::Result<u64> {
        let n = (len / RECORD) as u64;
        if len % RECORD != 0 || lba.checked_add(n).is_none_or(|e| e > self.records) {
            return Err(IoError);
        }
        Ok(n)
    }

    /// Calls `f(chunk bytes range, buffer range, chunk)` for each piece of
    /// the records [lba, lba+n) as chunks cut them.
    fn pieces(&mut self, lba: u64, n: u64, writing: bool,
              mut f: impl FnMut(core::ops::Range<usize>, core::ops::Range<usize>, &mut Chunk)) -> blockdev::Result<()> {
        let mut done = 0u64;
        while done < n {
            let rec = lba + done;
            let start = rec - rec % CHUNK;
            let len = CHUNK.min(self.records - start);
            let take = (start + len - rec).min(n - done);
            let whole = writing && rec == start && take == len;
            let c = self.chunk(start, whole)?;
            let from = ((rec - start) as usize) * RECORD;
            let to = (done as usize) * RECORD;
            let bytes = take as usize * RECORD;
            f(from..from + bytes, to..to + bytes, c);
            done += take;
        }
        Ok(())
    }
}

impl BlockDevice for DeviceDisk {
    fn block_size(&self) -> usize {
        RECORD
    }

    fn num_blocks(&self) -> u64 {
        self.records
    }

    fn read_blocks(&mut self, lba: u64, buf: &mut [u8]) -> blockdev::Result<()> {
        let n = self.check(lba, buf.len())?;
        self.pieces(lba, n, false, |c, b, chunk| buf[b].copy_from_slice(&chunk.bytes[c]))
    }

    fn write_blocks(&mut self, lba: u64, buf: &[u8]) -> blockdev::Result<()> {
        let n = self.check(lba, buf.len())?;
        self.pieces(lba, n, true, |c, b, chunk| {
            chunk.bytes[c].copy_from_slice(&buf[b]);
            chunk.dirty = true;
        })
    }

    /// Writes every dirty chunk back, in disk order.
    fn flush(&mut self) -> blockdev::Result<()> {
        let dirty: Vec<u64> = self.chunks.iter().filter(|(_, c)| c.dirty).map(|(&s, _)| s).collect();
        for start in dirty {
            if let Some(c) = self.chunks.get(&start) {
                self.device_write(start, &c.bytes)?;
            }
            if let Some(c) = self.chunks.get_mut(&start) {
                c.dirty = false;
            }
        }
        Ok(())
    }
}
