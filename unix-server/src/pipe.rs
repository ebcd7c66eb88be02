//! A pipe's buffer and its two ends' counts. Pure state: the server parks
//! the callers that must wait and retries them when the state changes.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Writes of at most this many bytes are atomic (POSIX PIPE_BUF).
pub const PIPE_BUF: usize = 4096;
/// Bytes a pipe holds (Linux's default 16 pages).
pub const CAPACITY: usize = 65536;

#[derive(Default)]
pub struct PipeBuf {
    data: VecDeque<u8>,
    /// Open read and write descriptions (not descriptors: dup shares one).
    pub readers: u32,
    pub writers: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    Data(Vec<u8>),
    Eof,
    WouldBlock,
}

#[derive(Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Took this many bytes (maybe fewer than offered: the rest waits).
    Wrote(usize),
    /// No reader left: EPIPE and SIGPIPE.
    Broken,
    WouldBlock,
}

impl PipeBuf {
    pub fn new() -> Self {
        PipeBuf { data: VecDeque::new(), readers: 1, writers: 1 }
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn read(&mut self, max: usize) -> ReadOutcome {
        if self.data.is_empty() {
            return if self.writers == 0 { ReadOutcome::Eof } else { ReadOutcome::WouldBlock };
        }
        let n = max.min(self.data.len());
        ReadOutcome::Data(self.data.drain(..n).collect())
    }

    /// Offers `data`; a small write goes in whole or not at all.
    pub fn write(&mut self, data: &[u8]) -> WriteOutcome {
        if self.readers == 0 {
            return WriteOutcome::Broken;
        }
        let space = CAPACITY - self.data.len();
        if space == 0 || (data.len() <= PIPE_BUF && space < data.len()) {
            return WriteOutcome::WouldBlock;
        }
        let n = space.min(data.len());
        self.data.extend(&data[..n]);
        WriteOutcome::Wrote(n)
    }

    /// Room for a write of `len` now (poll's POLLOUT).
    pub fn writable(&self) -> bool {
        CAPACITY - self.data.len() >= PIPE_BUF.min(CAPACITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_eof_and_broken() {
        let mut p = PipeBuf::new();
        assert_eq!(p.read(10), ReadOutcome::WouldBlock);
        assert_eq!(p.write(b"hello"), WriteOutcome::Wrote(5));
        assert_eq!(p.read(3), ReadOutcome::Data(b"hel".to_vec()));
        p.writers = 0;
        assert_eq!(p.read(10), ReadOutcome::Data(b"lo".to_vec()));
        assert_eq!(p.read(10), ReadOutcome::Eof);
        p.readers = 0;
        assert_eq!(p.write(b"x"), WriteOutcome::Broken);
    }

    #[test]
    fn full_and_atomic() {
        let mut p = PipeBuf::new();
        let big = std::vec![1u8; CAPACITY + 100];
        assert_eq!(p.write(&big), WriteOutcome::Wrote(CAPACITY));
        assert_eq!(p.write(b"x"), WriteOutcome::WouldBlock);
        p.read(10);
        assert_eq!(p.write(&[0; 100]), WriteOutcome::WouldBlock);
        assert_eq!(p.write(&[0; 10]), WriteOutcome::Wrote(10));
    }
}
