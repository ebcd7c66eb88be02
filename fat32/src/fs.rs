//! The facade: mounting, path lookup, directory operations, metadata and
//! sync. File contents are in `file.rs`, directory entries in `dir.rs`.

use crate::bpb::{Bpb, FsInfo};
use crate::cache::{ChainCache, LookupCache, SectorCache};
use crate::device::{BlockDevice, SectorDev};
use crate::dir::{Cursor, DirEntry, Found, ShortEntry, ENTRY_SIZE};
use crate::error::{Error, Result};
use crate::fat::Fat;
use crate::index::IndexCache;
use crate::mode::*;
use crate::name;
use crate::path;
use crate::time::{Clock, DateTime};
use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

/// An inode number; see the crate docs for how it is derived.
pub type Ino = u64;
/// The root directory's inode number (it has no directory entry).
pub const ROOT_INO: Ino = 1;

/// How to mount.
#[derive(Clone, Copy, Debug)]
pub struct MountOptions {
    /// Refuse every change (`Error::ReadOnly`); the disk is never written.
    pub read_only: bool,
    /// Record the access date on reads.
    pub update_atime: bool,
}

impl Default for MountOptions {
    fn default() -> Self {
        MountOptions { read_only: false, update_atime: true }
    }
}

/// What `stat` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    pub ino: Ino,
    /// UNIX type and permission bits (see `mode`).
    pub mode: u32,
    /// FAT attribute bits.
    pub attributes: u8,
    pub size: u64,
    pub first_cluster: u32,
    pub created: DateTime,
    pub modified: DateTime,
    pub accessed: DateTime,
}

impl Metadata {
    pub fn is_dir(&self) -> bool {
        self.attributes & ATTR_DIRECTORY != 0
    }
}

/// Volume-wide numbers (for statfs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FsStats {
    pub cluster_size: u32,
    pub total_clusters: u32,
    pub free_clusters: u32,
    pub volume_id: u32,
}

/// A directory entry loaded by inode number.
pub(crate) struct Node {
    pub ino: Ino,
    pub sector: u64,
    pub off: usize,
    pub entry: ShortEntry,
}

/// A mounted FAT32 volume.
/// Directory sectors kept (2 MiB of 512-byte sectors at most, filled as
/// used): a directory of ten thousand long names is scanned from memory,
/// not re-read from the disk on every create.
const DIR_CACHE_SECTORS: usize = 4096;

pub struct FileSystem<D: BlockDevice> {
    pub(crate) dev: SectorDev<D>,
    pub(crate) bpb: Bpb,
    pub(crate) fat: Fat,
    /// Directory sectors.
    pub(crate) dcache: SectorCache,
    pub(crate) chains: ChainCache,
    pub(crate) lookups: LookupCache,
    /// Name indices of recently used directories (see `index.rs`).
    pub(crate) dindex: IndexCache,
    /// Directory entries read (for tests: the cost of an operation).
    pub(crate) entries_read: u64,
    pub(crate) clock: Box<dyn Clock + Send>,
    pub(crate) read_only: bool,
    pub(crate) update_atime: bool,
    was_clean: bool,
}

impl<D: BlockDevice> FileSystem<D> {
    /// Mounts the volume on `dev`. Validates the boot sector, reads the
    /// FSInfo hints (trusted only after a clean unmount, otherwise the free
    /// clusters are counted) and, unless read-only, marks the volume dirty
    /// until `unmount`.
    pub fn mount(mut dev: D, clock: Box<dyn Clock + Send>, opts: MountOptions) -> Result<Self> {
        let bs = dev.block_size();
        if bs == 0 || bs > 65536 {
            return Err(Error::Unsupported);
        }
        let mut boot = vec![0u8; bs.max(512).next_multiple_of(bs)];
        dev.read_blocks(0, &mut boot)?;
        let dev_bytes = dev.num_blocks().saturating_mul(bs as u64);
        let bps = crate::bpb::le16(&boot, 11) as u64;
        let bpb = Bpb::parse(&boot, dev_bytes / bps.max(1))?;
        let mut dev = SectorDev::new(dev, bpb.bytes_per_sector as usize)?;
        let mut fat = Fat::new(&bpb);
        let info = if bpb.has_fs_info() {
            let mut s = vec![0u8; bpb.bytes_per_sector as usize];
            dev.read(bpb.fs_info_sector as u64, &mut s)?;
            FsInfo::parse(&s, &bpb)
        } else {
            FsInfo::default()
        };
        let was_clean = fat.is_clean(&mut dev)?;
        fat.free_count = match info.free_count {
            Some(n) if was_clean => n,
            _ => fat.count_free(&mut dev)?,
        };
        fat.next_free = info.next_free.unwrap_or(2);
        if !opts.read_only {
            fat.set_clean(&mut dev, false)?;
        }
        Ok(FileSystem {
            dev,
            bpb,
            fat,
            dcache: SectorCache::new(DIR_CACHE_SECTORS, vec![0]),
            chains: ChainCache::new(64),
            lookups: LookupCache::new(1024),
            dindex: IndexCache::new(),
            entries_read: 0,
            clock,
            read_only: opts.read_only,
            update_atime: opts.update_atime,
            was_clean,
        })
    }

