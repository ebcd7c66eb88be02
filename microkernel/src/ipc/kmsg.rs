//! The kernel's copy of a message: the header, the whole message's bytes
//! (descriptors and inline data), and the rights and out-of-line regions
//! it carries. Dropping a kmsg destroys what it carries (Mach's
//! ipc_kmsg_destroy): rights are released, regions freed.

use super::ool::OolRegion;
use super::right::Right;
use alloc::vec::Vec;
use mach::message::*;
use mach::pod::{self, Pod};

pub struct Kmsg {
    pub header: MsgHeader,
    /// The message as the sender wrote it, header included; descriptors
    /// are rewritten for the receiver on copyout.
    pub data: Vec<u8>,
    /// The right to the destination (send or send-once).
    pub dest: Right,
    /// The reply right, or Null.
    pub reply: Right,
    /// Rights in port descriptors: (offset of the descriptor, right).
    pub ports: Vec<(usize, Right)>,
    /// Out-of-line regions: (offset of the descriptor, region).
    pub ool: Vec<(usize, OolRegion)>,
}

impl Kmsg {
    pub fn size(&self) -> usize {
        self.data.len()
    }

    /// A message the kernel builds from one of the `mach` message structs.
    pub fn from_struct<T: Pod>(msg: &T, dest: Right) -> Kmsg {
        let data = pod::as_bytes(msg).to_vec();
        let mut header: MsgHeader = pod::read(&data, 0).expect("messages start with a header");
        header.size = data.len() as u32;
        Kmsg { header, data, dest, reply: Right::Null, ports: Vec::new(), ool: Vec::new() }
    }

    /// Attaches an out-of-line region to the descriptor at `offset`.
    pub fn with_ool(mut self, offset: usize, r: OolRegion) -> Kmsg {
        self.header.bits |= MACH_MSGH_BITS_COMPLEX;
        self.ool.push((offset, r));
        self
    }

    /// Attaches a right to the port descriptor at `offset`.
    pub fn with_port(mut self, offset: usize, r: Right) -> Kmsg {
        self.header.bits |= MACH_MSGH_BITS_COMPLEX;
        self.ports.push((offset, r));
        self
    }
}
