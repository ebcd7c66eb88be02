//! A write-back sector cache with least-recently-used eviction.
//!
//! Two instances exist per volume: one for FAT sectors (which also writes
//! every dirty sector to each FAT copy) and one for directory sectors. File
//! data does not go through a cache: it is read and written a cluster at a
//! time, which is already large, and would only evict metadata.

use crate::device::{BlockDevice, SectorDev};
use crate::error::Result;
use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

struct Slot {
    data: Vec<u8>,
    dirty: bool,
    last_use: u64,
}

pub(crate) struct SectorCache {
    slots: BTreeMap<u64, Slot>,
    capacity: usize,
    tick: u64,
    /// A dirty sector `s` is written to `s + m` for every `m` here (FAT
    /// mirroring); `[0]` for a plain cache.
    mirrors: Vec<u64>,
    /// Counters for tests and tuning.
    pub hits: u64,
    pub misses: u64,
}

impl SectorCache {
    pub fn new(capacity: usize, mirrors: Vec<u64>) -> Self {
        SectorCache {
            slots: BTreeMap::new(),
            capacity: capacity.max(2),
            tick: 0,
            mirrors,
            hits: 0,
            misses: 0,
        }
    }

    /// Makes sure `sector` is cached, reading it if needed.
    fn load<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>, sector: u64) -> Result<&mut Slot> {
        self.tick += 1;
        if self.slots.contains_key(&sector) {
            self.hits += 1;
        } else {
            self.misses += 1;
            self.make_room(dev)?;
            let mut data = vec![0; dev.sector_size];
            dev.read(sector, &mut data)?;
            self.slots.insert(sector, Slot { data, dirty: false, last_use: 0 });
        }
        let tick = self.tick;
        let slot = self.slots.get_mut(&sector).expect("slot was just ensured");
        slot.last_use = tick;
        Ok(slot)
    }

    pub fn read<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>, sector: u64) -> Result<&[u8]> {
        Ok(&self.load(dev, sector)?.data)
    }

    /// The sector's bytes for modification; it will be written back later.
    pub fn modify<D: BlockDevice>(
        &mut self,
        dev: &mut SectorDev<D>,
        sector: u64,
    ) -> Result<&mut [u8]> {
        let slot = self.load(dev, sector)?;
        slot.dirty = true;
        Ok(&mut slot.data)
    }

    /// Sets a sector to zeros without reading it first (new directory clusters).
    pub fn zero<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>, sector: u64) -> Result<()> {
        self.tick += 1;
        if !self.slots.contains_key(&sector) {
            self.make_room(dev)?;
        }
        let data = vec![0; dev.sector_size];
        self.slots.insert(sector, Slot { data, dirty: true, last_use: self.tick });
        Ok(())
    }

    /// Drops sectors `[start, end)` without writing them: their clusters were
    /// freed, and a stale dirty copy must never overwrite the next owner's data.
    pub fn discard(&mut self, start: u64, end: u64) {
        let doomed: Vec<u64> = self.slots.range(start..end).map(|(k, _)| *k).collect();
        for k in doomed {
            self.slots.remove(&k);
        }
    }

    fn make_room<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>) -> Result<()> {
        while self.slots.len() >= self.capacity {
            let victim = self
                .slots
                .iter()
                .min_by_key(|(_, s)| s.last_use)
                .map(|(k, _)| *k);
            let Some(victim) = victim else { break };
            self.write_back(dev, victim)?;
            self.slots.remove(&victim);
        }
        Ok(())
    }

    fn write_back<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>, sector: u64) -> Result<()> {
        if let Some(slot) = self.slots.get_mut(&sector) {
            if slot.dirty {
                for m in &self.mirrors {
                    dev.write(sector + m, &slot.data)?;
                }
                slot.dirty = false;
            }
        }
        Ok(())
    }

    /// Writes every dirty sector back (in ascending order, which is also
    /// the friendliest order for a disk).
    pub fn flush<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>) -> Result<()> {
        let dirty: Vec<u64> = self.slots.iter().filter(|(_, s)| s.dirty).map(|(k, _)| *k).collect();
        for s in dirty {
            self.write_back(dev, s)?;
        }
        Ok(())
    }

    /// Writes one sector back now (used for the FAT[1] dirty flag).
    pub fn flush_one<D: BlockDevice>(&mut self, dev: &mut SectorDev<D>, sector: u64) -> Result<()> {
        self.write_back(dev, sector)
    }
}

/// Cluster chains of recently used files and directories: `chain[i]` is the
/// i-th cluster, so offset -> cluster is a lookup instead of a FAT walk
/// from the start. A vector may be a prefix of the chain; it grows as
/// deeper offsets are asked for.
pub(crate) struct ChainCache {
    chains: BTreeMap<u32, Vec<u32>>,
    capacity: usize,
}

impl ChainCache {
    pub fn new(capacity: usize) -> Self {
        ChainCache { chains: BTreeMap::new(), capacity }
    }

    /// The cached prefix of the chain starting at `first` (created empty).
    pub fn entry(&mut self, first: u32) -> &mut Vec<u32> {
        if !self.chains.contains_key(&first) && self.chains.len() >= self.capacity {
            // Cheap eviction: forget one chain; it is rebuilt on demand.
            let victim = *self.chains.keys().next().expect("cache is full, so not empty");
            self.chains.remove(&victim);
        }
        self.chains.entry(first).or_insert_with(|| alloc::vec![first])
    }

    /// Forgets the chain starting at `first` (freed or cut).
    pub fn forget(&mut self, first: u32) {
        self.chains.remove(&first);
    }

    pub fn clear(&mut self) {
        self.chains.clear();
    }
}

/// Path-lookup cache: (directory cluster, folded name) -> inode number.
/// Entries of a directory are dropped whenever a name in it is removed or
/// renamed; creation only adds, so it needs no invalidation.
pub(crate) struct LookupCache {
    map: BTreeMap<(u32, alloc::string::String), u64>,
    capacity: usize,
    pub hits: u64,
}

impl LookupCache {
    pub fn new(capacity: usize) -> Self {
        LookupCache { map: BTreeMap::new(), capacity, hits: 0 }
    }

    pub fn get(&mut self, dir: u32, folded: &str) -> Option<u64> {
        let hit = self.map.get(&(dir, folded.into())).copied();
        if hit.is_some() {
            self.hits += 1;
        }
        hit
    }

    pub fn insert(&mut self, dir: u32, folded: alloc::string::String, ino: u64) {
        if self.map.len() >= self.capacity {
            self.map.clear();
        }
        self.map.insert((dir, folded), ino);
    }

    /// Drops one cached name of directory `dir`.
    pub fn forget(&mut self, dir: u32, folded: alloc::string::String) {
        self.map.remove(&(dir, folded));
    }

    /// Drops every cached name of directory `dir`.
    pub fn forget_dir(&mut self, dir: u32) {
        let lo = (dir, alloc::string::String::new());
        let doomed: Vec<(u32, alloc::string::String)> =
            self.map.range(lo..).take_while(|((d, _), _)| *d == dir).map(|(k, _)| k.clone()).collect();
        for k in doomed {
            self.map.remove(&k);
        }
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }
}
