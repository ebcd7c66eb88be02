//! Shared file offsets (`mach::defs::bsd::SharedOffset`): one page per
//! open file description of a mapped file, all in one memory object that
//! this module serves on its own thread. The server maps the whole object
//! into itself; each process holding a description maps that one page
//! (fork inherits it shared), so emulib's local read and lseek and the
//! server's calls advance the same atomic offset.
//!
//! The object is anonymous memory with a name: pages start as zero
//! (data_unavailable) and a page the kernel pages out comes back as it
//! went (data_write is kept until the next data_request). The thread
//! takes no lock but its own store's, so a server thread may touch an
//! offset (and fault on it) while holding any other lock.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::sync::atomic::AtomicU64;
use mach::defs::bsd::SharedOffset;
use mach::defs::memory_object::*;
use mach::defs::vm::vm_map;
use mach::kern_return::*;
use mach::message::*;
use mach::port::*;
use mach::vm::{PAGE_SIZE, VM_INHERIT_NONE, VM_INHERIT_SHARE, VM_PROT_NONE, VM_PROT_READ, VM_PROT_WRITE};
use machrt::msg::Buffer;
use machrt::rpc::Kernel;
use machrt::sync::Mutex;
use unix_server::fd::OffsetHome;

const PAGE: u64 = PAGE_SIZE as u64;
/// Descriptions with a shared offset at once (address space only: a page
/// exists once touched).
const CELLS: u64 = 8192;
/// Where the pages go in a process (with the file mappings).
const MAP_HINT: u64 = 0x3000_0000_0000;

struct Cells {
    /// Receive right plus one send right.
    port: PortName,
    /// The whole object in the server.
    base: u64,
    free: Vec<u32>,
    next: u32,
}

static CELLS_STATE: Mutex<Option<Cells>> = Mutex::new(None);
/// Pages the kernel paged out, by object offset, until asked for again.
static SAVED: Mutex<BTreeMap<u64, Vec<u8>>> = Mutex::new(BTreeMap::new());

/// Makes the object, maps it here and starts its thread. Without it every
/// offset stays private to the server (and read goes by message).
pub fn start() {
    let t = machrt::trap::task_self();
    let Ok(port) = machrt::port::allocate(t, MACH_PORT_RIGHT_RECEIVE) else { return };
    if machrt::port::insert_right(t, port, port, MACH_MSG_TYPE_MAKE_SEND).is_err()
        || machrt::thread::spawn(serve, port as u64).is_err()
    {
        let _ = machrt::port::destroy(t, port);
        return;
    }
    let rw = VM_PROT_READ | VM_PROT_WRITE;
    let Ok(r) = vm_map::call(&Kernel, t, port, 0x2000_0000_0000, CELLS * PAGE, 0, 1, 0, 0, rw, rw, VM_INHERIT_NONE) else {
        machrt::println!("unix-server: no shared offsets");
        return;
    };
    *CELLS_STATE.lock() = Some(Cells { port, base: r.address, free: Vec::new(), next: 0 });
}

/// One description's page, in the server; given back when dropped.
pub struct Cell {
    index: u32,
    shared: &'static SharedOffset,
}

impl OffsetHome for Cell {
    fn cell(&self) -> &AtomicU64 {
        &self.shared.offset
    }

    fn id(&self) -> u64 {
        self.index as u64
    }

    fn flags_changed(&self, flags: u32) {
        self.shared.status.store(flags as u64, core::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Cell {
    fn drop(&mut self) {
        if let Some(c) = CELLS_STATE.lock().as_mut() {
            c.free.push(self.index);
        }
    }
}

/// A page for a new description, or None (no object, or all in use).
pub fn alloc() -> Option<Box<dyn OffsetHome>> {
    let mut g = CELLS_STATE.lock();
    let c = g.as_mut()?;
    let index = match c.free.pop() {
        Some(i) => i,
        None if (c.next as u64) < CELLS => {
            c.next += 1;
            c.next - 1
        }
        None => return None,
    };
    let at = c.base + index as u64 * PAGE;
    // SAFETY: `at` is a page of the object mapped read-write into this
    // task for its lifetime (never unmapped); SharedOffset is one atomic,
    // valid for any bit pattern, and only touched atomically.
    let shared = unsafe { &*(at as *const SharedOffset) };
    Some(Box::new(Cell { index, shared }))
}

/// Maps description page `index` into `task`: its address there.
pub fn map_into(task: PortName, index: u64) -> Option<u64> {
    let port = CELLS_STATE.lock().as_ref()?.port;
    let rw = VM_PROT_READ | VM_PROT_WRITE;
    crate::mem::place_outside_emulib(task, MAP_HINT, PAGE, |at| {
        vm_map::call(&Kernel, task, port, at, PAGE, 0, 1, index * PAGE, 0, rw, rw, VM_INHERIT_SHARE)
            .map(|r| r.address)
            .map_err(|_| linux_abi::Errno::ENOMEM)
    })
    .ok()
}

extern "C" fn serve(port: u64) -> ! {
    let port = port as PortName;
    let mut buf = Buffer::<512>::new();
    loop {
        if machrt::msg::receive(&mut buf, port, 0, 0) != MACH_MSG_SUCCESS {
            continue;
        }
        let h = buf.header();
        let m = &buf.0[..(h.size as usize).min(buf.0.len())];
        match h.id {
            MEMORY_OBJECT_INIT => {
                if let Ok(r) = memory_object_init::Request::parse(m) {
                    CONTROL.store(r.control.name, core::sync::atomic::Ordering::SeqCst);
                    let _ = memory_object_set_attributes::send(&Kernel, r.control.name, 1, 1);
                }
            }
            MEMORY_OBJECT_DATA_REQUEST => {
                if let Ok(r) = memory_object_data_request::Request::parse(m) {
                    provide(r.args);
                }
            }
            MEMORY_OBJECT_DATA_WRITE => {
                if let Ok(r) = memory_object_data_write::Request::parse(m) {
                    keep(r.args.offset, r.data.address, r.data.size as u64);
                }
            }
            _ => {}
        }
    }
}

static CONTROL: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// A page the kernel asks for: what it paged out, else zeros.
fn provide(args: RangeArgs) {
    let control = CONTROL.load(core::sync::atomic::Ordering::SeqCst);
    let mut off = args.offset;
    let end = args.offset.saturating_add(args.length.max(PAGE));
    while off < end {
        let one = RangeArgs { offset: off, length: PAGE, ..args };
        match SAVED.lock().remove(&off) {
            Some(page) => {
                let d = OolDescriptor::new(page.as_ptr() as u64, PAGE as u32, false);
                let _ = memory_object_data_provided::send(&Kernel, control, d, off, VM_PROT_NONE);
            }
            None => {
                let _ = memory_object_data_unavailable::send(&Kernel, control, one);
            }
        }
        off += PAGE;
    }
}

/// Pages paged out: kept, then the carrier memory goes.
fn keep(offset: u64, addr: u64, size: u64) {
    let mut s = SAVED.lock();
    for i in 0..size / PAGE {
        // SAFETY: the kernel mapped `size` bytes of the message's data at
        // `addr` in this task; each page is read once, then unmapped below.
        let page = unsafe { core::slice::from_raw_parts((addr + i * PAGE) as *const u8, PAGE as usize) };
        s.insert(offset + i * PAGE, page.to_vec());
    }
    drop(s);
    let _ = machrt::vm::vm_deallocate(addr, size);
}
