//! On-disk structures: the superblock, group descriptors and inodes, kept
//! as their raw little-endian bytes with accessors, so fields this crate
//! does not interpret (UUID, hash seed, xattr fields...) survive untouched.

use crate::error::{Error, Result};
use alloc::vec::Vec;

pub(crate) fn le16(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
pub(crate) fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
pub(crate) fn put16(b: &mut [u8], o: usize, v: u16) {
    b[o..o + 2].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn put32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_le_bytes());
}

pub const MAGIC: u16 = 0xEF53;
/// Byte offset of the superblock on the device, whatever the block size.
pub const SB_OFFSET: u64 = 1024;
pub const SB_SIZE: usize = 1024;

// Feature flags (names as in e2fsprogs).
pub const COMPAT_DIR_PREALLOC: u32 = 0x0001;
pub const COMPAT_IMAGIC_INODES: u32 = 0x0002;
pub const COMPAT_HAS_JOURNAL: u32 = 0x0004;
pub const COMPAT_EXT_ATTR: u32 = 0x0008;
pub const COMPAT_RESIZE_INODE: u32 = 0x0010;
pub const COMPAT_DIR_INDEX: u32 = 0x0020;
pub const INCOMPAT_FILETYPE: u32 = 0x0002;
pub const RO_COMPAT_SPARSE_SUPER: u32 = 0x0001;
pub const RO_COMPAT_LARGE_FILE: u32 = 0x0002;

/// Incompatible features this crate implements; any other bit refuses the mount.
pub const INCOMPAT_SUPPORTED: u32 = INCOMPAT_FILETYPE;
/// Read-only-compatible features this crate keeps correct when writing;
/// any other bit makes the mount read-only.
pub const RO_COMPAT_SUPPORTED: u32 = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE;

pub const STATE_VALID: u16 = 1;
pub const STATE_ERRORS: u16 = 2;

/// The superblock.
#[derive(Clone)]
pub struct Superblock {
    pub raw: Vec<u8>,
}

macro_rules! field {
    ($get:ident, $set:ident, $off:expr, u32) => {
        pub fn $get(&self) -> u32 { le32(&self.raw, $off) }
        pub fn $set(&mut self, v: u32) { put32(&mut self.raw, $off, v) }
    };
    ($get:ident, $set:ident, $off:expr, u16) => {
        pub fn $get(&self) -> u16 { le16(&self.raw, $off) }
        pub fn $set(&mut self, v: u16) { put16(&mut self.raw, $off, v) }
    };
}

impl Superblock {
    field!(inodes_count, set_inodes_count, 0, u32);
    field!(blocks_count, set_blocks_count, 4, u32);
    field!(r_blocks_count, set_r_blocks_count, 8, u32);
    field!(free_blocks, set_free_blocks, 12, u32);
    field!(free_inodes, set_free_inodes, 16, u32);
    field!(first_data_block, set_first_data_block, 20, u32);
    field!(log_block_size, set_log_block_size, 24, u32);
    field!(blocks_per_group, set_blocks_per_group, 32, u32);
    field!(inodes_per_group, set_inodes_per_group, 40, u32);
    field!(mtime, set_mtime, 44, u32);
    field!(wtime, set_wtime, 48, u32);
    field!(mnt_count, set_mnt_count, 52, u16);
    field!(magic, set_magic, 56, u16);
    field!(state, set_state, 58, u16);
    field!(rev_level, set_rev_level, 76, u32);
    field!(first_ino_raw, set_first_ino, 84, u32);
    field!(inode_size_raw, set_inode_size, 88, u16);
    field!(feature_compat, set_feature_compat, 92, u32);
    field!(feature_incompat, set_feature_incompat, 96, u32);
    field!(feature_ro_compat, set_feature_ro_compat, 100, u32);
    field!(last_orphan, set_last_orphan, 232, u32);

    pub fn first_ino(&self) -> u32 {
        if self.rev_level() == 0 { 11 } else { self.first_ino_raw() }
    }
    pub fn inode_size(&self) -> u32 {
        if self.rev_level() == 0 { 128 } else { self.inode_size_raw() as u32 }
    }
    pub fn uuid(&self) -> [u8; 16] {
        let mut u = [0; 16];
        u.copy_from_slice(&self.raw[104..120]);
        u
    }

