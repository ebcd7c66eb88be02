//! The file allocation table: cluster chains, allocation, the free count
//! and the clean-unmount flag, all through a write-back sector cache.

use crate::bpb::{le32, put32, Bpb};
use crate::cache::SectorCache;
use crate::device::{BlockDevice, SectorDev};
use crate::error::{Error, Result};
use alloc::vec::Vec;

/// FAT entries are 28 bits; the top 4 are reserved and must be preserved.
const MASK: u32 = 0x0FFF_FFFF;
/// Marks the end of a chain (any value >= 0x0FFFFFF8 does).
pub const EOC: u32 = 0x0FFF_FFFF;
const BAD: u32 = 0x0FFF_FFF7;
/// FAT[1] bit 27: set when the volume was unmounted cleanly.
const CLEAN_BIT: u32 = 0x0800_0000;

/// What a FAT entry says about its cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    Free,
    Next(u32),
    End,
    Bad,
}

pub(crate) struct Fat {
    first_sector: u64,
    bytes_per_sector: u32,
    cluster_count: u32,
    cache: SectorCache,
    /// Free clusters, always exact once mounted (computed if FSInfo lied).
    pub free_count: u32,
    /// Where the next allocation search starts.
    pub next_free: u32,
}

impl Fat {
    pub fn new(bpb: &Bpb) -> Fat {
        let active = if bpb.ext_flags & 0x80 != 0 { (bpb.ext_flags & 0x0F) as u64 } else { 0 };
        let mirrors: Vec<u64> = if bpb.ext_flags & 0x80 != 0 {
            alloc::vec![0]
        } else {
            (0..bpb.num_fats as u64).map(|i| i * bpb.fat_size as u64).collect()
        };
        Fat {
            first_sector: bpb.reserved_sectors as u64 + active * bpb.fat_size as u64,
            bytes_per_sector: bpb.bytes_per_sector,
            cluster_count: bpb.cluster_count,
            cache: SectorCache::new(64, mirrors),
            free_count: 0,
            next_free: 2,
        }
    }

    fn locate(&self, cluster: u32) -> (u64, usize) {
        let byte = cluster as u64 * 4;
        let bps = self.bytes_per_sector as u64;
        (self.first_sector + byte / bps, (byte % bps) as usize)
    }

