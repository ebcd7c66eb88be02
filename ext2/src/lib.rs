//! An ext2 file system (revision 1), read-write, for the UNIX server's
//! root file system. `no_std` + `alloc`; the disk is anything implementing
//! [`BlockDevice`] (the same shape as `fat32::BlockDevice`).
//!
//! **Why a crate of our own**: of the crates on crates.io, `ext4-view` is
//! read-only by design, `mkfs-ext2` needs nightly (`error_in_core`) and
//! parses little more than the superblock, `ext2` (0.1) needs std and a
//! Unix host, and `efs` is GPL-3.0 (this tree is MIT) and works over
//! `Read + Write + Seek`. None gives no_std read-write ext2 on stable.
//!
//! **Supported**: block sizes 1 KiB to 64 KiB (4 KiB is the one tested
//! most); 128-byte and large inodes (nanosecond times and i_crtime kept in
//! the extra fields); the incompat feature `filetype`; ro_compat
//! `sparse_super` and `large_file` (set when a file passes 2 GiB); compat
//! `ext_attr` (a shared xattr block's reference is dropped when its inode
//! goes; xattrs are not otherwise read or written), `resize_inode` (inode
//! 7 and the reserved GDT blocks are left alone), `dir_index` (htree
//! directories read as the linear entries they also are; a directory
//! loses the index flag on its first change, so e2fsck does not expect an
//! index); has_journal is left alone (no journal is written; mount it
//! as ext2 only when clean). Block maps with direct, single, double and
//! triple indirect blocks; holes read as zeros; hard links, symlinks fast
//! and slow, FIFOs, sockets, character and block devices (Linux's
//! i_block[0]/[1] encoding); mode, 32-bit uid/gid, atime/mtime/ctime.
//! Files unlinked while held open ([`FileSystem::hold`]) stay until the
//! last [`FileSystem::release`], on the orphan list (`s_last_orphan`,
//! chained through i_dtime, as ext3/4 do) so that the next mount frees
//! them if the machine stopped first.
//!
//! **Refused**: any other incompat feature (`Unsupported`: extents,
//! 64bit, meta_bg, flex_bg, journal needing recovery, compression,
//! inline data...); any other ro_compat feature refuses a read-write mount
//! (`ReadOnly`: huge_file, gdt_csum, metadata_csum, dir_nlink,
//! extra_isize...).
//!
//! **Consistency**: free counts in the group descriptors and the
//! superblock are exact at every `sync` (which writes data, bitmaps,
//! inodes and directories, then the descriptors and the superblock);
//! backup superblocks are not updated (Linux ext2 does not either).
//!
//! Layout: [`layout`] on-disk structures, [`cache`] the block cache,
//! [`fs`] mount, allocation, inodes, orphans and sync, [`file`] block maps
//! and contents, [`dir`] directory entries and the in-memory directory
//! index, [`ops`] namespace and attribute operations, [`format`] mkfs,
//! [`check`] a consistency check without repair.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod cache;
pub mod check;
pub mod device;
pub mod dir;
pub mod error;
pub mod file;
pub mod format;
pub mod fs;
pub mod layout;
pub mod ops;

pub use check::CheckReport;
pub use device::{BlockDevice, IoError, MemDevice};
pub use dir::{DirEntry, FileType};
pub use error::{Error, Result};
pub use format::{format, FormatOptions};
pub use fs::{Clock, FileSystem, FixedClock, Ino, Metadata, MountOptions, StatFs, LINK_MAX, ROOT_INO};
pub use layout::{Time, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK};
pub use ops::{major, makedev, minor, SetAttr};