    /// Parses and validates the 1024 superblock bytes against a device of
    /// `dev_bytes` bytes.
    pub fn parse(raw: &[u8], dev_bytes: u64) -> Result<Superblock> {
        if raw.len() < SB_SIZE {
            return Err(Error::Corrupt);
        }
        let sb = Superblock { raw: raw[..SB_SIZE].to_vec() };
        if sb.magic() != MAGIC {
            return Err(Error::Unsupported);
        }
        if sb.rev_level() > 1 || sb.log_block_size() > 6 {
            return Err(Error::Unsupported);
        }
        let bs = 1024u64 << sb.log_block_size();
        let isz = sb.inode_size();
        if isz < 128 || isz > bs as u32 || !isz.is_power_of_two() {
            return Err(Error::Corrupt);
        }
        let (bpg, ipg, blocks) = (sb.blocks_per_group() as u64, sb.inodes_per_group() as u64, sb.blocks_count() as u64);
        if bpg == 0 || bpg > bs * 8 || ipg == 0 || ipg > bs * 8 || !(ipg * isz as u64).is_multiple_of(bs) {
            return Err(Error::Corrupt);
        }
        let expected_first = if bs == 1024 { 1 } else { 0 };
        if sb.first_data_block() != expected_first || blocks <= sb.first_data_block() as u64 {
            return Err(Error::Corrupt);
        }
        if blocks.checked_mul(bs).is_none_or(|b| b > dev_bytes) {
            return Err(Error::Corrupt);
        }
        let groups = (blocks - sb.first_data_block() as u64).div_ceil(bpg);
        if groups.checked_mul(ipg) != Some(sb.inodes_count() as u64) {
            return Err(Error::Corrupt);
        }
        if sb.first_ino() < 11 || sb.first_ino() >= sb.inodes_count() {
            return Err(Error::Corrupt);
        }
        if sb.free_blocks() as u64 > blocks || sb.free_inodes() > sb.inodes_count() || sb.r_blocks_count() as u64 > blocks {
            return Err(Error::Corrupt);
        }
        Ok(sb)
    }
}

/// One block group descriptor (32 bytes).
#[derive(Clone, Copy, Debug)]
pub struct GroupDesc {
    pub block_bitmap: u32,
    pub inode_bitmap: u32,
    pub inode_table: u32,
    pub free_blocks: u16,
    pub free_inodes: u16,
    pub used_dirs: u16,
}

pub const GD_SIZE: usize = 32;

impl GroupDesc {
    pub fn parse(b: &[u8]) -> GroupDesc {
        GroupDesc {
            block_bitmap: le32(b, 0),
            inode_bitmap: le32(b, 4),
            inode_table: le32(b, 8),
            free_blocks: le16(b, 12),
            free_inodes: le16(b, 14),
            used_dirs: le16(b, 16),
        }
    }
    /// Stores the fields this crate changes (the counts); the rest of the
    /// 32 bytes is left as it was.
    pub fn store_counts(&self, b: &mut [u8]) {
        put16(b, 12, self.free_blocks);
        put16(b, 14, self.free_inodes);
        put16(b, 16, self.used_dirs);
    }
}

// Inode mode bits.
pub const S_IFMT: u16 = 0o170000;
pub const S_IFSOCK: u16 = 0o140000;
pub const S_IFLNK: u16 = 0o120000;
pub const S_IFREG: u16 = 0o100000;
pub const S_IFBLK: u16 = 0o060000;
pub const S_IFDIR: u16 = 0o040000;
pub const S_IFCHR: u16 = 0o020000;
pub const S_IFIFO: u16 = 0o010000;

/// Inode flag: the directory has an htree index (this crate drops the flag
/// on the first change; the linear entries stay valid, as ext2 defines).
pub const INDEX_FL: u32 = 0x1000;
/// Flags that change how blocks are mapped or stored: refused.
pub const UNSUPPORTED_FL: u32 = 0x0008_0000 /* EXTENTS */ | 0x1000_0000 /* INLINE_DATA */ | 0x0000_0004 /* COMPR */;

/// Number of block pointers in i_block.
pub const N_BLOCKS: usize = 15;
pub const NDIR: usize = 12;

/// An inode: its raw on-disk bytes (`inode_size` long) and number.
#[derive(Clone, Debug)]
pub struct Inode {
    pub ino: u32,
    pub raw: Vec<u8>,
}

/// Seconds and nanoseconds since the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Time {
    pub sec: i64,
    pub nsec: u32,
}

impl Time {
    pub const fn new(sec: i64, nsec: u32) -> Time {
        Time { sec, nsec }
    }
}

// Offsets of the timestamp fields and their `_extra` halves.
const ATIME: (usize, usize) = (8, 140);
const CTIME: (usize, usize) = (12, 132);
const MTIME: (usize, usize) = (16, 136);
const CRTIME: (usize, usize) = (144, 148);

