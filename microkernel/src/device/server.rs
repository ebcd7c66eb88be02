//! The device master port's server (device_open) and the device ports'
//! (close, read, write, get_status), as Mach 3's device interface
//! (`mach::defs::device`). Every bad request is a D_* reply.

use super::blk::{self, Disk, RECORD};
use crate::ipc::kmsg::Kmsg;
use crate::ipc::kobject::{error_reply, reply, take_ool};
use crate::ipc::port::{KObject, Port};
use crate::ipc::right::Right;
use alloc::sync::Arc;
use core::mem::offset_of;
use mach::defs::device::*;
use mach::kern_return::*;
use mach::message::{MsgHeader, OolDescriptor};

static MASTER: spin::Once<Arc<Port>> = spin::Once::new();

/// The device master port (Mach's privileged device port).
pub fn master_port() -> &'static Arc<Port> {
    MASTER.call_once(|| Port::new(KObject::DeviceMaster))
}

macro_rules! parse {
    ($r:ident, $req:expr) => {
        match $r::Request::parse(&$req.data) {
            Ok(a) => a,
            Err(kr) => return error_reply(&$req.header, kr),
        }
    };
}

/// A request on the device master port.
pub fn serve_master(req: &mut Kmsg) -> Kmsg {
    let h = req.header;
    if h.id != device_open::ID {
        return error_reply(&h, MIG_BAD_ID);
    }
    let a = parse!(device_open, req);
    let Some((index, disk)) = blk::lookup(dev_name_str(&{ a.name })) else {
        return error_reply(&h, D_NO_SUCH_DEVICE);
    };
    if let Err(kr) = disk.open(a.mode) {
        return error_reply(&h, kr);
    }
    let r = device_open::Reply::new(&h, 0);
    reply(&r).with_port(offset_of!(device_open::Reply, device), Right::make_send(disk.port(index)))
}

/// A request on the port of disk `index`.
pub fn serve_device(index: u32, req: &mut Kmsg) -> Kmsg {
    let h = req.header;
    let Some(disk) = blk::by_index(index) else { return error_reply(&h, D_NO_SUCH_DEVICE) };
    match h.id {
        device_close::ID => {
            parse!(device_close, req);
            result(&h, disk.close().map(|_| reply(&device_close::Reply::new(&h))))
        }
        device_read::ID => {
            let a = parse!(device_read, req);
            read(&h, &disk, a.recnum, a.bytes_wanted)
        }
        device_read_inband::ID => {
            let a = parse!(device_read_inband, req);
            read_inband(&h, &disk, a.recnum, a.bytes_wanted)
        }
        device_write::ID => {
            let a = parse!(device_write, req);
            write(req, &disk, a.recnum)
        }
        device_write_inband::ID => {
            let a = parse!(device_write_inband, req);
            let data = a.data;
            let Some(bytes) = data.get(..a.len as usize) else { return error_reply(&h, D_INVALID_SIZE) };
            result(&h, disk.write(a.recnum, bytes).map(|n| reply(&device_write_inband::Reply::new(&h, n))))
        }
        device_get_status::ID => {
            let a = parse!(device_get_status, req);
            get_status(&h, &disk, a.flavor)
        }
        _ => error_reply(&h, MIG_BAD_ID),
    }
}

fn result(h: &MsgHeader, r: Result<Kmsg, KernReturn>) -> Kmsg {
    r.unwrap_or_else(|kr| error_reply(h, kr))
}

/// A frame's bytes, through the physmap.
fn frame_bytes(frame: u64) -> &'static mut [u8] {
    // SAFETY: a whole frame the caller holds (an object's page), seen
    // through the physmap; nobody else writes it during the transfer.
    unsafe { core::slice::from_raw_parts_mut(crate::arch::layout::phys_to_virt(frame) as *mut u8, PAGE_BYTES) }
}

const PAGE_BYTES: usize = mach::vm::PAGE_SIZE;

