//! Block maps (12 direct pointers, then single, double and triple
//! indirect blocks; a zero pointer is a hole that reads as zeros) and
//! file contents: read, write (growth past the end leaves holes), truncate
//! (shrinking frees data and indirect blocks).

use crate::device::BlockDevice;
use crate::error::{Error, Result};
use crate::fs::{FileSystem, Ino};
use crate::layout::*;
use alloc::vec::Vec;

impl<D: BlockDevice> FileSystem<D> {
    fn ptrs(&self) -> u64 {
        (self.bs / 4) as u64
    }

    /// Sectors (of 512 bytes) per block, for i_blocks.
    fn spb(&self) -> u64 {
        (self.bs / 512) as u64
    }

    /// Whether i_block holds block pointers (not a fast symlink's target
    /// or a device number).
    pub(crate) fn has_block_map(&self, i: &Inode) -> bool {
        match i.kind() {
            S_IFREG | S_IFDIR => true,
            S_IFLNK => !self.is_fast_symlink(i),
            _ => false,
        }
    }

    /// A symlink whose target lives in i_block: no data blocks (e2fsck's rule).
    pub(crate) fn is_fast_symlink(&self, i: &Inode) -> bool {
        let xattr = if i.file_acl() != 0 { self.spb() } else { 0 };
        i.kind() == S_IFLNK && i.sectors() == xattr
    }

    /// The largest size a file may have: what the block map addresses, and
    /// what 32-bit i_blocks (in sectors) can count, as Linux ext2 computes.
    pub fn max_file_size(&self) -> u64 {
        let p = self.ptrs();
        let mapped = (12 + p + p * p + p * p * p) * self.bs as u64;
        let sectors = ((1u64 << 32) - 1) / self.spb() * self.bs as u64;
        mapped.min(sectors).min(i64::MAX as u64)
    }

    /// Indices from i_block down to the data pointer for logical block `lblk`.
    fn path(&self, lblk: u64) -> Result<(usize, [usize; 4])> {
        let p = self.ptrs();
        let mut l = lblk;
        if l < 12 {
            return Ok((0, [l as usize, 0, 0, 0]));
        }
        l -= 12;
        if l < p {
            return Ok((1, [12, l as usize, 0, 0]));
        }
        l -= p;
        if l < p * p {
            return Ok((2, [13, (l / p) as usize, (l % p) as usize, 0]));
        }
        l -= p * p;
        if l < p * p * p {
            return Ok((3, [14, (l / (p * p)) as usize, (l / p % p) as usize, (l % p) as usize]));
        }
        Err(Error::FileTooLarge)
    }

    fn check_blk(&self, b: u32) -> Result<u32> {
        if b < self.sb.first_data_block() || b >= self.sb.blocks_count() {
            return Err(Error::Corrupt);
        }
        Ok(b)
    }

    fn ptr_at(&mut self, blk: u32, idx: usize) -> Result<u32> {
        let b = self.cache.read(&mut self.dev, blk as u64)?;
        Ok(le32(b, idx * 4))
    }

    fn check_mapped(&self, i: &Inode) -> Result<()> {
        if i.flags() & UNSUPPORTED_FL != 0 {
            return Err(Error::Unsupported);
        }
        Ok(())
    }

    /// The physical block of logical block `lblk`, or None for a hole.
    pub(crate) fn bmap(&mut self, i: &Inode, lblk: u64) -> Result<Option<u32>> {
        self.check_mapped(i)?;
        let (depth, idx) = self.path(lblk)?;
        let mut b = i.block(idx[0]);
        for &k in &idx[1..=depth] {
            if b == 0 {
                return Ok(None);
            }
            let blk = self.check_blk(b)?;
            b = self.ptr_at(blk, k)?;
        }
        if b == 0 { Ok(None) } else { Ok(Some(self.check_blk(b)?)) }
    }

    /// Maps `lblk`, allocating the data block and any missing indirect
    /// blocks (zeroed) near `goal`. Returns the block and whether it is new
    /// (its cached contents are zero and dirty). i_blocks counts them all.
    pub(crate) fn bmap_alloc(&mut self, i: &mut Inode, lblk: u64, goal: u64) -> Result<(u32, bool)> {
        self.check_mapped(i)?;
        let (depth, idx) = self.path(lblk)?;
        let mut b = i.block(idx[0]);
        let mut fresh = false;
        if b == 0 {
            b = self.alloc_block(goal)?;
            self.zero_new(b)?;
            i.set_block(idx[0], b);
            i.set_sectors(i.sectors() + self.spb());
            fresh = true;
        }
        for &k in &idx[1..=depth] {
            let parent = self.check_blk(b)?;
            b = self.ptr_at(parent, k)?;
            fresh = false;
            if b == 0 {
                b = self.alloc_block(parent as u64 + 1)?;
                self.zero_new(b)?;
                match self.cache.modify(&mut self.dev, parent as u64) {
                    Ok(p) => put32(p, k * 4, b),
                    Err(e) => {
                        let _ = self.free_block(b);
                        return Err(e);
                    }
                }
                i.set_sectors(i.sectors() + self.spb());
                fresh = true;
            }
        }
        Ok((self.check_blk(b)?, fresh))
    }

