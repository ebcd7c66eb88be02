//! File contents: cluster chains (through the chain cache), reading and
//! writing at byte offsets, growing with zeros and shrinking.
//!
//! Invariant: bytes past the end of file inside its last cluster are
//! undefined; every extension zero-fills the range it adds, so no stale
//! data ever becomes visible ("sparse-free").

use crate::device::BlockDevice;
use crate::error::{Error, Result};
use crate::fs::{FileSystem, Ino, Node};
use crate::mode::ATTR_ARCHIVE;
use alloc::vec;
use alloc::vec::Vec;

/// FAT file sizes are 32-bit.
pub const MAX_FILE_SIZE: u64 = u32::MAX as u64;

impl<D: BlockDevice> FileSystem<D> {
    /// The `idx`-th cluster of the chain starting at `first`, or None past its end.
    pub(crate) fn cluster_at(&mut self, first: u32, idx: u32) -> Result<Option<u32>> {
        if !self.bpb.valid_cluster(first) {
            return Err(Error::Corrupt);
        }
        let limit = self.bpb.cluster_count as usize;
        let chain = self.chains.entry(first);
        loop {
            if let Some(&c) = chain.get(idx as usize) {
                return Ok(Some(c));
            }
            if chain.len() > limit {
                return Err(Error::Corrupt); // a loop in the chain
            }
            let last = *chain.last().ok_or(Error::Corrupt)?;
            match self.fat.next(&mut self.dev, last)? {
                Some(n) => chain.push(n),
                None => return Ok(None),
            }
        }
    }

    /// Number of clusters in the chain starting at `first` (0 for none).
    pub(crate) fn chain_len(&mut self, first: u32) -> Result<u32> {
        if first == 0 {
            return Ok(0);
        }
        let mut n = self.chains.entry(first).len() as u32;
        while self.cluster_at(first, n)?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    /// Makes the chain at `first` (0: none yet) at least `need` clusters
    /// long; returns its (possibly new) first cluster. All or nothing.
    pub(crate) fn extend_chain(&mut self, first: u32, need: u32) -> Result<u32> {
        if need == 0 {
            return Ok(first);
        }
        if first == 0 {
            let got = self.fat.alloc_many(&mut self.dev, None, need)?;
            *self.chains.entry(got[0]) = got.clone();
            return Ok(got[0]);
        }
        let len = self.chain_len(first)?;
        if len >= need {
            return Ok(first);
        }
        let last = self.cluster_at(first, len - 1)?.ok_or(Error::Corrupt)?;
        let got = self.fat.alloc_many(&mut self.dev, Some(last), need - len)?;
        self.chains.entry(first).extend_from_slice(&got);
        Ok(first)
    }

    /// Keeps the first `keep` clusters of the chain and frees the rest;
    /// returns the new first cluster (0 when nothing is kept).
    pub(crate) fn cut_chain(&mut self, first: u32, keep: u32) -> Result<u32> {
        if first == 0 {
            return Ok(0);
        }
        if keep == 0 {
            self.free_chain(first)?;
            return Ok(0);
        }
        let Some(last) = self.cluster_at(first, keep - 1)? else { return Ok(first) };
        if let Some(rest) = self.fat.next(&mut self.dev, last)? {
            self.fat.set_end(&mut self.dev, last)?;
            self.free_chain(rest)?;
        }
        self.chains.entry(first).truncate(keep as usize);
        Ok(first)
    }

    /// Frees a whole chain and forgets every cached copy of its clusters.
    pub(crate) fn free_chain(&mut self, first: u32) -> Result<()> {
        let freed = self.fat.free_chain(&mut self.dev, first)?;
        self.chains.forget(first);
        self.dindex.forget(first); // if it was a directory, its index is void
        let spc = self.bpb.sectors_per_cluster as u64;
        for c in freed {
            let s = self.bpb.cluster_sector(c);
            self.dcache.discard(s, s + spc);
        }
        Ok(())
    }

    /// How many clusters starting at chain index `ci` are physically
    /// contiguous (at most `max`), so one device request can cover them.
    fn contiguous(&mut self, first: u32, ci: u32, max: u32) -> Result<(u32, u32)> {
        let c = self.cluster_at(first, ci)?.ok_or(Error::Corrupt)?;
        let mut run = 1;
        while run < max && self.cluster_at(first, ci + run)? == Some(c + run) {
            run += 1;
        }
        Ok((c, run))
    }

    /// Reads `buf.len()` bytes of the chain at byte offset `off`.
    pub(crate) fn read_data(&mut self, first: u32, off: u64, buf: &mut [u8]) -> Result<()> {
        let cs = self.bpb.cluster_size() as u64;
        let bps = self.bpb.bytes_per_sector as u64;
        let mut done = 0usize;
        let mut tmp = Vec::new();
        while done < buf.len() {
            let pos = off + done as u64;
            let (ci, within) = ((pos / cs) as u32, pos % cs);
            let left = (buf.len() - done) as u64;
            if within == 0 && left >= cs {
                let (c, run) = self.contiguous(first, ci, (left / cs) as u32)?;
                let n = (run as u64 * cs) as usize;
                self.dev.read(self.bpb.cluster_sector(c), &mut buf[done..done + n])?;
                done += n;
                continue;
            }
            let c = self.cluster_at(first, ci)?.ok_or(Error::Corrupt)?;
            let n = (cs - within).min(left);
            let (s0, s1) = (within / bps, (within + n).div_ceil(bps));
            tmp.resize(((s1 - s0) * bps) as usize, 0);
            self.dev.read(self.bpb.cluster_sector(c) + s0, &mut tmp)?;
            let skip = (within - s0 * bps) as usize;
            buf[done..done + n as usize].copy_from_slice(&tmp[skip..skip + n as usize]);
            done += n as usize;
        }
        Ok(())
    }

    /// Writes `data` into the chain at byte offset `off` (clusters must exist).
    pub(crate) fn write_data(&mut self, first: u32, off: u64, data: &[u8]) -> Result<()> {
        let cs = self.bpb.cluster_size() as u64;
        let bps = self.bpb.bytes_per_sector as u64;
        let mut done = 0usize;
        let mut tmp = Vec::new();
        while done < data.len() {
            let pos = off + done as u64;
            let (ci, within) = ((pos / cs) as u32, pos % cs);
            let left = (data.len() - done) as u64;
            if within == 0 && left >= cs {
                let (c, run) = self.contiguous(first, ci, (left / cs) as u32)?;
                let n = (run as u64 * cs) as usize;
                self.dev.write(self.bpb.cluster_sector(c), &data[done..done + n])?;
                done += n;
                continue;
            }
            let c = self.cluster_at(first, ci)?.ok_or(Error::Corrupt)?;
            let n = (cs - within).min(left);
            let (s0, s1) = (within / bps, (within + n).div_ceil(bps));
            let sector = self.bpb.cluster_sector(c) + s0;
            tmp.resize(((s1 - s0) * bps) as usize, 0);
            // Read-modify-write only for a partial sector at either end.
            if !within.is_multiple_of(bps) || !(within + n).is_multiple_of(bps) {
                self.dev.read(sector, &mut tmp)?;
            }
            let skip = (within - s0 * bps) as usize;
            tmp[skip..skip + n as usize].copy_from_slice(&data[done..done + n as usize]);
            self.dev.write(sector, &tmp)?;
            done += n as usize;
        }
        Ok(())
    }

    /// Writes zeros over `[off, off + len)` of the chain.
    fn zero_data(&mut self, first: u32, off: u64, len: u64) -> Result<()> {
        let chunk = (self.bpb.cluster_size() as u64 * 16).min(len.max(1));
        let zeros = vec![0u8; chunk as usize];
        let mut done = 0;
        while done < len {
            let n = chunk.min(len - done);
            self.write_data(first, off + done, &zeros[..n as usize])?;
            done += n;
        }
        Ok(())
    }

    fn clusters_for(&self, bytes: u64) -> u32 {
        bytes.div_ceil(self.bpb.cluster_size() as u64) as u32
    }

    /// Sets the size of a file node, zero-filling growth and freeing
    /// clusters past the new end. Does not store the node.
    pub(crate) fn resize(&mut self, node: &mut Node, len: u64) -> Result<()> {
        if len > MAX_FILE_SIZE {
            return Err(Error::FileTooLarge);
        }
        let size = node.entry.size as u64;
        if len > size {
            node.entry.first_cluster = self.extend_chain(node.entry.first_cluster, self.clusters_for(len))?;
            self.zero_data(node.entry.first_cluster, size, len - size)?;
        } else if len < size {
            node.entry.first_cluster = self.cut_chain(node.entry.first_cluster, self.clusters_for(len))?;
        }
        node.entry.size = len as u32;
        Ok(())
    }

    /// Reads from a file at `offset`; returns the bytes read (0 at or past EOF).
    pub fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut node = self.load_file(ino)?;
        let size = node.entry.size as u64;
        if offset >= size || buf.is_empty() {
            return Ok(0);
        }
        let n = (size - offset).min(buf.len() as u64) as usize;
        self.read_data(node.entry.first_cluster, offset, &mut buf[..n])?;
        self.touch_accessed(&mut node)?;
        Ok(n)
    }