    /// Whether the volume had been unmounted cleanly before this mount.
    pub fn was_cleanly_unmounted(&self) -> bool {
        self.was_clean
    }

    pub fn root(&self) -> Ino {
        ROOT_INO
    }

    /// The device underneath (e.g. to snapshot what a crash would leave).
    pub fn device(&self) -> &D {
        &self.dev.dev
    }

    /// The validated boot-sector geometry.
    pub fn bpb(&self) -> &Bpb {
        &self.bpb
    }

    pub fn stats(&self) -> FsStats {
        FsStats {
            cluster_size: self.bpb.cluster_size(),
            total_clusters: self.bpb.cluster_count,
            free_clusters: self.fat.free_count,
            volume_id: self.bpb.volume_id,
        }
    }

    /// (hits, misses) of the FAT and directory sector caches and lookup-cache hits.
    pub fn cache_stats(&self) -> (u64, u64, u64, u64, u64) {
        let (fh, fm) = self.fat.cache_stats();
        (fh, fm, self.dcache.hits, self.dcache.misses, self.lookups.hits)
    }

    /// Directory entries read since mount: a measure of what directory
    /// operations cost that does not depend on caching or timing.
    pub fn dir_entries_read(&self) -> u64 {
        self.entries_read
    }

    pub(crate) fn check_writable(&self) -> Result<()> {
        if self.read_only {
            Err(Error::ReadOnly)
        } else {
            Ok(())
        }
    }

    /// Loads the directory entry behind `ino`; `NotFound` if there is none.
    pub(crate) fn load(&mut self, ino: Ino) -> Result<Node> {
        if ino == ROOT_INO {
            let mut entry = ShortEntry::new([b' '; 11], 0, ATTR_DIRECTORY, DateTime::EPOCH);
            entry.first_cluster = self.bpb.root_cluster;
            return Ok(Node { ino, sector: 0, off: 0, entry });
        }
        let eps = self.bpb.bytes_per_sector as u64 / ENTRY_SIZE as u64;
        let (sector, off) = (ino / eps, (ino % eps) as usize * ENTRY_SIZE);
        if sector < self.bpb.data_start() || sector >= self.bpb.total_sectors as u64 {
            return Err(Error::NotFound);
        }
        let raw = self.read_raw(sector, off)?;
        let dead = raw[0] == 0 || raw[0] == 0xE5 || raw[0] == b'.';
        if dead || raw[11] & 0x3F == ATTR_LFN || raw[11] & ATTR_VOLUME_ID != 0 {
            return Err(Error::NotFound);
        }
        Ok(Node { ino, sector, off, entry: ShortEntry::parse(&raw) })
    }

    pub(crate) fn load_file(&mut self, ino: Ino) -> Result<Node> {
        let node = self.load(ino)?;
        if node.entry.is_dir() {
            return Err(Error::IsDir);
        }
        Ok(node)
    }

    /// The first cluster of directory `ino`.
    pub(crate) fn dir_cluster(&mut self, ino: Ino) -> Result<u32> {
        let node = self.load(ino)?;
        if !node.entry.is_dir() {
            return Err(Error::NotDir);
        }
        if !self.bpb.valid_cluster(node.entry.first_cluster) {
            return Err(Error::Corrupt);
        }
        Ok(node.entry.first_cluster)
    }

    /// Writes a node's entry back (through the directory cache).
    pub(crate) fn store(&mut self, node: &Node) -> Result<()> {
        if node.ino == ROOT_INO {
            return Ok(()); // the root has no entry to update
        }
        let mut raw = self.read_raw(node.sector, node.off)?;
        node.entry.store(&mut raw);
        self.write_raw(node.sector, node.off, &raw)
    }

    /// Stamps a directory's modification time after its entries changed
    /// (the root has no entry to stamp).
    fn touch_dir(&mut self, dir: Ino) -> Result<()> {
        if dir == ROOT_INO {
            return Ok(());
        }
        let mut node = self.load(dir)?;
        let (date, time) = self.clock.now().to_fat();
        (node.entry.mdate, node.entry.mtime, node.entry.adate) = (date, time, date);
        self.store(&node)
    }

