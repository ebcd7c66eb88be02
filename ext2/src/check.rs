//! A consistency check without repair (what the server can run at a mount
//! after an unclean stop, to decide on a read-only mount): the tree from
//! the root, link counts, "." and "..", each inode's blocks (no block
//! twice, i_blocks right), and the bitmaps and free counts against what
//! is actually in use.

use crate::device::BlockDevice;
use crate::error::{Error, Result};
use crate::fs::{has_super, FileSystem, Ino, ROOT_INO};
use crate::layout::*;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// What `check` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub inodes_in_use: u64,
    pub blocks_in_use: u64,
    /// One line per inconsistency (empty when clean).
    pub problems: Vec<String>,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Problems reported at most (a badly damaged volume stops early).
const MAX_PROBLEMS: usize = 100;

struct Bits(Vec<u64>);

impl Bits {
    fn new(n: u64) -> Result<Bits> {
        let mut v = Vec::new();
        v.try_reserve_exact(n.div_ceil(64) as usize).map_err(|_| Error::NoMemory)?;
        v.resize(n.div_ceil(64) as usize, 0);
        Ok(Bits(v))
    }
    /// Sets bit `i`; says whether it was set already.
    fn set(&mut self, i: u64) -> bool {
        let (w, b) = ((i / 64) as usize, i % 64);
        let was = self.0[w] & (1 << b) != 0;
        self.0[w] |= 1 << b;
        was
    }
    fn get(&self, i: u64) -> bool {
        self.0[(i / 64) as usize] & (1 << (i % 64)) != 0
    }
}

struct Walk {
    blocks: Bits,
    problems: Vec<String>,
    /// References to each inode found in directories.
    refs: BTreeMap<Ino, u32>,
    /// Subdirectories of each directory.
    subdirs: BTreeMap<Ino, u32>,
}

impl Walk {
    fn problem(&mut self, p: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        }
    }
}

impl<D: BlockDevice> FileSystem<D> {
    /// Checks the volume; the caches are written first so the check sees
    /// the current state. Errors only for I/O or memory, never for damage
    /// (that goes into the report).
    pub fn check(&mut self) -> Result<CheckReport> {
        self.sync()?;
        let nblocks = self.sb.blocks_count() as u64;
        let mut w = Walk { blocks: Bits::new(nblocks)?, problems: Vec::new(), refs: BTreeMap::new(), subdirs: BTreeMap::new() };
        self.mark_metadata(&mut w);
        // Inodes in use: the reserved ones the bitmap marks (bad blocks,
        // resize, journal...), the tree from the root, the orphan list.
        let mut used = Bits::new(self.sb.inodes_count() as u64 + 1)?;
        for ino in 1..self.sb.first_ino() {
            if ino != ROOT_INO && self.inode_bit(ino)? {
                used.set(ino as u64);
                let i = self.read_inode(ino)?;
                if self.has_block_map(&i) || (i.mode() == 0 && ino != 11) {
                    self.mark_blocks(&i, &mut w)?;
                }
            }
        }
        self.walk_tree(&mut w, &mut used)?;
        let mut cur = self.sb.last_orphan();
        let mut steps = 0;
        while cur != 0 && steps < self.sb.inodes_count() {
            steps += 1;
            if cur > self.sb.inodes_count() || used.set(cur as u64) {
                w.problem(format!("orphan list: bad or repeated inode {cur}"));
                break;
            }
            let i = self.read_inode(cur)?;
            self.mark_blocks(&i, &mut w)?;
            cur = i.dtime();
        }
        let (inodes_in_use, blocks_in_use) = self.compare_bitmaps(&mut w, &used)?;
        Ok(CheckReport { inodes_in_use, blocks_in_use, problems: w.problems })
    }

    fn inode_bit(&mut self, ino: Ino) -> Result<bool> {
        let g = ((ino - 1) / self.ipg) as usize;
        let bit = ((ino - 1) % self.ipg) as usize;
        let map = self.cache.read(&mut self.dev, self.groups[g].inode_bitmap as u64)?;
        Ok(map[bit / 8] & (1 << (bit % 8)) != 0)
    }