    /// Writes at `offset`, growing the file (a gap before `offset` reads as
    /// zeros). On `NoSpace` the file is unchanged.
    pub fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> Result<usize> {
        self.check_writable()?;
        let mut node = self.load_file(ino)?;
        if data.is_empty() {
            return Ok(0);
        }
        let end = offset.checked_add(data.len() as u64).ok_or(Error::FileTooLarge)?;
        if end > MAX_FILE_SIZE {
            return Err(Error::FileTooLarge);
        }
        // Allocate everything first so a full disk changes nothing.
        let first = self.extend_chain(node.entry.first_cluster, self.clusters_for(end))?;
        node.entry.first_cluster = first;
        let size = node.entry.size as u64;
        if offset > size {
            self.zero_data(first, size, offset - size)?;
        }
        self.write_data(first, offset, data)?;
        node.entry.size = node.entry.size.max(end as u32);
        self.touch_modified(&mut node)?;
        Ok(data.len())
    }

    /// Sets a file's length: growth reads as zeros, shrinking frees clusters.
    pub fn truncate(&mut self, ino: Ino, len: u64) -> Result<()> {
        self.check_writable()?;
        let mut node = self.load_file(ino)?;
        self.resize(&mut node, len)?;
        self.touch_modified(&mut node)
    }

    /// Stamps mtime (and the archive bit) and stores the entry.
    pub(crate) fn touch_modified(&mut self, node: &mut Node) -> Result<()> {
        let (date, time) = self.clock.now().to_fat();
        node.entry.mdate = date;
        node.entry.mtime = time;
        node.entry.adate = date;
        node.entry.attr |= ATTR_ARCHIVE;
        self.store(node)
    }

    /// Stamps the access date if it changed (FAT keeps only the date, so
    /// most reads write nothing).
    fn touch_accessed(&mut self, node: &mut Node) -> Result<()> {
        if self.read_only || !self.update_atime {
            return Ok(());
        }
        let (date, _) = self.clock.now().to_fat();
        if node.entry.adate != date {
            node.entry.adate = date;
            self.store(node)?;
        }
        Ok(())
    }
}