    /// `stat`.
    pub fn stat(&mut self, ino: Ino) -> Result<Metadata> {
        let n = self.load(ino)?;
        let e = &n.entry;
        Ok(Metadata {
            ino,
            mode: mode_from_attr(e.attr),
            attributes: e.attr,
            size: if e.is_dir() { 0 } else { e.size as u64 },
            first_cluster: e.first_cluster,
            created: DateTime::from_fat(e.cdate, e.ctime),
            modified: DateTime::from_fat(e.mdate, e.mtime),
            accessed: DateTime::from_fat(e.adate, 0),
        })
    }

    /// The inode number of directory cluster `c` (found in its parent).
    fn dir_ino(&mut self, c: u32) -> Result<Ino> {
        if c == self.bpb.root_cluster {
            return Ok(ROOT_INO);
        }
        let parent = self.parent_of(c)?;
        let mut cur = Cursor::at(0);
        while let Some(f) = self.next_found(parent, &mut cur)? {
            if f.entry.is_dir() && f.entry.first_cluster == c {
                return Ok(f.ino);
            }
        }
        Err(Error::Corrupt)
    }

    /// Looks `name` up in directory `dir` (case-insensitively). `.` and `..` work.
    pub fn lookup(&mut self, dir: Ino, name: &str) -> Result<Ino> {
        let dcl = self.dir_cluster(dir)?;
        match name {
            "." | "" => return Ok(dir),
            ".." => {
                let parent = if dcl == self.bpb.root_cluster { dcl } else { self.parent_of(dcl)? };
                return self.dir_ino(parent);
            }
            _ => {}
        }
        if name.encode_utf16().count() > name::MAX_NAME {
            return Err(Error::NameTooLong);
        }
        let key = name::fold(name);
        if let Some(ino) = self.lookups.get(dcl, &key) {
            return Ok(ino);
        }
        let f = self.find(dcl, name)?.ok_or(Error::NotFound)?;
        self.lookups.insert(dcl, key, f.ino);
        Ok(f.ino)
    }

    /// Resolves `path` starting at directory `start` (a leading `/` means the root).
    pub fn resolve_at(&mut self, start: Ino, path: &str) -> Result<Ino> {
        let mut ino = if path.starts_with('/') { ROOT_INO } else { start };
        for comp in path::components(path) {
            ino = self.lookup(ino, comp)?;
        }
        Ok(ino)
    }

    /// Resolves an absolute path (relative ones start at the root too).
    pub fn resolve(&mut self, path: &str) -> Result<Ino> {
        self.resolve_at(ROOT_INO, path)
    }

