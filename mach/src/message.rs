//! Message layout: the header, the body of a complex message and its
//! descriptors, and the options of `mach_msg`.
//!
//! A simple message is a header followed by inline bytes. A complex message
//! (`MACH_MSGH_BITS_COMPLEX`) has, after the header, a body holding a
//! descriptor count, then that many 16-byte descriptors (port rights or
//! out-of-line memory), then inline bytes. Every descriptor has its kind in
//! its last byte, so the kernel can walk them without knowing their sizes.

use crate::port::{MsgTypeName, PortName};

/// `mach_msg_bits_t`: remote disposition in bits 0-7, local in 8-15.
pub type MsgBits = u32;
pub const MACH_MSGH_BITS_REMOTE_MASK: MsgBits = 0x0000_00ff;
pub const MACH_MSGH_BITS_LOCAL_MASK: MsgBits = 0x0000_ff00;
pub const MACH_MSGH_BITS_COMPLEX: MsgBits = 0x8000_0000;
/// Bits a sender may set; the rest must be zero.
pub const MACH_MSGH_BITS_USER: MsgBits = 0x8000_ffff;

pub const fn msgh_bits(remote: MsgTypeName, local: MsgTypeName) -> MsgBits {
    remote | (local << 8)
}
pub const fn msgh_bits_remote(bits: MsgBits) -> MsgTypeName {
    bits & MACH_MSGH_BITS_REMOTE_MASK
}
pub const fn msgh_bits_local(bits: MsgBits) -> MsgTypeName {
    (bits & MACH_MSGH_BITS_LOCAL_MASK) >> 8
}

/// `mach_msg_header_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MsgHeader {
    pub bits: MsgBits,
    /// Size of the whole message in bytes, header included; a multiple of 4.
    pub size: u32,
    /// Destination on send; on receipt the reply right the sender passed.
    pub remote_port: PortName,
    /// Reply port on send; on receipt the name of the port received from.
    pub local_port: PortName,
    pub reserved: u32,
    pub id: i32,
}
pub const MSG_HEADER_SIZE: usize = core::mem::size_of::<MsgHeader>();

/// `mach_msg_body_t`: follows the header of a complex message.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MsgBody {
    pub descriptor_count: u32,
}
pub const MSG_BODY_SIZE: usize = core::mem::size_of::<MsgBody>();

/// Kinds of descriptor, in the last byte of each descriptor.
pub type DescriptorKind = u8;
pub const MACH_MSG_PORT_DESCRIPTOR: DescriptorKind = 0;
pub const MACH_MSG_OOL_DESCRIPTOR: DescriptorKind = 1;

pub const MSG_DESCRIPTOR_SIZE: usize = 16;

/// A port right carried in a message.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortDescriptor {
    pub name: PortName,
    pub _pad0: u32,
    pub _pad1: u32,
    pub _pad2: u16,
    /// A `MACH_MSG_TYPE_*` disposition (on receipt: what arrived).
    pub disposition: u8,
    pub kind: DescriptorKind,
}

impl PortDescriptor {
    pub const fn new(name: PortName, disposition: MsgTypeName) -> Self {
        PortDescriptor {
            name,
            _pad0: 0,
            _pad1: 0,
            _pad2: 0,
            disposition: disposition as u8,
            kind: MACH_MSG_PORT_DESCRIPTOR,
        }
    }
}

/// Out-of-line memory carried in a message. Packed to 4 so that every
/// descriptor has alignment 4 and descriptors follow the body without
/// padding in any message struct.
#[repr(C, packed(4))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OolDescriptor {
    pub address: u64,
    pub size: u32,
    /// Nonzero: the range leaves the sender's address space on send.
    pub deallocate: u8,
    /// A `MACH_MSG_*_COPY` strategy hint.
    pub copy: u8,
    pub _pad: u8,
    pub kind: DescriptorKind,
}

pub const MACH_MSG_PHYSICAL_COPY: u8 = 0;
pub const MACH_MSG_VIRTUAL_COPY: u8 = 1;

impl OolDescriptor {
    pub const fn new(address: u64, size: u32, deallocate: bool) -> Self {
        OolDescriptor {
            address,
            size,
            deallocate: deallocate as u8,
            copy: MACH_MSG_VIRTUAL_COPY,
            _pad: 0,
            kind: MACH_MSG_OOL_DESCRIPTOR,
        }
    }
}

/// `mach_msg_option_t`.
pub type MsgOption = u32;
pub const MACH_MSG_OPTION_NONE: MsgOption = 0;
pub const MACH_SEND_MSG: MsgOption = 0x0000_0001;
pub const MACH_RCV_MSG: MsgOption = 0x0000_0002;
/// On a too-large message, leave it queued and report its size instead of
/// dropping it.
pub const MACH_RCV_LARGE: MsgOption = 0x0000_0004;
pub const MACH_SEND_TIMEOUT: MsgOption = 0x0000_0010;
pub const MACH_SEND_INTERRUPT: MsgOption = 0x0000_0040;
pub const MACH_SEND_NOTIFY: MsgOption = 0x0000_0080;
pub const MACH_RCV_TIMEOUT: MsgOption = 0x0000_0100;
pub const MACH_RCV_NOTIFY: MsgOption = 0x0000_0200;
pub const MACH_RCV_INTERRUPT: MsgOption = 0x0000_0400;

/// `mach_msg_timeout_t`, in milliseconds.
pub type MsgTimeout = u32;
pub const MACH_MSG_TIMEOUT_NONE: MsgTimeout = 0;

/// Largest message the kernel accepts, header included.
pub const MACH_MSG_SIZE_MAX: usize = 64 * 1024;
/// Largest out-of-line region one descriptor may carry.
pub const MACH_MSG_OOL_SIZE_MAX: usize = 256 * 1024 * 1024;

// SAFETY: repr(C), integer fields, no padding (checked by the layout test).
unsafe impl crate::pod::Pod for MsgHeader {}
unsafe impl crate::pod::Pod for MsgBody {}
unsafe impl crate::pod::Pod for PortDescriptor {}
unsafe impl crate::pod::Pod for OolDescriptor {}

/// The kind of the descriptor in `d` (its last byte).
pub const fn descriptor_kind(d: &[u8; MSG_DESCRIPTOR_SIZE]) -> DescriptorKind {
    d[MSG_DESCRIPTOR_SIZE - 1]
}

/// Where the first descriptor of a complex message starts.
pub const MSG_DESCRIPTORS_OFFSET: usize = MSG_HEADER_SIZE + MSG_BODY_SIZE;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::port::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn layouts_are_fixed() {
        assert_eq!(size_of::<MsgHeader>(), 24);
        assert_eq!(size_of::<PortDescriptor>(), MSG_DESCRIPTOR_SIZE);
        assert_eq!(size_of::<OolDescriptor>(), MSG_DESCRIPTOR_SIZE);
        assert_eq!(offset_of!(PortDescriptor, kind), MSG_DESCRIPTOR_SIZE - 1);
        assert_eq!(offset_of!(OolDescriptor, kind), MSG_DESCRIPTOR_SIZE - 1);
        assert_eq!(core::mem::align_of::<OolDescriptor>(), 4);
        assert_eq!(core::mem::align_of::<PortDescriptor>(), 4);
    }

    #[test]
    fn bits_round_trip() {
        let b = msgh_bits(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
        assert_eq!(msgh_bits_remote(b), MACH_MSG_TYPE_COPY_SEND);
        assert_eq!(msgh_bits_local(b), MACH_MSG_TYPE_MAKE_SEND_ONCE);
        assert_eq!(b & !MACH_MSGH_BITS_USER, 0);
    }
}