impl Inode {
    field!(mode, set_mode, 0, u16);
    field!(uid_lo, set_uid_lo, 2, u16);
    field!(size_lo, set_size_lo, 4, u32);
    field!(dtime, set_dtime, 20, u32);
    field!(gid_lo, set_gid_lo, 24, u16);
    field!(links, set_links, 26, u16);
    field!(blocks_lo, set_blocks_lo, 28, u32);
    field!(flags, set_flags, 32, u32);
    field!(generation, set_generation, 100, u32);
    field!(file_acl, set_file_acl, 104, u32);
    field!(size_hi, set_size_hi, 108, u32);
    field!(uid_hi, set_uid_hi, 120, u16);
    field!(gid_hi, set_gid_hi, 122, u16);

    pub fn kind(&self) -> u16 {
        self.mode() & S_IFMT
    }
    pub fn is_dir(&self) -> bool {
        self.kind() == S_IFDIR
    }
    pub fn is_reg(&self) -> bool {
        self.kind() == S_IFREG
    }
    pub fn block(&self, i: usize) -> u32 {
        le32(&self.raw, 40 + 4 * i)
    }
    pub fn set_block(&mut self, i: usize, v: u32) {
        put32(&mut self.raw, 40 + 4 * i, v)
    }
    pub fn uid(&self) -> u32 {
        self.uid_lo() as u32 | (self.uid_hi() as u32) << 16
    }
    pub fn gid(&self) -> u32 {
        self.gid_lo() as u32 | (self.gid_hi() as u32) << 16
    }
    pub fn set_uid(&mut self, v: u32) {
        self.set_uid_lo(v as u16);
        self.set_uid_hi((v >> 16) as u16);
    }
    pub fn set_gid(&mut self, v: u32) {
        self.set_gid_lo(v as u16);
        self.set_gid_hi((v >> 16) as u16);
    }
    /// File size; the high half is i_dir_acl for directories in revision 1
    /// ext2, which is 0 there, so reading it for every type is safe.
    pub fn size(&self) -> u64 {
        let hi = if self.is_reg() { self.size_hi() as u64 } else { 0 };
        self.size_lo() as u64 | hi << 32
    }
    pub fn set_size(&mut self, v: u64) {
        self.set_size_lo(v as u32);
        self.set_size_hi((v >> 32) as u32);
    }
    /// i_blocks in 512-byte sectors (l_i_blocks_hi is only meaningful with
    /// huge_file, which this crate refuses).
    pub fn sectors(&self) -> u64 {
        self.blocks_lo() as u64
    }
    pub fn set_sectors(&mut self, v: u64) {
        self.set_blocks_lo(v as u32);
    }
    fn extra_isize(&self) -> usize {
        if self.raw.len() > 128 { le16(&self.raw, 128) as usize } else { 0 }
    }
    /// Whether the large inode holds the `_extra` field at byte `off`.
    fn has_extra(&self, off: usize) -> bool {
        off + 4 <= 128 + self.extra_isize() && off + 4 <= self.raw.len()
    }
    fn time(&self, (lo, ex): (usize, usize)) -> Time {
        let base = le32(&self.raw, lo) as i32 as i64;
        if !self.has_extra(ex) {
            return Time::new(base, 0);
        }
        let e = le32(&self.raw, ex);
        Time::new(base + (((e & 3) as i64) << 32), e >> 2)
    }
    fn set_time(&mut self, (lo, ex): (usize, usize), t: Time) {
        put32(&mut self.raw, lo, t.sec as u32);
        if self.has_extra(ex) {
            let epoch = ((t.sec - (t.sec as i32 as i64)) >> 32) as u32 & 3;
            put32(&mut self.raw, ex, (t.nsec.min(999_999_999) << 2) | epoch);
        }
    }
    pub fn atime(&self) -> Time {
        self.time(ATIME)
    }
    pub fn mtime(&self) -> Time {
        self.time(MTIME)
    }
    pub fn ctime(&self) -> Time {
        self.time(CTIME)
    }
    pub fn crtime(&self) -> Time {
        if self.has_extra(CRTIME.0) { self.time(CRTIME) } else { Time::default() }
    }
    pub fn set_atime(&mut self, t: Time) {
        self.set_time(ATIME, t)
    }
    pub fn set_mtime(&mut self, t: Time) {
        self.set_time(MTIME, t)
    }
    pub fn set_ctime(&mut self, t: Time) {
        self.set_time(CTIME, t)
    }
    /// A fresh inode: all zero, and in a large inode the extra fields Linux
    /// uses (i_extra_isize 32: nanosecond times and the creation time).
    pub fn fresh(ino: u32, size: usize, now: Time) -> Inode {
        let mut i = Inode { ino, raw: alloc::vec![0; size] };
        if size >= 160 {
            put16(&mut i.raw, 128, 32);
            i.set_time(CRTIME, now);
        }
        i.set_atime(now);
        i.set_mtime(now);
        i.set_ctime(now);
        i
    }
}