    /// Resolves everything but the last component: (parent directory, name).
    pub fn resolve_parent<'p>(&mut self, path: &'p str) -> Result<(Ino, &'p str)> {
        let (parent, name) = path::split_last(path)?;
        let dir = self.resolve(if parent.is_empty() { "/" } else { parent })?;
        self.dir_cluster(dir)?; // must be a directory
        Ok((dir, name))
    }

    /// All entries of directory `dir`, in on-disk order, without `.` and `..`.
    pub fn read_dir(&mut self, dir: Ino) -> Result<Vec<DirEntry>> {
        let dcl = self.dir_cluster(dir)?;
        Ok(self.list(dcl)?.iter().map(DirEntry::from_found).collect())
    }

    /// One entry at or after `cookie` (start with 0) and the cookie of the
    /// next one: for a server that hands out directory contents in pieces.
    pub fn read_dir_at(&mut self, dir: Ino, cookie: u32) -> Result<Option<(DirEntry, u32)>> {
        let dcl = self.dir_cluster(dir)?;
        let mut cur = Cursor::at(cookie);
        Ok(self.next_found(dcl, &mut cur)?.map(|f| (DirEntry::from_found(&f), cur.idx)))
    }

    /// Creates an empty regular file; `mode` gives read-only/executable.
    pub fn create(&mut self, dir: Ino, name: &str, mode: u32) -> Result<Ino> {
        self.check_writable()?;
        let dcl = self.dir_cluster(dir)?;
        let attr = attr_from_mode(ATTR_ARCHIVE, mode);
        let entry = ShortEntry::new([b' '; 11], 0, attr, self.clock.now());
        let f = self.insert(dcl, name, entry)?;
        self.lookups.insert(dcl, name::fold(name), f.ino);
        self.touch_dir(dir)?;
        Ok(f.ino)
    }

    /// Creates a directory with `.` and `..`. (Directories are always 0755.)
    pub fn mkdir(&mut self, dir: Ino, name: &str) -> Result<Ino> {
        self.check_writable()?;
        let dcl = self.dir_cluster(dir)?;
        name::validate(name)?;
        if self.find(dcl, name)?.is_some() {
            return Err(Error::Exists);
        }
        let now = self.clock.now();
        let c = self.extend_chain(0, 1)?;
        self.zero_dir_cluster(c)?;
        self.write_dot_entries(c, dcl, now)?;
        let mut entry = ShortEntry::new([b' '; 11], 0, ATTR_DIRECTORY, now);
        entry.first_cluster = c;
        match self.insert(dcl, name, entry) {
            Ok(f) => {
                self.lookups.insert(dcl, name::fold(name), f.ino);
                self.touch_dir(dir)?;
                Ok(f.ino)
            }
            Err(e) => {
                self.free_chain(c)?; // give the cluster back: no leak on a full disk
                Err(e)
            }
        }
    }

    fn find_existing(&mut self, dcl: u32, name: &str) -> Result<Found> {
        if name == "." || name == ".." {
            return Err(Error::InvalidArgument);
        }
        self.find(dcl, name)?.ok_or(Error::NotFound)
    }

    /// Removes a file: its entries first, then its clusters (a crash in
    /// between leaks clusters rather than leaving an entry to freed ones).
    pub fn unlink(&mut self, dir: Ino, name: &str) -> Result<()> {
        self.check_writable()?;
        let dcl = self.dir_cluster(dir)?;
        let f = self.find_existing(dcl, name)?;
        if f.entry.is_dir() {
            return Err(Error::IsDir);
        }
        self.remove_entries(dcl, &f)?;
        self.forget_lookups(dcl, &f);
        if f.entry.first_cluster != 0 {
            self.free_chain(f.entry.first_cluster)?;
        }
        self.touch_dir(dir)
    }

    /// Drops the cached lookups of a removed name (by either of its names:
    /// those are the only keys that can lead to it).
    fn forget_lookups(&mut self, dcl: u32, f: &Found) {
        self.lookups.forget(dcl, name::fold(&f.name));
        self.lookups.forget(dcl, name::fold(&name::short_to_string(&f.entry.name, 0)));
    }

    /// Removes an empty directory.
    pub fn rmdir(&mut self, dir: Ino, name: &str) -> Result<()> {
        self.check_writable()?;
        let dcl = self.dir_cluster(dir)?;
        let f = self.find_existing(dcl, name)?;
        if !f.entry.is_dir() {
            return Err(Error::NotDir);
        }
        let c = f.entry.first_cluster;
        if !self.bpb.valid_cluster(c) {
            return Err(Error::Corrupt);
        }
        if !self.dir_is_empty(c)? {
            return Err(Error::NotEmpty);
        }
        self.remove_entries(dcl, &f)?;
        self.forget_lookups(dcl, &f);
        self.lookups.forget_dir(c);
        self.free_chain(c)?;
        self.touch_dir(dir)
    }

    /// Whether directory cluster `inner` is `outer` or lies below it.
    fn is_within(&mut self, mut inner: u32, outer: u32) -> Result<bool> {
        for _ in 0..=self.bpb.cluster_count {
            if inner == outer {
                return Ok(true);
            }
            if inner == self.bpb.root_cluster {
                return Ok(false);
            }
            inner = self.parent_of(inner)?;
        }
        Err(Error::Corrupt) // `..` links form a loop
    }

    /// Renames or moves `from` in `from_dir` to `to` in `to_dir`, replacing
    /// an existing file (or empty directory, if `from` is one). Returns the
    /// new inode number. The switch to the new name is one 32-byte entry
    /// write; the old name is removed after, and a replaced file's
    /// clusters are freed last.
    pub fn rename(&mut self, from_dir: Ino, from: &str, to_dir: Ino, to: &str) -> Result<Ino> {
        self.check_writable()?;
        name::validate(to)?;
        let sdcl = self.dir_cluster(from_dir)?;
        let ddcl = self.dir_cluster(to_dir)?;
        let src = self.find_existing(sdcl, from)?;
        let existing = self.find(ddcl, to)?;
        self.lookups.forget_dir(sdcl);
        self.lookups.forget_dir(ddcl);
        if let Some(dst) = &existing {
            if dst.ino == src.ino {
                return self.rename_same(sdcl, &src, to);
            }
            match (src.entry.is_dir(), dst.entry.is_dir()) {
                (false, true) => return Err(Error::IsDir),
                (true, false) => return Err(Error::NotDir),
                (true, true) if !self.dir_is_empty(dst.entry.first_cluster)? => {
                    return Err(Error::NotEmpty)
                }
                _ => {}
            }
        }
        if src.entry.is_dir() && self.is_within(ddcl, src.entry.first_cluster)? {
            return Err(Error::InvalidArgument);
        }
        let ino = match existing {
            Some(dst) if dst.name == to => {
                // Replace in place: keep dst's names, take src's contents.
                let mut e = src.entry;
                e.name = dst.entry.name;
                e.nt = dst.entry.nt;
                let mut node = self.load(dst.ino)?;
                node.entry = e;
                self.store(&node)?;
                self.remove_entries(sdcl, &src)?;
                self.release(&dst)?;
                dst.ino
            }
            Some(dst) => {
                self.remove_entries(ddcl, &dst)?;
                let f = self.insert(ddcl, to, src.entry)?;
                self.remove_entries(sdcl, &src)?;
                self.release(&dst)?;
                f.ino
            }
            None => {
                let f = self.insert(ddcl, to, src.entry)?;
                self.remove_entries(sdcl, &src)?;
                f.ino
            }
        };
        if src.entry.is_dir() && sdcl != ddcl {
            self.set_parent(src.entry.first_cluster, ddcl)?;
        }
        self.touch_dir(from_dir)?;
        if to_dir != from_dir {
            self.touch_dir(to_dir)?;
        }
        Ok(ino)
    }

    /// A rename onto the same entry: nothing, or a change of case only.
    fn rename_same(&mut self, dcl: u32, src: &Found, to: &str) -> Result<Ino> {
        if src.name == to {
            return Ok(src.ino);
        }
        self.remove_entries(dcl, src)?;
        Ok(self.insert(dcl, to, src.entry)?.ino)
    }

    /// Frees the clusters of a replaced entry.
    fn release(&mut self, f: &Found) -> Result<()> {
        if f.entry.first_cluster != 0 {
            self.free_chain(f.entry.first_cluster)?;
        }
        Ok(())
    }

    /// Sets the permission bits (see `mode` for what is kept).
    pub fn set_mode(&mut self, ino: Ino, mode: u32) -> Result<()> {
        self.check_writable()?;
        let mut node = self.load(ino)?;
        node.entry.attr = attr_from_mode(node.entry.attr, mode);
        self.store(&node)
    }

    /// Sets the read-only, hidden, system and archive bits.
    pub fn set_attributes(&mut self, ino: Ino, attr: u8) -> Result<()> {
        self.check_writable()?;
        let mut node = self.load(ino)?;
        let settable = ATTR_READ_ONLY | ATTR_HIDDEN | ATTR_SYSTEM | ATTR_ARCHIVE;
        node.entry.attr = (node.entry.attr & !settable) | (attr & settable);
        self.store(&node)
    }

    /// Sets access and/or modification times (`utimes`).
    pub fn set_times(&mut self, ino: Ino, accessed: Option<DateTime>, modified: Option<DateTime>) -> Result<()> {
        self.check_writable()?;
        let mut node = self.load(ino)?;
        if let Some(a) = accessed {
            node.entry.adate = a.to_fat().0;
        }
        if let Some(m) = modified {
            (node.entry.mdate, node.entry.mtime) = m.to_fat();
        }
        self.store(&node)
    }

    /// Writes every cached change and the FSInfo hints to the disk.
    pub fn sync(&mut self) -> Result<()> {
        if self.read_only {
            return Ok(());
        }
        self.fat.flush(&mut self.dev)?;
        self.dcache.flush(&mut self.dev)?;
        if self.bpb.has_fs_info() {
            let mut s = vec![0u8; self.bpb.bytes_per_sector as usize];
            let sector = self.bpb.fs_info_sector as u64;
            self.dev.read(sector, &mut s)?;
            let info = FsInfo { free_count: Some(self.fat.free_count), next_free: Some(self.fat.next_free) };
            info.store(&mut s);
            self.dev.write(sector, &s)?;
        }
        Ok(self.dev.dev.flush()?)
    }

    /// Syncs, marks the volume clean and gives the device back.
    pub fn unmount(mut self) -> Result<D> {
        if !self.read_only {
            self.sync()?;
            self.fat.set_clean(&mut self.dev, true)?;
            self.dev.dev.flush()?;
        }
        Ok(self.dev.dev)
    }

    /// Drops every cache (after sync) — lets tests prove data is on disk.
    pub fn drop_caches(&mut self) -> Result<()> {
        self.sync()?;
        self.chains.clear();
        self.lookups.clear();
        self.dindex.clear();
        self.dcache = SectorCache::new(DIR_CACHE_SECTORS, vec![0]);
        Ok(())
    }
}