    /// Zero-fills a block just allocated; if even that fails, the block goes
    /// back to the bitmap rather than leak.
    fn zero_new(&mut self, b: u32) -> Result<()> {
        if let Err(e) = self.cache.zeroed(&mut self.dev, b as u64) {
            let _ = self.free_block(b);
            return Err(e);
        }
        Ok(())
    }

    /// Reads up to `buf.len()` bytes at `offset`; holes read as zeros.
    pub fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let i = self.live_inode(ino)?;
        if i.is_dir() {
            return Err(Error::IsDir);
        }
        if !i.is_reg() {
            return Err(Error::WrongType);
        }
        let n = self.read_data(&i, offset, buf)?;
        if self.opts.update_atime && !self.read_only && n > 0 {
            self.update(ino, |i, now| i.set_atime(now))?;
        }
        Ok(n)
    }

    pub(crate) fn read_data(&mut self, i: &Inode, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let size = i.size();
        if offset >= size {
            return Ok(0);
        }
        let len = (buf.len() as u64).min(size - offset) as usize;
        let bs = self.bs as u64;
        let mut done = 0;
        while done < len {
            let pos = offset + done as u64;
            let (lblk, off) = (pos / bs, (pos % bs) as usize);
            let n = (self.bs - off).min(len - done);
            match self.bmap(i, lblk)? {
                None => buf[done..done + n].fill(0),
                Some(b) => {
                    let blk = self.cache.read(&mut self.dev, b as u64)?;
                    buf[done..done + n].copy_from_slice(&blk[off..off + n]);
                }
            }
            done += n;
        }
        Ok(len)
    }

    /// Writes `data` at `offset` of a regular file, growing it as needed.
    pub fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> Result<usize> {
        self.writable()?;
        let mut i = self.live_inode(ino)?;
        if i.is_dir() {
            return Err(Error::IsDir);
        }
        if !i.is_reg() {
            return Err(Error::WrongType);
        }
        if data.is_empty() {
            return Ok(0); // nothing written: no growth, no new times
        }
        let end = offset.checked_add(data.len() as u64).ok_or(Error::FileTooLarge)?;
        if end > self.max_file_size() {
            return Err(Error::FileTooLarge);
        }
        let r = self.write_data(&mut i, offset, data);
        // Whatever was written (even before an ENOSPC) is accounted for.
        let done = match r {
            Ok(n) => n,
            Err((0, e)) => {
                self.write_inode(&i)?;
                return Err(e);
            }
            Err((n, _)) => n,
        };
        let now = self.now();
        let new_end = offset + done as u64;
        if new_end > i.size() {
            i.set_size(new_end);
            if new_end > i32::MAX as u64 {
                self.sb.set_feature_ro_compat(self.sb.feature_ro_compat() | RO_COMPAT_LARGE_FILE);
            }
        }
        i.set_mtime(now);
        i.set_ctime(now);
        self.write_inode(&i)?;
        Ok(done)
    }

    /// Writes into the block map; on failure says how much got written.
    fn write_data(&mut self, i: &mut Inode, offset: u64, data: &[u8]) -> core::result::Result<usize, (usize, Error)> {
        let bs = self.bs as u64;
        let mut done = 0;
        let mut goal = self.inode_goal(i.ino);
        while done < data.len() {
            let pos = offset + done as u64;
            let (lblk, off) = (pos / bs, (pos % bs) as usize);
            let n = (self.bs - off).min(data.len() - done);
            let (b, _) = self.bmap_alloc(i, lblk, goal).map_err(|e| (done, e))?;
            let blk = self.cache.modify(&mut self.dev, b as u64).map_err(|e| (done, e))?;
            blk[off..off + n].copy_from_slice(&data[done..done + n]);
            goal = b as u64 + 1;
            done += n;
        }
        Ok(done)
    }

    /// Where to look for a file's first block: the start of its inode's group.
    pub(crate) fn inode_goal(&self, ino: Ino) -> u64 {
        self.group_span((ino - 1) / self.ipg).0
    }

    /// Sets the size of a regular file: shrinking frees the blocks past the
    /// end (and zeroes the tail of the last one, so growth reads zeros);
    /// growing leaves a hole.
    pub fn truncate(&mut self, ino: Ino, len: u64) -> Result<()> {
        self.writable()?;
        let mut i = self.live_inode(ino)?;
        if i.is_dir() {
            return Err(Error::IsDir);
        }
        if !i.is_reg() {
            return Err(Error::WrongType);
        }
        if len > self.max_file_size() {
            return Err(Error::FileTooLarge);
        }
        if len < i.size() {
            let bs = self.bs as u64;
            if !len.is_multiple_of(bs) {
                if let Some(b) = self.bmap(&i, len / bs)? {
                    self.cache.modify(&mut self.dev, b as u64)?[(len % bs) as usize..].fill(0);
                }
            }
            self.free_from(&mut i, len.div_ceil(bs))?;
        }
        i.set_size(len);
        if len > i32::MAX as u64 {
            self.sb.set_feature_ro_compat(self.sb.feature_ro_compat() | RO_COMPAT_LARGE_FILE);
        }
        let now = self.now();
        i.set_mtime(now);
        i.set_ctime(now);
        self.write_inode(&i)
    }

    /// Frees every block of logical number `keep` and beyond, and the
    /// indirect blocks left empty. The caller writes the inode.
    pub(crate) fn free_from(&mut self, i: &mut Inode, keep: u64) -> Result<()> {
        self.check_mapped(i)?;
        let mut freed = 0u64;
        for k in (keep.min(12) as usize)..NDIR {
            let b = i.block(k);
            if b != 0 {
                self.free_block(b)?;
                i.set_block(k, 0);
                freed += 1;
            }
        }
        let p = self.ptrs();
        let mut base = 12u64;
        let mut span = p;
        for (slot, depth) in [(12usize, 1u32), (13, 2), (14, 3)] {
            let b = i.block(slot);
            if b != 0 && keep < base + span {
                let b = self.check_blk(b)?;
                let empty = if keep <= base { true } else { self.trunc_tree(b, depth, base, keep, &mut freed)? };
                if empty {
                    if keep <= base {
                        self.free_tree(b, depth, &mut freed)?;
                    } else {
                        self.free_block(b)?;
                        freed += 1;
                    }
                    i.set_block(slot, 0);
                }
            }
            base += span;
            span = span.saturating_mul(p);
        }
        i.set_sectors(i.sectors().saturating_sub(freed * self.spb()));
        Ok(())
    }

    fn read_ptrs(&mut self, b: u32) -> Result<Vec<u32>> {
        let blk = self.cache.read(&mut self.dev, b as u64)?;
        let mut v = Vec::new();
        v.try_reserve_exact(blk.len() / 4).map_err(|_| Error::NoMemory)?;
        v.extend(blk.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])));
        Ok(v)
    }

    /// Frees block `b` and, for depth > 0, everything it points to.
    fn free_tree(&mut self, b: u32, depth: u32, freed: &mut u64) -> Result<()> {
        if depth > 0 {
            for c in self.read_ptrs(b)? {
                if c != 0 {
                    self.free_tree(self.check_blk(c)?, depth - 1, freed)?;
                }
            }
        }
        self.free_block(b)?;
        *freed += 1;
        Ok(())
    }

    /// In the indirect block `b` (of `depth`, mapping from logical `base`),
    /// frees what maps `keep` and beyond; says whether `b` is now empty.
    fn trunc_tree(&mut self, b: u32, depth: u32, base: u64, keep: u64, freed: &mut u64) -> Result<bool> {
        let child_span = self.ptrs().pow(depth - 1);
        let mut ptrs = self.read_ptrs(b)?;
        let mut changed = false;
        for (k, c) in ptrs.iter_mut().enumerate() {
            if *c == 0 {
                continue;
            }
            let cb = base + k as u64 * child_span;
            if cb >= keep {
                self.free_tree(self.check_blk(*c)?, depth - 1, freed)?;
                *c = 0;
                changed = true;
            } else if depth > 1 && cb + child_span > keep && self.trunc_tree(self.check_blk(*c)?, depth - 1, cb, keep, freed)? {
                self.free_block(*c)?;
                *freed += 1;
                *c = 0;
                changed = true;
            }
        }
        if changed {
            let blk = self.cache.modify(&mut self.dev, b as u64)?;
            for (k, c) in ptrs.iter().enumerate() {
                put32(blk, k * 4, *c);
            }
        }
        Ok(ptrs.iter().all(|&c| c == 0))
    }
}
