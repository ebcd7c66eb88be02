//! /dev, served by the server itself: null, zero, full, urandom (and
//! random), and the console as tty, console and tty0.

use crate::vfs::Node;
use alloc::vec::Vec;
use linux_abi::Errno;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dev {
    Null,
    Zero,
    Full,
    Random,
    Tty,
}

/// (name, device) as a directory listing shows them.
pub const ENTRIES: [(&str, Dev); 7] = [("null", Dev::Null), ("zero", Dev::Zero), ("full", Dev::Full),
    ("random", Dev::Random), ("urandom", Dev::Random), ("console", Dev::Tty), ("tty", Dev::Tty)];

impl Dev {
    pub fn ino(self) -> u64 {
        10 + self as u64
    }

    /// Linux's device numbers (major << 8 | minor, for small ones).
    pub fn rdev(self) -> u64 {
        match self {
            Dev::Null => 0x103,
            Dev::Zero => 0x105,
            Dev::Full => 0x107,
            Dev::Random => 0x109,
            Dev::Tty => 0x501,
        }
    }

    /// A read that never waits (the tty's are the tty layer's).
    pub fn read(self, len: usize) -> Vec<u8> {
        match self {
            Dev::Null | Dev::Tty => Vec::new(),
            Dev::Zero | Dev::Full => alloc::vec![0; len],
            Dev::Random => crate::calls::random_bytes(len),
        }
    }

    /// A write of `len` bytes (the tty's are the tty layer's).
    pub fn write(self, len: usize) -> Result<usize, Errno> {
        match self {
            Dev::Full => Err(Errno::ENOSPC),
            _ => Ok(len),
        }
    }
}

pub fn lookup(path: &str) -> Result<Node, Errno> {
    if path == "/dev" {
        return Ok(Node::DevDir);
    }
    let name = &path[5..];
    ENTRIES.iter().find(|e| e.0 == name).map(|e| Node::Dev(e.1)).ok_or(Errno::ENOENT)
}
