//! The block device the file system lives on: `blockdev`'s one
//! definition, and the view of it in file-system sectors.

use crate::error::{Error, Result};
pub use blockdev::{BlockDevice, IoError, MemDevice};

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
        Ok(self.dev.read_blocks(lba, buf)?)
    }

    pub fn write(&mut self, sector: u64, buf: &[u8]) -> Result<()> {
        let lba = sector.checked_mul(self.ratio).ok_or(Error::Io)?;
        Ok(self.dev.write_blocks(lba, buf)?)
    }
}
