//! The block device the file system lives on.

use crate::error::{Error, Result};
use alloc::vec;
use alloc::vec::Vec;

/// A disk addressed in fixed-size blocks (512 bytes or a larger power of
/// two). Buffers passed in are always a whole number of blocks long.
pub trait BlockDevice {
    /// Size of one block in bytes.
    fn block_size(&self) -> usize;
    /// Number of blocks on the device.
    fn num_blocks(&self) -> u64;
    /// Reads `buf.len() / block_size()` blocks starting at `lba`.
    fn read_blocks(&mut self, lba: u64, buf: &mut [u8]) -> Result<()>;
    /// Writes `buf.len() / block_size()` blocks starting at `lba`.
    fn write_blocks(&mut self, lba: u64, buf: &[u8]) -> Result<()>;
    /// Makes earlier writes durable (e.g. a virtio flush).
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A RAM disk: for tests and for building images on the host.
#[derive(Clone, Debug)]
pub struct MemDevice {
    data: Vec<u8>,
    block_size: usize,
}

impl MemDevice {
    /// A zero-filled device of `bytes` bytes (rounded down to whole blocks).
    pub fn new(bytes: usize) -> Self {
        Self::from_vec(vec![0; bytes])
    }

    /// Wraps an existing image, using 512-byte blocks.
    pub fn from_vec(mut data: Vec<u8>) -> Self {
        data.truncate(data.len() / 512 * 512);
        MemDevice { data, block_size: 512 }
    }

    /// The image bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.data
    }

    /// Gives the image back.
    pub fn into_inner(self) -> Vec<u8> {
        self.data
    }

    fn range(&self, lba: u64, len: usize) -> Result<core::ops::Range<usize>> {
        if !len.is_multiple_of(self.block_size) {
            return Err(Error::Io);
        }
        let start = usize::try_from(lba).map_err(|_| Error::Io)?;
        let start = start.checked_mul(self.block_size).ok_or(Error::Io)?;
        let end = start.checked_add(len).ok_or(Error::Io)?;
        if end > self.data.len() {
            return Err(Error::Io);
        }
        Ok(start..end)
    }
}

impl BlockDevice for MemDevice {
    fn block_size(&self) -> usize {
        self.block_size
    }
    fn num_blocks(&self) -> u64 {
        (self.data.len() / self.block_size) as u64
    }
    fn read_blocks(&mut self, lba: u64, buf: &mut [u8]) -> Result<()> {
        let r = self.range(lba, buf.len())?;
        buf.copy_from_slice(&self.data[r]);
        Ok(())
    }
    fn write_blocks(&mut self, lba: u64, buf: &[u8]) -> Result<()> {
        let r = self.range(lba, buf.len())?;
        self.data[r].copy_from_slice(buf);
        Ok(())
    }
}

/// The device seen in file-system sectors (`bytes_per_sector` from the BPB),
/// which may be a multiple of the device block size.
pub(crate) struct SectorDev<D: BlockDevice> {
    pub dev: D,
    /// Device blocks per file-system sector.
    ratio: u64,
    pub sector_size: usize,
}

impl<D: BlockDevice> SectorDev<D> {
    pub fn new(dev: D, sector_size: usize) -> Result<Self> {
        let bs = dev.block_size();
        if bs == 0 || !sector_size.is_multiple_of(bs) {
            return Err(Error::Unsupported);
        }
        let ratio = (sector_size / bs) as u64;
        Ok(SectorDev { dev, ratio, sector_size })
    }

    pub fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<()> {
        let lba = sector.checked_mul(self.ratio).ok_or(Error::Io)?;
        self.dev.read_blocks(lba, buf)
    }

    pub fn write(&mut self, sector: u64, buf: &[u8]) -> Result<()> {
        let lba = sector.checked_mul(self.ratio).ok_or(Error::Io)?;
        self.dev.write_blocks(lba, buf)
    }
}
