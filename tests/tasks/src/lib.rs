//! Small tasks that the integration tests boot as modules. Each binary in
//! src/bin is one scenario; the tests assert on what it prints. This
//! library holds what the IPC scenarios share.
#![no_std]

use mach::kern_return::*;
use mach::message::*;
use mach::port::*;
use machrt::msg::{self, Buffer};

/// A simple message with one word of data.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct Simple {
    pub header: MsgHeader,
    pub value: u32,
}
// SAFETY: repr(C), 4-byte fields.
unsafe impl mach::pod::Pod for Simple {}

/// The OOL scenario: the client's hello carries a send right to its port.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct Hello {
    pub header: MsgHeader,
    pub body: MsgBody,
    pub port: PortDescriptor,
}
// SAFETY: repr(C), 4-byte fields and descriptors, no padding.
unsafe impl mach::pod::Pod for Hello {}

/// The server's answer: a moved receive right, a made send right, the
/// out-of-line region and its checksum.
#[repr(C, packed(4))]
#[derive(Clone, Copy)]
pub struct Answer {
    pub header: MsgHeader,
    pub body: MsgBody,
    pub receive: PortDescriptor,
    pub send: PortDescriptor,
    pub ool: OolDescriptor,
    pub sum: u32,
}
// SAFETY: packed(4) of 4-byte-aligned fields, no padding.
unsafe impl mach::pod::Pod for Answer {}

/// Sends a Simple message to `dest` with disposition `disp`.
pub fn send_simple(dest: PortName, disp: MsgTypeName, id: i32, value: u32, option: MsgOption, timeout: u32) -> KernReturn {
    let mut m = Simple { header: MsgHeader { bits: msgh_bits(disp, 0), remote_port: dest, id, ..Default::default() }, value };
    msg::send(&mut m, option, timeout)
}

/// Receives on `name`, with a timeout in ms (0: wait forever).
pub fn recv<const N: usize>(buf: &mut Buffer<N>, name: PortName, timeout: u32) -> KernReturn {
    let opt = if timeout > 0 { MACH_RCV_TIMEOUT } else { 0 };
    msg::receive(buf, name, opt, timeout)
}

/// Deterministic pseudo-random numbers (xorshift64).
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The checksum both ends of the OOL test compute (FNV-1a).
pub fn checksum(data: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in data {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

pub fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 12)) as u8
}

/// Prints the check's outcome; counts failures.
pub struct Checks {
    pub task: &'static str,
    pub failed: u32,
}

impl Checks {
    pub fn check(&mut self, what: &str, ok: bool, detail: core::fmt::Arguments<'_>) {
        if ok {
            machrt::println!("{}: {} ok", self.task, what);
        } else {
            self.failed += 1;
            machrt::println!("{}: {} FAILED ({})", self.task, what, detail);
        }
    }
    pub fn kr(&mut self, what: &str, got: KernReturn, want: KernReturn) {
        self.check(what, got == want, format_args!("got {} want {}", name(got), name(want)));
    }
}

/// The pager tests' service on the bootstrap port (pager-pattern serves
/// it, pager-client calls it): ids of the requests, each a `Simple` with a
/// send-once reply right.
pub const PAGER_GET_OBJECT: i32 = 1;
pub const PAGER_FLUSH: i32 = 2;

/// A message carrying one port right.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct PortMsg {
    pub header: MsgHeader,
    pub body: MsgBody,
    pub port: PortDescriptor,
}
// SAFETY: repr(C), 4-byte fields.
unsafe impl mach::pod::Pod for PortMsg {}

/// The byte at `offset` of the test memory object, as the pager first
/// serves it; a flush makes the pager serve generation `gen` next.
pub fn pager_byte(offset: u64, gen: u8) -> u8 {
    ((offset.wrapping_mul(0x9e37) >> 7) as u8 ^ (offset >> 12) as u8).wrapping_add(gen)
}

/// The word the pressure test writes at `offset` (which the pager must
/// give back after a data_write).
pub fn written_word(offset: u64) -> u64 {
    offset.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x00ab_cdef
}
