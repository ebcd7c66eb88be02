//! The mounted file system: mount and its checks, groups, the bitmaps and
//! allocation, inode I/O, statfs, the orphan list, sync and unmount.
//! Block maps and file contents are in `file.rs`, directory entries in
//! `dir.rs`, the namespace operations in `ops.rs`.

use crate::cache::Cache;
use crate::device::BlockDevice;
use crate::dir::DirIndexes;
use crate::error::{Error, Result};
use crate::layout::*;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

/// An inode number (ext2 numbers inodes from 1; 0 means "none").
pub type Ino = u32;
/// The root directory's inode.
pub const ROOT_INO: Ino = 2;
/// EXT2_LINK_MAX.
pub const LINK_MAX: u16 = 32000;

/// Where the time comes from (the server's clock; a fixed one in tests).
pub trait Clock {
    fn now(&self) -> Time;
}

/// A clock that always says the same time.
pub struct FixedClock(pub Time);

impl Clock for FixedClock {
    fn now(&self) -> Time {
        self.0
    }
}

/// How to mount.
#[derive(Clone, Copy, Debug)]
pub struct MountOptions {
    /// Refuse every change (`Error::ReadOnly`); the disk is never written.
    pub read_only: bool,
    /// Record the access time on reads.
    pub update_atime: bool,
    /// File-system blocks kept in the block cache.
    pub cache_blocks: usize,
}

impl Default for MountOptions {
    fn default() -> Self {
        MountOptions { read_only: false, update_atime: false, cache_blocks: 2048 }
    }
}

/// What `stat` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    pub ino: Ino,
    /// Type and permission bits, as in `st_mode`.
    pub mode: u16,
    pub nlink: u16,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// Allocated space in 512-byte units (`st_blocks`).
    pub blocks: u64,
    pub atime: Time,
    pub mtime: Time,
    pub ctime: Time,
    /// Creation time (0 in a 128-byte inode).
    pub crtime: Time,
    /// Device number (Linux `dev_t` encoding) of a character or block device.
    pub rdev: u64,
    pub generation: u32,
    pub flags: u32,
}

impl Metadata {
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }
}

/// Volume figures, as `statfs` reports them (Linux ext2's "bsddf" view:
/// `blocks` leaves out the metadata overhead).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatFs {
    pub block_size: u32,
    pub blocks: u64,
    pub free_blocks: u64,
    /// Free blocks minus the reserved ones (what an ordinary user may use).
    pub avail_blocks: u64,
    pub inodes: u64,
    pub free_inodes: u64,
    pub name_max: u32,
    pub fsid: u64,
}

/// A mounted ext2 volume.
pub struct FileSystem<D: BlockDevice> {
    pub(crate) dev: D,
    pub(crate) cache: Cache,
    pub(crate) sb: Superblock,
    pub(crate) groups: Vec<GroupDesc>,
    pub(crate) bs: usize,
    pub(crate) ipg: u32,
    pub(crate) bpg: u32,
    pub(crate) isize: usize,
    pub(crate) read_only: bool,
    pub(crate) filetype: bool,
    pub(crate) opts: MountOptions,
    pub(crate) clock: Box<dyn Clock + Send>,
    pub(crate) dirs: DirIndexes,
    /// Inodes held open by the server: ino -> count.
    pub(crate) open: BTreeMap<Ino, u32>,
    pub(crate) next_generation: u32,
    overhead: u64,
    was_clean: bool,
    /// Whether the caller may use the reserved blocks (s_r_blocks_count).
    privileged: bool,
    gd_dirty: bool,
}

/// Whether group `g` holds a superblock backup (sparse_super: 0, 1 and
/// powers of 3, 5 and 7).
pub(crate) fn has_super(g: u32, sparse: bool) -> bool {
    if !sparse || g <= 1 {
        return true;
    }
    for base in [3u32, 5, 7] {
        let mut n = base;
        while n < g {
            n = n.saturating_mul(base);
        }
        if n == g {
            return true;
        }
    }
    false
}