    /// Superblock copies, descriptors, bitmaps and inode tables.
    fn mark_metadata(&self, w: &mut Walk) {
        let sparse = self.sb.feature_ro_compat() & RO_COMPAT_SPARSE_SUPER != 0;
        for b in 0..self.sb.first_data_block() as u64 {
            w.blocks.set(b);
        }
        for g in 0..self.ngroups() {
            let (start, _) = self.group_span(g);
            let gd = self.groups[g as usize];
            if has_super(g, sparse) {
                // The reserved GDT blocks belong to the resize inode and are counted with it.
                for b in start..start + 1 + self.gdt_blocks() {
                    w.blocks.set(b);
                }
            }
            w.blocks.set(gd.block_bitmap as u64);
            w.blocks.set(gd.inode_bitmap as u64);
            for b in gd.inode_table as u64..gd.inode_table as u64 + self.itable_blocks() {
                w.blocks.set(b);
            }
        }
    }

    /// Marks the inode's blocks (map and xattr block); checks i_blocks.
    fn mark_blocks(&mut self, i: &Inode, w: &mut Walk) -> Result<()> {
        let mut count = 0u64;
        if self.has_block_map(i) || (i.mode() == 0 && i.ino < self.sb.first_ino()) {
            for (slot, depth) in (0..N_BLOCKS).map(|k| (k, k.saturating_sub(NDIR - 1) as u32)) {
                let b = i.block(slot);
                if b != 0 {
                    self.mark_tree(i.ino, b, depth, w, &mut count)?;
                }
            }
        }
        let acl = i.file_acl();
        if acl != 0 {
            count += 1;
            // A shared xattr block is marked once per user: only the first counts as a duplicate-free mark.
            if (acl as u64) < self.sb.blocks_count() as u64 {
                w.blocks.set(acl as u64);
            } else {
                w.problem(format!("inode {}: xattr block {acl} out of range", i.ino));
            }
        }
        let spb = (self.bs / 512) as u64;
        if i.sectors() != count * spb {
            w.problem(format!("inode {}: i_blocks {} but {} blocks in use", i.ino, i.sectors(), count));
        }
        Ok(())
    }

