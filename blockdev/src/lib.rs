//! The block device a file system lives on, defined once for every file
//! system crate (`fat32`, `ext2`): the UNIX server's disk (512-byte
//! records through the kernel's device port, behind its chunk cache)
//! implements this trait, and each file system takes any implementation.
//!
//! A device reports only that it failed ([`IoError`]); each file system
//! turns that into its own `Error::Io`, so its callers see one error type.

#![no_std]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

/// The device failed, or the request lies outside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoError;

/// What a device operation gives back.
pub type Result<T> = core::result::Result<T, IoError>;

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

/// The size of a [`MemDevice`]'s blocks: a disk's sector.
pub const MEM_BLOCK: usize = 512;

/// A RAM disk of 512-byte blocks: for tests, for building images on the
/// host, and for the server's root when the machine has no disk.
#[derive(Clone, Debug)]
pub struct MemDevice {
    data: Vec<u8>,
}

impl MemDevice {
    /// A zero-filled device of `bytes` bytes (rounded down to whole blocks).
    pub fn new(bytes: usize) -> Self {
        Self::from_vec(vec![0; bytes])
    }

    /// Wraps an existing image (cut to whole blocks).
    pub fn from_vec(mut data: Vec<u8>) -> Self {
        data.truncate(data.len() / MEM_BLOCK * MEM_BLOCK);
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
        if !len.is_multiple_of(MEM_BLOCK) {
            return Err(IoError);
        }
        let start = usize::try_from(lba).map_err(|_| IoError)?;
        let start = start.checked_mul(MEM_BLOCK).ok_or(IoError)?;
        let end = start.checked_add(len).ok_or(IoError)?;
        if end > self.data.len() {
            return Err(IoError);
        }
        Ok(start..end)
    }
}

impl BlockDevice for MemDevice {
    fn block_size(&self) -> usize {
        MEM_BLOCK
    }
    fn num_blocks(&self) -> u64 {
        (self.data.len() / MEM_BLOCK) as u64
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_was_written_and_refuses_outside_ranges() {
        let mut d = MemDevice::new(4 * MEM_BLOCK + 100);
        assert_eq!(d.num_blocks(), 4);
        let block = [7u8; MEM_BLOCK];
        d.write_blocks(3, &block).unwrap();
        let mut back = [0u8; MEM_BLOCK];
        d.read_blocks(3, &mut back).unwrap();
        assert_eq!(back, block);
        assert_eq!(d.read_blocks(4, &mut back), Err(IoError));
        assert_eq!(d.read_blocks(u64::MAX, &mut back), Err(IoError));
        assert_eq!(d.write_blocks(0, &block[..100]), Err(IoError));
    }
}
