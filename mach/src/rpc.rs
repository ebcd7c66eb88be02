//! Typed RPC: what MIG generates for Mach, as one Rust macro.
//!
//! `routine!` declares a routine of a subsystem: its message id, the port
//! rights and plain data of its request, and those of its reply. It
//! generates, in a module named after the routine:
//! - `Request` and `Reply`: `#[repr(C)]` message structs (header, body,
//!   port descriptors, then data), so no caller ever computes an offset;
//! - `call(transport, dest, ...)`: the client stub, which builds the
//!   request, sends it with a send-once reply right, and checks the reply;
//! - `Request::parse` and `Reply::new`/`reply_error`: the server side.
//!
//! Every request and reply carries a body (descriptor count), so the
//! layout is the same whether or not rights travel; the complex bit is set
//! exactly when descriptors are present. An error reply is the short
//! `ErrorReply` (header, body, return code), as MIG's `mig_reply_error_t`.

use crate::kern_return::*;
use crate::message::*;
use crate::pod::Pod;
use crate::port::*;

/// Reply ids are request ids plus 100, as in MIG.
pub const REPLY_ID_OFFSET: i32 = 100;

/// The short reply a server sends when a routine fails.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ErrorReply {
    pub header: MsgHeader,
    pub body: MsgBody,
    pub ret: KernReturn,
}

// SAFETY: repr(C) of 4-byte fields: no padding.
unsafe impl Pod for ErrorReply {}

/// How stubs send a request and wait for its reply: `machrt` implements it
/// with the mach_msg trap and a per-thread reply port; tests with a loop.
pub trait Transport {
    /// Sends the first `send_size` bytes of `buf` (a request whose header
    /// names the destination and the disposition of a reply port the
    /// transport fills in) and receives the reply into `buf`.
    fn rpc(&self, buf: &mut [u8], send_size: usize) -> Result<usize, KernReturn>;
}

pub use crate::pod::{as_bytes, read};

/// Reads a message struct from the start of `bytes` (any alignment).
pub fn from_bytes<T: Pod>(bytes: &[u8]) -> Option<T> {
    read(bytes, 0)
}

/// An all-zero message struct.
pub fn zeroed<T: Pod>() -> T {
    // SAFETY: Pod types are plain integers, for which zero is valid.
    unsafe { core::mem::zeroed() }
}

/// Checks a received reply's id and size and extracts its return code.
pub fn check_reply(buf: &[u8], expect_id: i32, full_size: usize, has_ports: bool) -> Result<(), KernReturn> {
    let err: ErrorReply = from_bytes(buf).ok_or(MIG_TYPE_ERROR)?;
    if err.header.id != expect_id + REPLY_ID_OFFSET {
        return Err(MIG_REPLY_MISMATCH);
    }
    let complex = err.header.bits & MACH_MSGH_BITS_COMPLEX != 0;
    let size = err.header.size as usize;
    if size == core::mem::size_of::<ErrorReply>() && (!has_ports || !complex) && err.ret != KERN_SUCCESS {
        return Err(err.ret);
    }
    if size != full_size || complex != has_ports {
        return Err(MIG_TYPE_ERROR);
    }
    if err.ret != KERN_SUCCESS && !has_ports {
        return Err(err.ret);
    }
    Ok(())
}

/// Fills in a reply header for the request `req`.
pub fn reply_header(req: &MsgHeader, size: usize, complex: bool) -> MsgHeader {
    let remote = if msgh_bits_remote(req.bits) == MACH_MSG_TYPE_PORT_SEND_ONCE {
        MACH_MSG_TYPE_MOVE_SEND_ONCE
    } else {
        MACH_MSG_TYPE_COPY_SEND
    };
    MsgHeader {
        bits: msgh_bits(remote, 0) | if complex { MACH_MSGH_BITS_COMPLEX } else { 0 },
        size: size as u32,
        remote_port: req.remote_port,
        local_port: MACH_PORT_NULL,
        reserved: 0,
        id: req.id + REPLY_ID_OFFSET,
    }
}

/// The error reply to `req`.
pub fn reply_error(req: &MsgHeader, ret: KernReturn) -> ErrorReply {
    ErrorReply {
        header: reply_header(req, core::mem::size_of::<ErrorReply>(), false),
        body: MsgBody { descriptor_count: 0 },
        ret,
    }
}

