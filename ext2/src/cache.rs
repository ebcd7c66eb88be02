//! A write-back cache of file-system blocks. Metadata (bitmaps, inode
//! table blocks, indirect blocks, directory blocks) and file data all go
//! through it; dirty blocks reach the device on eviction and on `flush`.

use crate::device::BlockDevice;
use crate::error::{Error, Result};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

struct Slot {
    data: Vec<u8>,
    dirty: bool,
    used: u64,
}

/// The cache; `bs` is the file-system block size, `ratio` device blocks per
/// file-system block.
pub struct Cache {
    bs: usize,
    ratio: u64,
    cap: usize,
    tick: u64,
    map: BTreeMap<u64, Slot>,
    /// `used` stamp -> block, for least-recently-used eviction.
    lru: BTreeMap<u64, u64>,
    /// Blocks the device holds (in file-system blocks).
    pub limit: u64,
    pub hits: u64,
    pub misses: u64,
}

impl Cache {
    pub fn new(bs: usize, ratio: u64, cap: usize, limit: u64) -> Cache {
        Cache { bs, ratio, cap: cap.max(16), tick: 0, map: BTreeMap::new(), lru: BTreeMap::new(), limit, hits: 0, misses: 0 }
    }

    fn touch(&mut self, blk: u64) {
        self.tick += 1;
        let t = self.tick;
        if let Some(s) = self.map.get_mut(&blk) {
            self.lru.remove(&s.used);
            s.used = t;
            self.lru.insert(t, blk);
        }
    }

    fn evict<D: BlockDevice>(&mut self, dev: &mut D) -> Result<()> {
        while self.map.len() >= self.cap {
            let Some((&t, &blk)) = self.lru.iter().next() else { break };
            // Written before it leaves. If the device fails, the dirty blocks
            // stay (sync reports the error, as writeback errors go to fsync),
            // up to twice the capacity; beyond that the caller gets the error.
            if let Some(s) = self.map.get_mut(&blk) {
                if s.dirty {
                    if let Err(e) = dev.write_blocks(blk * self.ratio, &s.data) {
                        if self.map.len() >= 2 * self.cap {
                            return Err(e.into());
                        }
                        return Ok(());
                    }
                    s.dirty = false;
                }
            }
            self.lru.remove(&t);
            self.map.remove(&blk);
        }
        Ok(())
    }

    fn load<D: BlockDevice>(&mut self, dev: &mut D, blk: u64, read: bool) -> Result<()> {
        if blk >= self.limit {
            return Err(Error::Corrupt);
        }
        if self.map.contains_key(&blk) {
            self.hits += 1;
            self.touch(blk);
            return Ok(());
        }
        self.misses += 1;
        self.evict(dev)?;
        let mut data = Vec::new();
        data.try_reserve_exact(self.bs).map_err(|_| Error::NoMemory)?;
        data.resize(self.bs, 0);
        if read {
            dev.read_blocks(blk * self.ratio, &mut data)?;
        }
        self.tick += 1;
        self.lru.insert(self.tick, blk);
        self.map.insert(blk, Slot { data, dirty: !read, used: self.tick });
        Ok(())
    }

    /// The block's bytes.
    pub fn read<D: BlockDevice>(&mut self, dev: &mut D, blk: u64) -> Result<&[u8]> {
        self.load(dev, blk, true)?;
        Ok(&self.map.get(&blk).ok_or(Error::Io)?.data)
    }

    /// The block's bytes, to change; the block becomes dirty.
    pub fn modify<D: BlockDevice>(&mut self, dev: &mut D, blk: u64) -> Result<&mut [u8]> {
        self.load(dev, blk, true)?;
        let s = self.map.get_mut(&blk).ok_or(Error::Io)?;
        s.dirty = true;
        Ok(&mut s.data)
    }

    /// A block about to be overwritten whole: not read, zero-filled, dirty.
    pub fn zeroed<D: BlockDevice>(&mut self, dev: &mut D, blk: u64) -> Result<&mut [u8]> {
        if self.map.contains_key(&blk) {
            let s = self.modify(dev, blk)?;
            s.fill(0);
            return Ok(s);
        }
        self.load(dev, blk, false)?;
        let s = self.map.get_mut(&blk).ok_or(Error::Io)?;
        Ok(&mut s.data)
    }

    /// Drops a freed block without writing it.
    pub fn forget(&mut self, blk: u64) {
        if let Some(s) = self.map.remove(&blk) {
            self.lru.remove(&s.used);
        }
    }

    /// Writes every dirty block, in block order.
    pub fn flush<D: BlockDevice>(&mut self, dev: &mut D) -> Result<()> {
        for (&blk, s) in self.map.iter_mut() {
            if s.dirty {
                dev.write_blocks(blk * self.ratio, &s.data)?;
                s.dirty = false;
            }
        }
        Ok(())
    }

    /// Empties the cache (after a flush).
    pub fn clear(&mut self) {
        self.map.clear();
        self.lru.clear();
    }
}
