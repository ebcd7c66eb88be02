//! A FAT32 file system with long file names, for the UNIX server's root
//! file system. `no_std` + `alloc`; the disk is anything implementing
//! [`BlockDevice`].
//!
//! Layout: [`bpb`] boot sector, [`fat`] allocation table, [`cache`] sector,
//! chain and lookup caches, [`name`] 8.3/LFN names, [`dir`] directory
//! entries, [`file`] contents, [`fs`] the facade, [`check`] a consistency
//! checker, [`format`] mkfs, [`mode`] attributes and the UNIX mode (execute-bit) convention.
//!
//! **Inode numbers**: a file's inode number is the position of its short
//! directory entry on the volume, `sector * (bytes_per_sector / 32) +
//! index_in_sector`; the root directory is [`ROOT_INO`] (1). It is stable
//! across remounts and exists for empty files (which have no cluster). It
//! changes when the file is renamed (a new entry is written), and is
//! meaningless once the file is unlinked.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod bpb;
pub mod cache;
pub mod check;
pub mod device;
pub mod dir;
pub mod error;
pub mod fat;
pub mod file;
pub mod format;
pub mod fs;
mod index;
pub mod mode;
pub mod name;
pub mod path;
pub mod time;

pub use check::CheckReport;
pub use device::{BlockDevice, IoError, MemDevice};
pub use dir::{DirEntry, ReadDir};
pub use error::{Error, Result};
pub use format::{format, FormatOptions};
pub use fs::{FileSystem, FsStats, Ino, Metadata, MountOptions, ROOT_INO};
pub use mode::{attr_from_mode, is_exec_mode, mode_from_attr, EXEC_ATTR};
pub use time::{Clock, DateTime, FixedClock};