/// The request half shared by `routine!` and `simpleroutine!`: the
/// `Request` struct (packed, checked to have no padding, Pod), `new` with
/// the local (reply) disposition `$local`, and `parse`. Not for direct use.
#[doc(hidden)]
#[macro_export]
macro_rules! __rpc_request {
    (
        $id:expr, $local:expr;
        request { $($rq:ident : $rqt:ty),* }
        request_ports { $($rp:ident : $rpd:expr),* }
        request_ool { $($ro:ident),* }
    ) => {
        pub const ID: i32 = $id;
        /// Descriptors (rights, then out-of-line regions) in the request.
        const REQUEST_PORTS: u32 = 0 $(+ { let _ = stringify!($rp); 1 })* $(+ { let _ = stringify!($ro); 1 })*;

        #[repr(C, packed(4))]
        #[derive(Clone, Copy)]
        pub struct Request {
            pub header: MsgHeader,
            pub body: MsgBody,
            $(pub $rp: PortDescriptor,)*
            $(pub $ro: OolDescriptor,)*
            $(pub $rq: $rqt,)*
        }

        // Packed to 4 and checked to have no padding at all, so the struct
        // is plain bytes on the wire (Pod) and every field sits where both
        // sides expect it.
        const _: () = assert!(core::mem::size_of::<Request>()
            == MSG_HEADER_SIZE + MSG_BODY_SIZE + MSG_DESCRIPTOR_SIZE * REQUEST_PORTS as usize
                $(+ core::mem::size_of::<$rqt>())*);
        // SAFETY: repr(C, packed(4)) of integer fields, descriptors and
        // plain-data structs, with no padding (asserted above).
        unsafe impl $crate::pod::Pod for Request {}

        impl core::fmt::Debug for Request {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "Request(id {})", { self.header }.id)
            }
        }

        impl Request {
            /// A request to `dest` (a send right, copied).
            pub fn new(dest: PortName $(, $rp: PortName)* $(, $ro: OolDescriptor)* $(, $rq: $rqt)*) -> Request {
                let mut r: Request = zeroed();
                r.header = MsgHeader {
                    bits: msgh_bits(MACH_MSG_TYPE_COPY_SEND, $local)
                        | if REQUEST_PORTS > 0 { MACH_MSGH_BITS_COMPLEX } else { 0 },
                    size: core::mem::size_of::<Request>() as u32,
                    remote_port: dest,
                    local_port: MACH_PORT_NULL,
                    reserved: 0,
                    id: ID,
                };
                r.body.descriptor_count = REQUEST_PORTS;
                $(r.$rp = PortDescriptor::new($rp, $rpd);)*
                $(r.$ro = $ro;)*
                $(r.$rq = $rq;)*
                r
            }

            /// Checks a received message is this request, and reads it.
            pub fn parse(msg: &[u8]) -> Result<Request, KernReturn> {
                let h: MsgHeader = from_bytes(msg).ok_or(MIG_BAD_ARGUMENTS)?;
                if h.id != ID {
                    return Err(MIG_BAD_ID);
                }
                let r: Request = from_bytes(msg).ok_or(MIG_BAD_ARGUMENTS)?;
                let complex = r.header.bits & MACH_MSGH_BITS_COMPLEX != 0;
                if r.header.size as usize != core::mem::size_of::<Request>()
                    || complex != (REQUEST_PORTS > 0)
                    || r.body.descriptor_count != REQUEST_PORTS
                {
                    return Err(MIG_BAD_ARGUMENTS);
                }
                $(if r.$rp.kind != MACH_MSG_PORT_DESCRIPTOR { return Err(MIG_TYPE_ERROR); })*
                $(if r.$ro.kind != MACH_MSG_OOL_DESCRIPTOR { return Err(MIG_TYPE_ERROR); })*
                Ok(r)
            }

            pub fn bytes(&self) -> &[u8] {
                as_bytes(self)
            }
        }
    };
}