    fn raw_get<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>, cluster: u32) -> Result<u32> {
        let (sector, off) = self.locate(cluster);
        Ok(le32(self.cache.read(dev, sector)?, off))
    }

    fn raw_set<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>, cluster: u32, v: u32) -> Result<()> {
        let (sector, off) = self.locate(cluster);
        let buf = self.cache.modify(dev, sector)?;
        let old = le32(buf, off);
        put32(buf, off, (old & !MASK) | (v & MASK));
        Ok(())
    }

    fn in_range(&self, c: u32) -> bool {
        c >= 2 && c < self.cluster_count + 2
    }

    /// Reads the entry of data cluster `c`; out-of-range links are `Corrupt`.
    pub fn get<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>, c: u32) -> Result<Entry> {
        if !self.in_range(c) {
            return Err(Error::Corrupt);
        }
        let v = self.raw_get(dev, c)? & MASK;
        Ok(match v {
            0 => Entry::Free,
            BAD => Entry::Bad,
            v if v >= 0x0FFF_FFF8 => Entry::End,
            v if self.in_range(v) => Entry::Next(v),
            _ => return Err(Error::Corrupt),
        })
    }

    /// The cluster after `c`, or None at the end of the chain.
    pub fn next<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>, c: u32) -> Result<Option<u32>> {
        match self.get(dev, c)? {
            Entry::Next(n) => Ok(Some(n)),
            Entry::End => Ok(None),
            Entry::Free | Entry::Bad => Err(Error::Corrupt),
        }
    }

    fn set<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>, c: u32, v: u32) -> Result<()> {
        if !self.in_range(c) {
            return Err(Error::Corrupt);
        }
        self.raw_set(dev, c, v)
    }

    /// Counts free clusters by scanning the whole table.
    pub fn count_free<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>) -> Result<u32> {
        let mut free = 0;
        for c in 2..self.cluster_count + 2 {
            if self.raw_get(dev, c)? & MASK == 0 {
                free += 1;
            }
        }
        Ok(free)
    }

    /// Takes one free cluster, marks it end-of-chain and links it after
    /// `prev` if given.
    pub fn alloc<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>, prev: Option<u32>) -> Result<u32> {
        if self.free_count == 0 {
            return Err(Error::NoSpace);
        }
        let n = self.cluster_count;
        let start = if self.in_range(self.next_free) { self.next_free } else { 2 };
        for i in 0..n {
            let c = 2 + (start - 2 + i) % n;
            if self.raw_get(dev, c)? & MASK == 0 {
                self.set(dev, c, EOC)?;
                if let Some(p) = prev {
                    self.set(dev, p, c)?;
                }
                self.free_count -= 1;
                self.next_free = if c + 1 < n + 2 { c + 1 } else { 2 };
                return Ok(c);
            }
        }
        // The count said there was space but the table disagrees: trust the table.
        self.free_count = 0;
        Err(Error::NoSpace)
    }

    /// Allocates `count` clusters linked after `prev` (or as a new chain).
    /// All or nothing: on failure everything taken is given back, so a full
    /// disk never leaks half-allocated chains. Returns the new clusters.
    pub fn alloc_many<D: BlockDevice>(
        &mut self,
        dev: &mut SectorDev<D>,
        prev: Option<u32>,
        count: u32,
    ) -> Result<Vec<u32>> {
        if count > self.free_count {
            return Err(Error::NoSpace);
        }
        let mut got: Vec<u32> = Vec::new();
        let mut last = prev;
        for _ in 0..count {
            match self.alloc(dev, last) {
                Ok(c) => {
                    got.push(c);
                    last = Some(c);
                }
                Err(e) => {
                    self.undo_alloc(dev, prev, &got)?;
                    return Err(e);
                }
            }
        }
        Ok(got)
    }

    fn undo_alloc<D: BlockDevice>(
        &mut self,
        dev: &mut SectorDev<D>,
        prev: Option<u32>,
        got: &[u32],
    ) -> Result<()> {
        for &c in got {
            self.set(dev, c, 0)?;
            self.free_count += 1;
        }
        if let Some(p) = prev {
            self.set(dev, p, EOC)?;
        }
        Ok(())
    }

    /// Frees the chain starting at `first`; returns the freed clusters so the
    /// caller can drop cached copies of their sectors.
    pub fn free_chain<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>, first: u32) -> Result<Vec<u32>> {
        let mut freed = Vec::new();
        let mut c = first;
        loop {
            // A loop in a corrupt chain must not spin forever.
            if freed.len() > self.cluster_count as usize {
                return Err(Error::Corrupt);
            }
            let entry = self.get(dev, c)?;
            if entry == Entry::Free {
                break; // already free: stop rather than double-count
            }
            self.set(dev, c, 0)?;
            self.free_count += 1;
            freed.push(c);
            match entry {
                Entry::Next(n) => c = n,
                _ => break,
            }
        }
        Ok(freed)
    }

    /// Makes `c` the last cluster of its chain.
    pub fn set_end<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>, c: u32) -> Result<()> {
        self.set(dev, c, EOC)
    }

    /// Raw FAT value of `c` without interpretation (for the checker).
    pub fn raw<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>, c: u32) -> Result<u32> {
        Ok(self.raw_get(dev, c)? & MASK)
    }

    /// Whether FAT[1] says the last unmount was clean.
    pub fn is_clean<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>) -> Result<bool> {
        Ok(self.raw_get(dev, 1)? & CLEAN_BIT != 0)
    }

    /// Sets or clears the clean bit and writes that sector at once, so a
    /// crash after mount is visible at the next mount.
    pub fn set_clean<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>, clean: bool) -> Result<()> {
        let (sector, off) = self.locate(1);
        let buf = self.cache.modify(dev, sector)?;
        let v = le32(buf, off);
        put32(buf, off, if clean { v | CLEAN_BIT } else { v & !CLEAN_BIT });
        self.cache.flush_one(dev, sector)
    }

    pub fn flush<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>) -> Result<()> {
        self.cache.flush(dev)
    }

    pub fn cache_stats(&self) -> (u64, u64) {
        (self.cache.hits, self.cache.misses)
    }
}