    fn mark_tree(&mut self, ino: Ino, b: u32, depth: u32, w: &mut Walk, count: &mut u64) -> Result<()> {
        if b < self.sb.first_data_block() || b >= self.sb.blocks_count() {
            w.problem(format!("inode {ino}: block {b} out of range"));
            return Ok(());
        }
        if w.blocks.set(b as u64) {
            w.problem(format!("inode {ino}: block {b} already in use"));
            return Ok(());
        }
        *count += 1;
        if depth > 0 {
            let blk = self.cache.read(&mut self.dev, b as u64)?;
            let ptrs: Vec<u32> = blk.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).filter(|&p| p != 0).collect();
            for p in ptrs {
                self.mark_tree(ino, p, depth - 1, w, count)?;
            }
        }
        Ok(())
    }

    /// Breadth-first from the root: entries, "." and "..", link counts.
    fn walk_tree(&mut self, w: &mut Walk, used: &mut Bits) -> Result<()> {
        let mut queue = vec![(ROOT_INO, ROOT_INO)];
        used.set(ROOT_INO as u64);
        while let Some((dir, parent)) = queue.pop() {
            let d = self.read_inode(dir)?;
            self.mark_blocks(&d, w)?;
            let entries = match self.read_dir(dir) {
                Ok(e) => e,
                Err(e) => {
                    w.problem(format!("directory {dir}: {e:?}"));
                    continue;
                }
            };
            let (mut dot, mut dotdot) = (None, None);
            for e in entries {
                if e.name == b"." {
                    dot = Some(e.ino);
                    continue;
                }
                if e.name == b".." {
                    dotdot = Some(e.ino);
                    continue;
                }
                if e.ino == 0 || e.ino > self.sb.inodes_count() {
                    w.problem(format!("directory {dir}: entry with inode {}", e.ino));
                    continue;
                }
                *w.refs.entry(e.ino).or_insert(0) += 1;
                let i = self.read_inode(e.ino)?;
                if i.mode() == 0 {
                    w.problem(format!("directory {dir}: entry for free inode {}", e.ino));
                    continue;
                }
                if i.is_dir() {
                    *w.subdirs.entry(dir).or_insert(0) += 1;
                    if used.set(e.ino as u64) {
                        w.problem(format!("directory {} has a second name in {dir}", e.ino));
                        continue;
                    }
                    queue.push((e.ino, dir));
                } else if !used.set(e.ino as u64) {
                    self.mark_blocks(&i, w)?;
                }
            }
            if dot != Some(dir) || dotdot != Some(parent) {
                w.problem(format!("directory {dir}: '.' {dot:?} and '..' {dotdot:?}, expected {dir} and {parent}"));
            }
            let links = d.links() as u32;
            let want = 2 + w.subdirs.get(&dir).copied().unwrap_or(0);
            if links != want {
                w.problem(format!("directory {dir}: {links} links, {want} counted"));
            }
        }
        let refs: Vec<(Ino, u32)> = w.refs.iter().map(|(&a, &b)| (a, b)).collect();
        for (ino, n) in refs {
            let i = self.read_inode(ino)?;
            if !i.is_dir() && i.links() as u32 != n {
                w.problem(format!("inode {ino}: {} links, {n} names", i.links()));
            }
        }
        Ok(())
    }

    /// The bitmaps and counts against what the walk found in use.
    fn compare_bitmaps(&mut self, w: &mut Walk, used: &Bits) -> Result<(u64, u64)> {
        let (mut total_free_b, mut total_free_i, mut in_use_b, mut in_use_i) = (0u64, 0u64, 0u64, 0u64);
        for g in 0..self.ngroups() {
            let (start, count) = self.group_span(g);
            let gd = self.groups[g as usize];
            let map = self.cache.read(&mut self.dev, gd.block_bitmap as u64)?.to_vec();
            let mut free = 0u64;
            let mut diff = 0u64;
            for k in 0..count {
                let on = map[(k / 8) as usize] & (1 << (k % 8)) != 0;
                let inuse = w.blocks.get(start + k);
                free += u64::from(!on);
                in_use_b += u64::from(inuse);
                diff += u64::from(on != inuse);
            }
            if diff != 0 {
                w.problem(format!("group {g}: {diff} blocks differ between the bitmap and use"));
            }
            if free != gd.free_blocks as u64 {
                w.problem(format!("group {g}: {} free blocks recorded, {free} in the bitmap", gd.free_blocks));
            }
            total_free_b += free;
            let map = self.cache.read(&mut self.dev, gd.inode_bitmap as u64)?.to_vec();
            let (mut free, mut diff, mut dirs) = (0u64, 0u64, 0u64);
            for k in 0..self.ipg as u64 {
                let ino = g as u64 * self.ipg as u64 + k + 1;
                let on = map[(k / 8) as usize] & (1 << (k % 8)) != 0;
                let inuse = used.get(ino);
                free += u64::from(!on);
                in_use_i += u64::from(inuse);
                diff += u64::from(on != inuse);
                if inuse && self.read_inode(ino as Ino)?.is_dir() {
                    dirs += 1;
                }
            }
            if diff != 0 {
                w.problem(format!("group {g}: {diff} inodes differ between the bitmap and use"));
            }
            if free != gd.free_inodes as u64 || dirs != gd.used_dirs as u64 {
                w.problem(format!("group {g}: {}/{} free inodes/dirs recorded, {free}/{dirs} found", gd.free_inodes, gd.used_dirs));
            }
            total_free_i += free;
        }
        if total_free_b != self.sb.free_blocks() as u64 || total_free_i != self.sb.free_inodes() as u64 {
            w.problem(format!(
                "superblock: {}/{} free blocks/inodes, groups say {total_free_b}/{total_free_i}",
                self.sb.free_blocks(),
                self.sb.free_inodes()
            ));
        }
        Ok((in_use_i, in_use_b))
    }
}