impl<D: BlockDevice> FileSystem<D> {
    /// Mounts the volume on `dev`. Unknown incompatible features refuse the
    /// mount (`Unsupported`); unknown read-only-compatible ones refuse a
    /// read-write mount (`ReadOnly`). A read-write mount releases the
    /// inodes on the orphan list (files unlinked while open when the
    /// machine stopped).
    pub fn mount(mut dev: D, clock: Box<dyn Clock + Send>, opts: MountOptions) -> Result<Self> {
        let dbs = dev.block_size();
        if dbs == 0 || !dbs.is_power_of_two() || dbs > 65536 {
            return Err(Error::Unsupported);
        }
        let dev_bytes = dev.num_blocks().checked_mul(dbs as u64).ok_or(Error::Corrupt)?;
        let first = SB_OFFSET / dbs as u64;
        let end = (SB_OFFSET + SB_SIZE as u64).div_ceil(dbs as u64);
        let mut buf = vec![0u8; ((end - first) as usize) * dbs];
        dev.read_blocks(first, &mut buf)?;
        let skip = (SB_OFFSET - first * dbs as u64) as usize;
        let sb = Superblock::parse(&buf[skip..], dev_bytes)?;
        let bs = 1024usize << sb.log_block_size();
        if !bs.is_multiple_of(dbs) {
            return Err(Error::Unsupported);
        }
        if sb.feature_incompat() & !INCOMPAT_SUPPORTED != 0 {
            return Err(Error::Unsupported);
        }
        if !opts.read_only && sb.feature_ro_compat() & !RO_COMPAT_SUPPORTED != 0 {
            return Err(Error::ReadOnly);
        }
        let cache = Cache::new(bs, (bs / dbs) as u64, opts.cache_blocks, sb.blocks_count() as u64);
        let now = clock.now();
        let mut fs = FileSystem {
            dev,
            cache,
            ipg: sb.inodes_per_group(),
            bpg: sb.blocks_per_group(),
            isize: sb.inode_size() as usize,
            read_only: opts.read_only,
            filetype: sb.feature_incompat() & INCOMPAT_FILETYPE != 0,
            was_clean: sb.state() & STATE_VALID != 0 && sb.state() & STATE_ERRORS == 0,
            sb,
            groups: Vec::new(),
            bs,
            opts,
            clock,
            dirs: DirIndexes::default(),
            open: BTreeMap::new(),
            next_generation: (now.sec as u32) ^ now.nsec,
            overhead: 0,
            privileged: true,
            gd_dirty: false,
        };
        fs.load_groups()?;
        if !fs.read_only {
            fs.reclaim_orphans()?;
            let sb = &mut fs.sb;
            sb.set_mnt_count(sb.mnt_count().wrapping_add(1));
            sb.set_mtime(now.sec as u32);
            // Not clean until unmounted: a crash leaves the flag clear for fsck.
            sb.set_state(sb.state() & !STATE_VALID);
            fs.sync()?;
        }
        Ok(fs)
    }

    pub(crate) fn ngroups(&self) -> u32 {
        self.groups.len() as u32
    }

    /// First block and block count of group `g`.
    pub(crate) fn group_span(&self, g: u32) -> (u64, u64) {
        let start = self.sb.first_data_block() as u64 + g as u64 * self.bpg as u64;
        (start, (self.sb.blocks_count() as u64 - start).min(self.bpg as u64))
    }

    pub(crate) fn itable_blocks(&self) -> u64 {
        (self.ipg as u64 * self.isize as u64).div_ceil(self.bs as u64)
    }

    pub(crate) fn gdt_blocks(&self) -> u64 {
        (self.groups.len() * GD_SIZE).div_ceil(self.bs) as u64
    }

