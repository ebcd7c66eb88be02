//! The block device the file system lives on: the same shape as
//! `fat32::BlockDevice`, so the UNIX server's `Disk` (512-byte records
//! through the device port and its chunk cache) implements both alike.

use crate::error::{Error, Result};
use alloc::vec;
use alloc::vec::Vec;

/// A disk addressed in fixed-size blocks (512 bytes or a larger power of
/// two that divides the file-system block size). Buffers passed in are
/// always a whole number of blocks long.
pub trait BlockDevice {
    /// Size of one device block in bytes.
    fn block_size(&self) -> usize;
    /// Number of device blocks.
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

/// A RAM disk of 512-byte blocks: for tests and for building images on the host.
#[derive(Clone, Debug)]
pub struct MemDevice {
    data: Vec<u8>,
}

impl MemDevice {
    /// A zero-filled device of `bytes` bytes (rounded down to whole blocks).
    pub fn new(bytes: usize) -> Self {
        Self::from_vec(vec![0; bytes])
    }

    /// Wraps an existing image.
    pub fn from_vec(mut data: Vec<u8>) -> Self {
        data.truncate(data.len() / 512 * 512);
        MemDevice { data }
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
        if !len.is_multiple_of(512) {
            return Err(Error::Io);
        }
        let start = usize::try_from(lba).map_err(|_| Error::Io)?;
        let start = start.checked_mul(512).ok_or(Error::Io)?;
        let end = start.checked_add(len).ok_or(Error::Io)?;
        if end > self.data.len() {
            return Err(Error::Io);
        }
        Ok(start..end)
    }
}

impl BlockDevice for MemDevice {
    fn block_size(&self) -> usize {
        512
    }
    fn num_blocks(&self) -> u64 {
        (self.data.len() / 512) as u64
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