/// A read of whole pages goes straight into fresh frames, page by page:
/// no heap buffer, which a full, fragmented memory may not give (the
/// default pager reads its swap this way while memory is short).
fn read_pages(h: &MsgHeader, disk: &Disk, recnum: u64, bytes: u32) -> Option<Kmsg> {
    if bytes as usize % PAGE_BYTES != 0 || blk::check_transfer(disk.records(), recnum, bytes as u64).is_err() {
        return None;
    }
    let Some((region, frames)) = crate::ipc::ool::frames_region(bytes as u64 / PAGE_BYTES as u64) else {
        return Some(error_reply(h, D_NO_MEMORY));
    };
    for (i, &f) in frames.iter().enumerate() {
        if let Err(kr) = disk.read_into(recnum + (i * PAGE_BYTES / RECORD) as u64, frame_bytes(f)) {
            return Some(error_reply(h, kr));
        }
    }
    let r = device_read::Reply::new(h, OolDescriptor::new(0, bytes, false));
    Some(reply(&r).with_ool(offset_of!(device_read::Reply, data), region))
}

fn read(h: &MsgHeader, disk: &Disk, recnum: u64, bytes: u32) -> Kmsg {
    let data = match disk.read(recnum, bytes) {
        Ok(d) => d,
        // No buffer to be had (the default pager reading swap while memory
        // is short): page by page into fresh frames. Only then: a page per
        // device request is many more requests than a buffer's transfers.
        Err(D_NO_MEMORY) => return read_pages(h, disk, recnum, bytes).unwrap_or_else(|| error_reply(h, D_NO_MEMORY)),
        Err(kr) => return error_reply(h, kr),
    };
    let region = crate::ipc::ool::vec_region(data);
    let r = device_read::Reply::new(h, OolDescriptor::new(0, bytes, false));
    reply(&r).with_ool(offset_of!(device_read::Reply, data), region)
}

fn read_inband(h: &MsgHeader, disk: &Disk, recnum: u64, bytes: u32) -> Kmsg {
    if bytes as usize > IO_INBAND_MAX {
        return error_reply(h, D_INVALID_SIZE);
    }
    let data = match disk.read(recnum, bytes) {
        Ok(d) => d,
        Err(kr) => return error_reply(h, kr),
    };
    let mut buf = [0u8; IO_INBAND_MAX];
    buf[..data.len()].copy_from_slice(&data);
    reply(&device_read_inband::Reply::new(h, bytes, buf))
}

fn write(req: &mut Kmsg, disk: &Disk, recnum: u64) -> Kmsg {
    let h = req.header;
    let Some(region) = take_ool(req, offset_of!(device_write::Request, data)) else {
        return error_reply(&h, D_INVALID_SIZE);
    };
    // Checked before the data is gathered: an absurd size costs nothing.
    if let Err(kr) = blk::check_transfer(disk.records(), recnum, region.size) {
        return error_reply(&h, kr);
    }
    if let Ok(bytes) = crate::ipc::ool::region_bytes(&region) {
        return result(&h, disk.write(recnum, &bytes).map(|n| reply(&device_write::Reply::new(&h, n))));
    }
    // No buffer to be had (the default pager writing swap while memory is
    // short): whole pages are written from their frames, a page a request.
    if let Some(frames) = crate::ipc::ool::region_frames(&region) {
        let zeros = [0u8; RECORD];
        for (i, f) in frames.iter().enumerate() {
            let at = recnum + (i * PAGE_BYTES / RECORD) as u64;
            let r = match f {
                Some(f) => disk.write(at, frame_bytes(*f)),
                None => (0..PAGE_BYTES / RECORD).try_fold(0, |n, j| disk.write(at + j as u64, &zeros).map(|m| n + m)),
            };
            if let Err(kr) = r {
                return error_reply(&h, kr);
            }
        }
        return reply(&device_write::Reply::new(&h, region.size as u32));
    }
    error_reply(&h, D_NO_MEMORY)
}

fn get_status(h: &MsgHeader, disk: &Disk, flavor: u32) -> Kmsg {
    let mut status = [0u32; DEV_STATUS_MAX];
    let count = match flavor {
        DEV_GET_SIZE => {
            status[DEV_GET_SIZE_RECORDS] = disk.records().min(u32::MAX as u64) as u32;
            status[DEV_GET_SIZE_RECORD_SIZE] = RECORD as u32;
            2
        }
        DEV_GET_IO_STATS => {
            status[..3].copy_from_slice(&disk.io_stats());
            3
        }
        _ => return error_reply(h, D_INVALID_OPERATION),
    };
    reply(&device_get_status::Reply::new(h, count, status))
}
