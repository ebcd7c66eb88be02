//! The block device the file system lives on: `blockdev`'s one
//! definition, which `fat32` uses too, so the UNIX server's `Disk`
//! (512-byte records through the device port and its chunk cache) serves
//! both.

pub use blockdev::{BlockDevice, IoError, MemDevice};