    /// Reads and checks the group descriptors; the superblock's free
    /// counts are recomputed from them (as Linux does at mount).
    fn load_groups(&mut self) -> Result<()> {
        let blocks = self.sb.blocks_count() as u64;
        let n = (blocks - self.sb.first_data_block() as u64).div_ceil(self.bpg as u64) as usize;
        let gdt = self.sb.first_data_block() as u64 + 1;
        let per = self.bs / GD_SIZE;
        let mut groups = Vec::new();
        groups.try_reserve_exact(n).map_err(|_| Error::NoMemory)?;
        for g in 0..n {
            let b = self.cache.read(&mut self.dev, gdt + (g / per) as u64)?;
            let off = (g % per) * GD_SIZE;
            groups.push(GroupDesc::parse(&b[off..off + GD_SIZE]));
        }
        self.groups = groups;
        let itb = self.itable_blocks();
        let (mut fb, mut fi) = (0u64, 0u64);
        let sparse = self.sb.feature_ro_compat() & RO_COMPAT_SPARSE_SUPER != 0;
        let reserved_gdt = le16(&self.sb.raw, 206) as u64;
        let mut overhead = self.sb.first_data_block() as u64;
        for g in 0..n as u32 {
            let gd = self.groups[g as usize];
            let (start, count) = self.group_span(g);
            let inside = |b: u64, len: u64| b >= start && b + len <= start + count;
            if !inside(gd.block_bitmap as u64, 1) || !inside(gd.inode_bitmap as u64, 1) || !inside(gd.inode_table as u64, itb) {
                return Err(Error::Corrupt);
            }
            if gd.free_blocks as u64 > count || gd.free_inodes as u32 > self.ipg || gd.used_dirs as u32 > self.ipg {
                return Err(Error::Corrupt);
            }
            fb += gd.free_blocks as u64;
            fi += gd.free_inodes as u64;
            overhead += 2 + itb;
            if has_super(g, sparse) {
                overhead += 1 + self.gdt_blocks() + reserved_gdt;
            }
        }
        // mke2fs records the figure (s_overhead_clusters) and Linux uses it.
        let recorded = le32(&self.sb.raw, 0x248) as u64;
        self.overhead = if recorded != 0 && recorded < blocks { recorded } else { overhead };
        if fb != self.sb.free_blocks() as u64 || fi != self.sb.free_inodes() as u64 {
            self.sb.set_free_blocks(fb as u32);
            self.sb.set_free_inodes(fi as u32);
        }
        Ok(())
    }

    pub fn root(&self) -> Ino {
        ROOT_INO
    }