/// Declares one routine. See the module documentation.
///
/// ```ignore
/// routine! {
///     /// Creates a task.
///     task_create = 3400;
///     request { inherit_memory: u32 }
///     reply { }
///     reply_ports { child: MACH_MSG_TYPE_MOVE_SEND }
/// }
/// ```
/// `request` and `reply` list the plain data; the optional
/// `request_ports`/`reply_ports` name each right with the disposition the
/// sender uses (the receiver finds the resulting right's name in the
/// descriptor), and `request_ool`/`reply_ool` the out-of-line regions.
#[macro_export]
macro_rules! routine {
    (
        $(#[$doc:meta])*
        $name:ident = $id:expr;
        request { $($rq:ident : $rqt:ty),* $(,)? }
        $(request_ports { $($rp:ident : $rpd:expr),* $(,)? })?
        $(request_ool { $($ro:ident),* $(,)? })?
        reply { $($yq:ident : $yqt:ty),* $(,)? }
        $(reply_ports { $($yp:ident : $ypd:expr),* $(,)? })?
        $(reply_ool { $($yo:ident),* $(,)? })?
    ) => {
        $(#[$doc])*
        #[allow(non_snake_case, unused_imports, clippy::too_many_arguments)]
        pub mod $name {
            use super::*;
            use $crate::message::*;
            use $crate::port::*;
            use $crate::kern_return::*;
            use $crate::rpc::*;

            $crate::__rpc_request! {
                $id, MACH_MSG_TYPE_MAKE_SEND_ONCE;
                request { $($rq : $rqt),* }
                request_ports { $($($rp : $rpd),*)? }
                request_ool { $($($ro),*)? }
            }

            /// Descriptors (rights, then out-of-line regions) in the reply.
            const REPLY_PORTS: u32 = 0 $($(+ { let _ = stringify!($yp); 1 })*)? $($(+ { let _ = stringify!($yo); 1 })*)?;

            #[repr(C, packed(4))]
            #[derive(Clone, Copy)]
            pub struct Reply {
                pub header: MsgHeader,
                pub body: MsgBody,
                $($(pub $yp: PortDescriptor,)*)?
                $($(pub $yo: OolDescriptor,)*)?
                pub ret: KernReturn,
                $(pub $yq: $yqt,)*
            }

            const _: () = assert!(core::mem::size_of::<Reply>()
                == MSG_HEADER_SIZE + MSG_BODY_SIZE + MSG_DESCRIPTOR_SIZE * REPLY_PORTS as usize
                    + core::mem::size_of::<KernReturn>() $(+ core::mem::size_of::<$yqt>())*);
            // SAFETY: as for Request.
            unsafe impl $crate::pod::Pod for Reply {}

            impl core::fmt::Debug for Reply {
                fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                    write!(f, concat!(stringify!($name), "::Reply(ret {})"), { self.ret })
                }
            }

            impl Reply {
                /// A successful reply to `req`.
                pub fn new(req: &MsgHeader $($(, $yp: PortName)*)? $($(, $yo: OolDescriptor)*)? $(, $yq: $yqt)*) -> Reply {
                    let mut r: Reply = zeroed();
                    r.header = reply_header(req, core::mem::size_of::<Reply>(), REPLY_PORTS > 0);
                    r.body.descriptor_count = REPLY_PORTS;
                    $($(r.$yp = PortDescriptor::new($yp, $ypd);)*)?
                    $($(r.$yo = $yo;)*)?
                    r.ret = KERN_SUCCESS;
                    $(r.$yq = $yq;)*
                    r
                }
            }

            /// The client stub: sends the request to `dest` and waits.
            pub fn call<T: Transport + ?Sized>(
                t: &T, dest: PortName $($(, $rp: PortName)*)? $($(, $ro: OolDescriptor)*)? $(, $rq: $rqt)*
            ) -> Result<Reply, KernReturn> {
                invoke(t, Request::new(dest $($(, $rp)*)? $($(, $ro)*)? $(, $rq)*))
            }

            /// Sends a request built by the caller (e.g. with a right's
            /// disposition chosen at run time, MIG's polymorphic rights).
            pub fn invoke<T: Transport + ?Sized>(t: &T, req: Request) -> Result<Reply, KernReturn> {
                #[repr(C)]
                union Buf {
                    req: Request,
                    rep: Reply,
                    err: ErrorReply,
                }
                // SAFETY: the union's members are plain integers.
                let mut buf: Buf = unsafe { core::mem::zeroed() };
                buf.req = req;
                // SAFETY: the union is plain data viewed as its bytes.
                let bytes = unsafe {
                    core::slice::from_raw_parts_mut(&mut buf as *mut Buf as *mut u8, core::mem::size_of::<Buf>())
                };
                t.rpc(bytes, core::mem::size_of::<Request>())?;
                check_reply(bytes, ID, core::mem::size_of::<Reply>(), REPLY_PORTS > 0)?;
                let rep: Reply = from_bytes(bytes).ok_or(MIG_TYPE_ERROR)?;
                if rep.ret != KERN_SUCCESS {
                    return Err(rep.ret);
                }
                Ok(rep)
            }
        }
    };
}

/// How one-way messages are sent (simpleroutines): no reply is awaited.
pub trait SendTransport {
    /// Sends the message in `buf` (its header names the destination).
    fn send(&self, buf: &[u8]) -> Result<(), KernReturn>;
}

/// Declares a one-way routine (MIG's simpleroutine): a `Request` struct
/// with `new`/`parse` as in `routine!`, and `send(transport, dest, ...)`,
/// which sends it without a reply port and returns at once. The external
/// memory management protocol is made of these: a pager answers a data
/// request by a separate data_provided, not by a reply.
#[macro_export]
macro_rules! simpleroutine {
    (
        $(#[$doc:meta])*
        $name:ident = $id:expr;
        request { $($rq:ident : $rqt:ty),* $(,)? }
        $(request_ports { $($rp:ident : $rpd:expr),* $(,)? })?
        $(request_ool { $($ro:ident),* $(,)? })?
    ) => {
        $(#[$doc])*
        #[allow(non_snake_case, unused_imports, clippy::too_many_arguments)]
        pub mod $name {
            use super::*;
            use $crate::message::*;
            use $crate::port::*;
            use $crate::kern_return::*;
            use $crate::rpc::*;

            $crate::__rpc_request! {
                $id, 0;
                request { $($rq : $rqt),* }
                request_ports { $($($rp : $rpd),*)? }
                request_ool { $($($ro),*)? }
            }

            /// The sender's stub: sends the message to `dest`.
            pub fn send<T: SendTransport + ?Sized>(
                t: &T, dest: PortName $($(, $rp: PortName)*)? $($(, $ro: OolDescriptor)*)? $(, $rq: $rqt)*
            ) -> Result<(), KernReturn> {
                let r = Request::new(dest $($(, $rp)*)? $($(, $ro)*)? $(, $rq)*);
                t.send(as_bytes(&r))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::RefCell;

    routine! {
        /// A routine for the tests: adds two numbers, returns a right.
        test_add = 9000;
        request { a: u32, b: u64 }
        request_ports { target: MACH_MSG_TYPE_COPY_SEND }
        reply { sum: u64 }
        reply_ports { made: MACH_MSG_TYPE_MAKE_SEND }
        reply_ool { data }
    }

    routine! {
        /// A routine with no rights at all.
        test_plain = 9001;
        request { x: i32 }
        reply { y: i32 }
    }

    /// A transport that runs a server function in place.
    struct Loop<F: Fn(&[u8]) -> std::vec::Vec<u8>>(F, RefCell<usize>);
    impl<F: Fn(&[u8]) -> std::vec::Vec<u8>> Transport for Loop<F> {
        fn rpc(&self, buf: &mut [u8], send_size: usize) -> Result<usize, KernReturn> {
            *self.1.borrow_mut() += 1;
            let reply = (self.0)(&buf[..send_size]);
            buf[..reply.len()].copy_from_slice(&reply);
            Ok(reply.len())
        }
    }

    fn server(msg: &[u8]) -> std::vec::Vec<u8> {
        let hdr: MsgHeader = from_bytes(msg).unwrap();
        match hdr.id {
            test_add::ID => match test_add::Request::parse(msg) {
                Ok(r) if { r.a } == 0 => as_bytes(&reply_error(&r.header, KERN_INVALID_ARGUMENT)).to_vec(),
                Ok(r) => as_bytes(&test_add::Reply::new(&{ r.header }, { r.target }.name + 1,
                    OolDescriptor::new(0x1000, 8, false), r.a as u64 + r.b)).to_vec(),
                Err(e) => as_bytes(&reply_error(&hdr, e)).to_vec(),
            },
            test_plain::ID => {
                let r = test_plain::Request::parse(msg).unwrap();
                as_bytes(&test_plain::Reply::new(&{ r.header }, -{ r.x })).to_vec()
            }
            _ => as_bytes(&reply_error(&hdr, MIG_BAD_ID)).to_vec(),
        }
    }

    simpleroutine! {
        /// A one-way message for the tests.
        test_oneway = 9002;
        request { offset: u64, length: u64 }
        request_ports { }
        request_ool { data }
    }

    struct Sent(RefCell<std::vec::Vec<u8>>);
    impl SendTransport for Sent {
        fn send(&self, buf: &[u8]) -> Result<(), KernReturn> {
            *self.0.borrow_mut() = buf.to_vec();
            Ok(())
        }
    }

    #[test]
    fn simpleroutines_send_without_a_reply_port_and_parse_back() {
        let t = Sent(RefCell::new(std::vec::Vec::new()));
        test_oneway::send(&t, 7, OolDescriptor::new(0x5000, 4096, true), 8192, 4096).unwrap();
        let m = t.0.borrow();
        let r = test_oneway::Request::parse(&m).unwrap();
        assert_eq!((r.offset, r.length, r.header.remote_port), (8192, 4096, 7));
        assert_eq!(msgh_bits_local(r.header.bits), 0);
        assert_ne!(r.header.bits & MACH_MSGH_BITS_COMPLEX, 0);
        assert_eq!({ r.data.size }, 4096);
        assert_eq!(test_plain::Request::parse(&m).unwrap_err(), MIG_BAD_ID);
    }

    #[test]
    fn layouts_have_no_gaps_before_descriptors() {
        use core::mem::offset_of;
        assert_eq!(offset_of!(test_add::Request, target), MSG_HEADER_SIZE + MSG_BODY_SIZE);
        assert_eq!(offset_of!(test_add::Reply, made), MSG_HEADER_SIZE + MSG_BODY_SIZE);
        assert_eq!(offset_of!(test_plain::Reply, ret), offset_of!(ErrorReply, ret));
        assert_eq!(core::mem::size_of::<test_add::Request>() % 4, 0);
    }

    #[test]
    fn request_is_complex_exactly_when_rights_travel() {
        let r = test_add::Request::new(5, 7, 1, 2);
        assert_ne!(r.header.bits & MACH_MSGH_BITS_COMPLEX, 0);
        assert_eq!({ r.body }.descriptor_count, 1);
        assert_eq!({ r.target }.disposition as u32, MACH_MSG_TYPE_COPY_SEND);
        let p = test_plain::Request::new(5, 1);
        assert_eq!(p.header.bits & MACH_MSGH_BITS_COMPLEX, 0);
        assert_eq!(msgh_bits_local(p.header.bits), MACH_MSG_TYPE_MAKE_SEND_ONCE);
    }

    #[test]
    fn round_trip_through_the_stubs() {
        let t = Loop(server, RefCell::new(0));
        let rep = test_add::call(&t, 5, 41, 2, 40).unwrap();
        assert_eq!({ rep.sum }, 42);
        assert_eq!({ rep.made }.name, 42);
        assert_eq!({ rep.data }.size, 8);
        assert_eq!({ rep.body }.descriptor_count, 2);
        assert_eq!({ test_plain::call(&t, 5, 9).unwrap().y }, -9);
        assert_eq!(*t.1.borrow(), 2);
    }

    #[test]
    fn errors_come_back_as_values() {
        let t = Loop(server, RefCell::new(0));
        assert_eq!(test_add::call(&t, 5, 1, 0, 1).unwrap_err(), KERN_INVALID_ARGUMENT);
        // A server that answers with the wrong routine's reply.
        let wrong = Loop(|m: &[u8]| {
            let h: MsgHeader = from_bytes(m).unwrap();
            as_bytes(&test_plain::Reply::new(&h, 1)).to_vec()
        }, RefCell::new(0));
        assert_eq!(test_add::call(&wrong, 5, 1, 1, 1).unwrap_err(), MIG_TYPE_ERROR);
    }

    #[test]
    fn parse_rejects_malformed_requests() {
        let mut r = test_add::Request::new(5, 7, 1, 2);
        assert!(test_add::Request::parse(&as_bytes(&r)[..10]).is_err());
        let mut h = r.header;
        h.size += 4;
        r.header = h;
        assert_eq!(test_add::Request::parse(as_bytes(&r)).unwrap_err(), MIG_BAD_ARGUMENTS);
        let p = test_plain::Request::new(5, 1);
        assert_eq!(test_add::Request::parse(as_bytes(&p)).unwrap_err(), MIG_BAD_ID);
    }
}