    /// Whether the volume was marked clean (unmounted) before this mount.
    pub fn was_cleanly_unmounted(&self) -> bool {
        self.was_clean
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub fn block_size(&self) -> usize {
        self.bs
    }

    pub fn superblock(&self) -> &Superblock {
        &self.sb
    }

    pub fn device(&self) -> &D {
        &self.dev
    }

    /// Block cache (hits, misses).
    pub fn cache_stats(&self) -> (u64, u64) {
        (self.cache.hits, self.cache.misses)
    }

    pub(crate) fn now(&self) -> Time {
        self.clock.now()
    }

    pub(crate) fn writable(&self) -> Result<()> {
        if self.read_only { Err(Error::ReadOnly) } else { Ok(()) }
    }

    /// Volume figures for statfs.
    pub fn statfs(&self) -> StatFs {
        let u = self.sb.uuid();
        let word = |i: usize| u32::from_le_bytes([u[i], u[i + 1], u[i + 2], u[i + 3]]) as u64;
        let free = self.sb.free_blocks() as u64;
        StatFs {
            block_size: self.bs as u32,
            blocks: (self.sb.blocks_count() as u64).saturating_sub(self.overhead),
            free_blocks: free,
            avail_blocks: free.saturating_sub(self.sb.r_blocks_count() as u64),
            inodes: self.sb.inodes_count() as u64,
            free_inodes: self.sb.free_inodes() as u64,
            name_max: 255,
            fsid: (word(0) ^ word(8)) | (word(4) ^ word(12)) << 32,
        }
    }

    // ---- inodes ----

    fn inode_pos(&self, ino: Ino) -> Result<(u64, usize)> {
        if ino == 0 || ino > self.sb.inodes_count() {
            return Err(Error::Corrupt);
        }
        let g = (ino - 1) / self.ipg;
        let idx = ((ino - 1) % self.ipg) as usize * self.isize;
        let table = self.groups[g as usize].inode_table as u64;
        Ok((table + (idx / self.bs) as u64, idx % self.bs))
    }

    /// The inode's on-disk bytes.
    pub fn read_inode(&mut self, ino: Ino) -> Result<Inode> {
        let (blk, off) = self.inode_pos(ino)?;
        let isz = self.isize;
        let b = self.cache.read(&mut self.dev, blk)?;
        let mut raw = Vec::new();
        raw.try_reserve_exact(isz).map_err(|_| Error::NoMemory)?;
        raw.extend_from_slice(&b[off..off + isz]);
        Ok(Inode { ino, raw })
    }

    pub(crate) fn write_inode(&mut self, inode: &Inode) -> Result<()> {
        self.writable()?;
        let (blk, off) = self.inode_pos(inode.ino)?;
        let b = self.cache.modify(&mut self.dev, blk)?;
        b[off..off + inode.raw.len()].copy_from_slice(&inode.raw);
        Ok(())
    }

    /// An inode that is in use (links or held open), for the operations.
    pub(crate) fn live_inode(&mut self, ino: Ino) -> Result<Inode> {
        let i = self.read_inode(ino)?;
        if i.mode() == 0 || (i.links() == 0 && !self.open.contains_key(&ino)) {
            return Err(Error::NotFound);
        }
        Ok(i)
    }

    /// Read-modify-write of one inode.
    pub(crate) fn update(&mut self, ino: Ino, f: impl FnOnce(&mut Inode, Time)) -> Result<()> {
        let mut i = self.read_inode(ino)?;
        let now = self.now();
        f(&mut i, now);
        self.write_inode(&i)
    }

    // ---- bitmaps ----

    /// First clear bit in `bits[from..to)` of a bitmap block.
    fn find_clear(map: &[u8], from: usize, to: usize) -> Option<usize> {
        let mut i = from;
        while i < to {
            if i.is_multiple_of(8) && i + 8 <= to && map[i / 8] == 0xff {
                i += 8;
                continue;
            }
            if map[i / 8] & (1 << (i % 8)) == 0 {
                return Some(i);
            }
            i += 1;
        }
        None
    }

    fn take_bit(&mut self, bitmap: u64, from: usize, to: usize) -> Result<Option<usize>> {
        let map = self.cache.read(&mut self.dev, bitmap)?;
        let Some(bit) = Self::find_clear(map, from, to).or_else(|| Self::find_clear(map, 0, from.min(to))) else {
            return Ok(None);
        };
        self.cache.modify(&mut self.dev, bitmap)?[bit / 8] |= 1 << (bit % 8);
        Ok(Some(bit))
    }

    fn clear_bit(&mut self, bitmap: u64, bit: usize) -> Result<()> {
        let map = self.cache.modify(&mut self.dev, bitmap)?;
        if map[bit / 8] & (1 << (bit % 8)) == 0 {
            return Err(Error::Corrupt); // freeing what is free: the bitmap is wrong
        }
        map[bit / 8] &= !(1 << (bit % 8));
        Ok(())
    }

    /// Allocates one block near `goal` (a block number; 0 for "anywhere").
    /// Says whether the requests that follow may use the blocks reserved
    /// for root (s_r_blocks_count): the server sets it from the caller's
    /// credentials (uid 0, or s_def_resuid/resgid) before each request.
    /// Privileged until told otherwise.
    pub fn set_privileged(&mut self, privileged: bool) {
        self.privileged = privileged;
    }

    pub(crate) fn alloc_block(&mut self, goal: u64) -> Result<u32> {
        self.writable()?;
        if !self.privileged && self.sb.free_blocks() <= self.sb.r_blocks_count() {
            return Err(Error::NoSpace);
        }
        let n = self.ngroups();
        let fdb = self.sb.first_data_block() as u64;
        let goal = if goal >= fdb && goal < self.sb.blocks_count() as u64 { goal } else { fdb };
        let g0 = ((goal - fdb) / self.bpg as u64) as u32;
        for k in 0..n {
            let g = (g0 + k) % n;
            if self.groups[g as usize].free_blocks == 0 {
                continue;
            }
            let (start, count) = self.group_span(g);
            let from = if k == 0 { (goal - start) as usize } else { 0 };
            let bm = self.groups[g as usize].block_bitmap as u64;
            if let Some(bit) = self.take_bit(bm, from, count as usize)? {
                self.groups[g as usize].free_blocks -= 1;
                self.sb.set_free_blocks(self.sb.free_blocks().saturating_sub(1));
                self.gd_dirty = true;
                return Ok((start + bit as u64) as u32);
            }
            // The count said free, the bitmap says full: the group is corrupt.
            return Err(Error::Corrupt);
        }
        Err(Error::NoSpace)
    }

    pub(crate) fn free_block(&mut self, blk: u32) -> Result<()> {
        let fdb = self.sb.first_data_block();
        if blk < fdb || blk >= self.sb.blocks_count() {
            return Err(Error::Corrupt);
        }
        let g = (blk - fdb) / self.bpg;
        let (start, _) = self.group_span(g);
        self.clear_bit(self.groups[g as usize].block_bitmap as u64, (blk as u64 - start) as usize)?;
        // Saturating: a corrupt descriptor must not make arithmetic panic.
        let gd = &mut self.groups[g as usize];
        gd.free_blocks = gd.free_blocks.saturating_add(1);
        self.sb.set_free_blocks(self.sb.free_blocks().saturating_add(1));
        self.gd_dirty = true;
        self.cache.forget(blk as u64);
        Ok(())
    }

    /// Allocates an inode: a directory goes to a group with free inodes and
    /// the fewest directories among those with at least average free blocks
    /// (spreading trees, as Orlov does); anything else next to its parent.
    pub(crate) fn alloc_inode(&mut self, parent: Ino, dir: bool) -> Result<Ino> {
        self.writable()?;
        let n = self.ngroups();
        let pg = (parent.saturating_sub(1) / self.ipg).min(n - 1);
        let order: Vec<u32> = if dir {
            let avg = self.sb.free_blocks() as u64 / n as u64;
            let mut best: Option<u32> = None;
            for g in 0..n {
                let gd = &self.groups[g as usize];
                if gd.free_inodes == 0 || (gd.free_blocks as u64) < avg {
                    continue;
                }
                if best.is_none_or(|b| gd.used_dirs < self.groups[b as usize].used_dirs) {
                    best = Some(g);
                }
            }
            let b = best.unwrap_or(pg);
            (0..n).map(|k| (b + k) % n).collect()
        } else {
            (0..n).map(|k| (pg + k) % n).collect()
        };
        for g in order {
            if self.groups[g as usize].free_inodes == 0 {
                continue;
            }
            let bm = self.groups[g as usize].inode_bitmap as u64;
            // Reserved inodes (below s_first_ino) are never handed out.
            let low = if g == 0 { self.sb.first_ino() as usize - 1 } else { 0 };
            if let Some(bit) = self.take_bit(bm, low, self.ipg as usize)? {
                if bit < low {
                    return Err(Error::Corrupt);
                }
                let gd = &mut self.groups[g as usize];
                gd.free_inodes -= 1;
                if dir {
                    gd.used_dirs = gd.used_dirs.saturating_add(1);
                }
                self.sb.set_free_inodes(self.sb.free_inodes().saturating_sub(1));
                self.gd_dirty = true;
                return Ok(g * self.ipg + bit as u32 + 1);
            }
            return Err(Error::Corrupt);
        }
        Err(Error::NoSpace)
    }

    fn free_inode_bit(&mut self, ino: Ino, dir: bool) -> Result<()> {
        let g = ((ino - 1) / self.ipg) as usize;
        self.clear_bit(self.groups[g].inode_bitmap as u64, ((ino - 1) % self.ipg) as usize)?;
        let gd = &mut self.groups[g];
        gd.free_inodes = gd.free_inodes.saturating_add(1);
        if dir {
            gd.used_dirs = gd.used_dirs.saturating_sub(1);
        }
        self.sb.set_free_inodes(self.sb.free_inodes().saturating_add(1));
        self.gd_dirty = true;
        Ok(())
    }

    /// Frees an inode whose last link is gone: its blocks, its xattr block
    /// reference, its bitmap bit; dtime records the deletion.
    pub(crate) fn destroy(&mut self, ino: Ino) -> Result<()> {
        let mut i = self.read_inode(ino)?;
        if self.has_block_map(&i) {
            self.free_from(&mut i, 0)?;
        }
        self.release_xattr_block(&mut i)?;
        let now = self.now();
        i.set_links(0);
        i.set_size(0);
        i.set_dtime((now.sec as u32).max(1));
        for k in 0..N_BLOCKS {
            i.set_block(k, 0);
        }
        self.write_inode(&i)?;
        self.dirs.forget(ino);
        self.free_inode_bit(ino, i.is_dir())
    }

    /// Drops the inode's reference to a shared extended-attribute block
    /// (ext_attr: h_refcount at byte 4), freeing the block with the last one.
    fn release_xattr_block(&mut self, i: &mut Inode) -> Result<()> {
        let b = i.file_acl();
        if b == 0 {
            return Ok(());
        }
        let blk = self.cache.modify(&mut self.dev, b as u64)?;
        if le32(blk, 0) != 0xEA02_0000 {
            return Err(Error::Corrupt);
        }
        let refs = le32(blk, 4).saturating_sub(1);
        put32(blk, 4, refs);
        if refs == 0 {
            self.free_block(b)?;
        }
        i.set_file_acl(0);
        i.set_sectors(i.sectors().saturating_sub((self.bs / 512) as u64));
        Ok(())
    }

    // ---- open files and the orphan list ----

    /// The server opened `ino`: while held, the inode outlives its last link.
    pub fn hold(&mut self, ino: Ino) -> Result<()> {
        self.live_inode(ino)?;
        *self.open.entry(ino).or_insert(0) += 1;
        Ok(())
    }

    /// The server closed `ino`; with the last close of an unlinked inode its
    /// data goes (and it leaves the orphan list).
    pub fn release(&mut self, ino: Ino) -> Result<()> {
        let Some(c) = self.open.get_mut(&ino) else { return Err(Error::InvalidArgument) };
        *c -= 1;
        if *c > 0 {
            return Ok(());
        }
        self.open.remove(&ino);
        if self.read_only || self.read_inode(ino)?.links() != 0 {
            return Ok(());
        }
        self.orphan_remove(ino)?;
        self.destroy(ino)
    }

    /// The inode lost its last link: free it now, or, if it is open, put it
    /// on the orphan list (the ext3 way: s_last_orphan heads a chain through
    /// i_dtime) so that a crash before the last close frees it at the next mount.
    pub(crate) fn unlinked(&mut self, ino: Ino) -> Result<()> {
        if !self.open.contains_key(&ino) {
            return self.destroy(ino);
        }
        let head = self.sb.last_orphan();
        self.update(ino, |i, _| i.set_dtime(head))?;
        self.sb.set_last_orphan(ino);
        Ok(())
    }

    fn orphan_remove(&mut self, ino: Ino) -> Result<()> {
        let next = self.read_inode(ino)?.dtime();
        if self.sb.last_orphan() == ino {
            self.sb.set_last_orphan(next);
            return Ok(());
        }
        let mut cur = self.sb.last_orphan();
        for _ in 0..self.sb.inodes_count() {
            if cur == 0 {
                break;
            }
            let c = self.read_inode(cur)?;
            if c.dtime() == ino {
                self.update(cur, |i, _| i.set_dtime(next))?;
                return Ok(());
            }
            cur = c.dtime();
        }
        Err(Error::Corrupt)
    }

    /// Frees the inodes on the orphan list (unlinked while open at a crash).
    fn reclaim_orphans(&mut self) -> Result<()> {
        let mut cur = self.sb.last_orphan();
        let mut steps = 0;
        while cur != 0 {
            steps += 1;
            if cur < self.sb.first_ino() || cur > self.sb.inodes_count() || steps > self.sb.inodes_count() {
                return Err(Error::Corrupt);
            }
            let i = self.read_inode(cur)?;
            let next = i.dtime();
            if i.links() == 0 {
                self.destroy(cur)?;
            } else {
                self.update(cur, |i, _| i.set_dtime(0))?;
            }
            cur = next;
            self.sb.set_last_orphan(cur);
        }
        Ok(())
    }

    // ---- sync ----

    fn store_groups(&mut self) -> Result<()> {
        let gdt = self.sb.first_data_block() as u64 + 1;
        let per = self.bs / GD_SIZE;
        for g in 0..self.groups.len() {
            let gd = self.groups[g];
            let b = self.cache.modify(&mut self.dev, gdt + (g / per) as u64)?;
            let off = (g % per) * GD_SIZE;
            gd.store_counts(&mut b[off..off + GD_SIZE]);
        }
        self.gd_dirty = false;
        Ok(())
    }

    fn store_superblock(&mut self) -> Result<()> {
        let blk = SB_OFFSET / self.bs as u64;
        let off = (SB_OFFSET % self.bs as u64) as usize;
        let b = self.cache.modify(&mut self.dev, blk)?;
        b[off..off + SB_SIZE].copy_from_slice(&self.sb.raw);
        Ok(())
    }

    /// Writes all dirty metadata and data, then flushes the device: data,
    /// bitmaps, inodes and directory blocks first, and after a device flush
    /// (so the disk cannot reorder them) the group descriptors and the
    /// superblock whose counts describe them.
    pub fn sync(&mut self) -> Result<()> {
        if self.read_only {
            return Ok(());
        }
        self.cache.flush(&mut self.dev)?;
        self.dev.flush()?;
        if self.gd_dirty {
            self.store_groups()?;
        }
        let now = self.now();
        self.sb.set_wtime(now.sec as u32);
        self.store_superblock()?;
        self.cache.flush(&mut self.dev)?;
        Ok(self.dev.flush()?)
    }

    /// Makes `ino`'s data and everything it depends on (its directory
    /// entries, bitmaps, counts) durable. Today this is a whole `sync`: the
    /// cache does not track which blocks belong to which file.
    pub fn fsync(&mut self, ino: Ino) -> Result<()> {
        self.live_inode(ino)?;
        self.sync()
    }

    /// Syncs and marks the volume clean; gives the device back.
    pub fn unmount(mut self) -> Result<D> {
        if !self.read_only {
            let held: Vec<Ino> = self.open.keys().copied().collect();
            for ino in held {
                self.open.insert(ino, 1);
                self.release(ino)?;
            }
            self.sb.set_state(self.sb.state() | STATE_VALID);
            self.sync()?;
        }
        Ok(self.dev)
    }

    /// Stops without marking the volume clean (what a crash leaves, once
    /// the last sync is on the disk): for tests of the orphan list.
    pub fn abandon(self) -> D {
        self.dev
    }

    /// Writes everything and empties the caches (the next reads come from the device).
    pub fn drop_caches(&mut self) -> Result<()> {
        self.sync()?;
        self.cache.clear();
        self.dirs.clear();
        Ok(())
    }
}
