//! The device subsystem (2800): Mach 3's device ports.
//!
//! A task holding the device master port opens a device by name
//! (`device_open`) and gets a send right to the device's port, a kernel
//! object; reads and writes on it move whole records (512 bytes for a
//! disk), the data out of line or, for short transfers, in the message.
//! Failures are the `D_*` codes below, returned as the routine's result.
//!
//! A privileged task (a boot task: the UNIX server, the test tasks) gets
//! the device master port with
//! `task_get_special_port(task_self, TASK_DEVICE_MASTER_PORT)`; any other
//! task gets KERN_NO_ACCESS.

use crate::kern_return::KernReturn;
use crate::routine;

/// `task_get_special_port` selector of the device master port (Mach hands
/// it to the bootstrap task; here only privileged tasks get it).
pub const TASK_DEVICE_MASTER_PORT: u32 = 8;

// Mach's io_return_t codes.
pub const D_SUCCESS: KernReturn = 0;
pub const D_IO_ERROR: KernReturn = 2500;
pub const D_WOULD_BLOCK: KernReturn = 2501;
pub const D_NO_SUCH_DEVICE: KernReturn = 2502;
pub const D_ALREADY_OPEN: KernReturn = 2503;
pub const D_DEVICE_DOWN: KernReturn = 2504;
pub const D_INVALID_OPERATION: KernReturn = 2505;
pub const D_INVALID_RECNUM: KernReturn = 2506;
pub const D_INVALID_SIZE: KernReturn = 2507;
pub const D_NO_MEMORY: KernReturn = 2508;
pub const D_READ_ONLY: KernReturn = 2509;

/// The name of a `D_*` code, for messages.
pub fn io_return_name(kr: KernReturn) -> &'static str {
    match kr {
        D_SUCCESS => "D_SUCCESS",
        D_IO_ERROR => "D_IO_ERROR",
        D_WOULD_BLOCK => "D_WOULD_BLOCK",
        D_NO_SUCH_DEVICE => "D_NO_SUCH_DEVICE",
        D_ALREADY_OPEN => "D_ALREADY_OPEN",
        D_DEVICE_DOWN => "D_DEVICE_DOWN",
        D_INVALID_OPERATION => "D_INVALID_OPERATION",
        D_INVALID_RECNUM => "D_INVALID_RECNUM",
        D_INVALID_SIZE => "D_INVALID_SIZE",
        D_NO_MEMORY => "D_NO_MEMORY",
        D_READ_ONLY => "D_READ_ONLY",
        _ => crate::kern_return::name(kr),
    }
}

/// `device_open` modes.
pub const D_READ: u32 = 0x1;
pub const D_WRITE: u32 = 0x2;

/// Longest device name (Mach's dev_name_t), NUL-padded.
pub const DEV_NAME_MAX: usize = 128;
pub type DevName = [u8; DEV_NAME_MAX];

/// A device name for `device_open` (cut to DEV_NAME_MAX - 1 bytes).
pub fn dev_name(s: &str) -> DevName {
    let mut n = [0u8; DEV_NAME_MAX];
    let len = s.len().min(DEV_NAME_MAX - 1);
    n[..len].copy_from_slice(&s.as_bytes()[..len]);
    n
}

/// The bytes of a name before its first NUL.
pub fn dev_name_str(n: &DevName) -> &[u8] {
    let len = n.iter().position(|&b| b == 0).unwrap_or(DEV_NAME_MAX);
    &n[..len]
}

/// Data carried in the message by the `_inband` routines: one disk
/// record (Mach's is 128 bytes, less than the 512-byte record here).
pub const IO_INBAND_MAX: usize = 512;
/// Most bytes one device_read or device_write moves.
pub const DEVICE_IO_MAX: u32 = 1024 * 1024;

/// `device_get_status` flavour DEV_GET_SIZE: status[DEV_GET_SIZE_RECORDS]
/// is the device's size in records, status[DEV_GET_SIZE_RECORD_SIZE] the
/// bytes in a record.
pub const DEV_GET_SIZE: u32 = 0;
pub const DEV_GET_SIZE_RECORDS: usize = 0;
pub const DEV_GET_SIZE_RECORD_SIZE: usize = 1;
/// `device_get_status` flavour DEV_GET_IO_STATS (not Mach's): requests
/// the driver completed, completion interrupts it took, requests that
/// were slow (not answered within 5 s; the driver waits on, so these are
/// not failures).
pub const DEV_GET_IO_STATS: u32 = 100;
pub const DEV_IO_STATS_REQUESTS: usize = 0;
pub const DEV_IO_STATS_INTERRUPTS: usize = 1;
pub const DEV_IO_STATS_TIMEOUTS: usize = 2;
/// Words of status a reply carries (Mach's dev_status_t is longer).
pub const DEV_STATUS_MAX: usize = 8;

routine! {
    /// Opens device `name` ("hd0" or its alias "disk0") with `mode`
    /// (D_READ, D_WRITE); sent to the device master port. Gives a send
    /// right to the device port.
    device_open = 2800;
    request { mode: u32, name: DevName }
    reply { }
    reply_ports { device: MACH_MSG_TYPE_MOVE_SEND }
}

routine! {
    /// Closes one open of the device.
    device_close = 2801;
    request { }
    reply { }
}

routine! {
    /// Writes the out-of-line `data` (whole records) from record `recnum`.
    device_write = 2802;
    request { mode: u32, recnum: u64 }
    request_ool { data }
    reply { bytes_written: u32 }
}

routine! {
    /// Writes the first `len` bytes of `data` (whole records) at `recnum`.
    device_write_inband = 2803;
    request { mode: u32, recnum: u64, len: u32, data: [u8; IO_INBAND_MAX] }
    reply { bytes_written: u32 }
}

routine! {
    /// Reads `bytes_wanted` (whole records) from record `recnum`; the data
    /// comes back out of line.
    device_read = 2804;
    request { mode: u32, recnum: u64, bytes_wanted: u32 }
    reply { }
    reply_ool { data }
}

routine! {
    /// device_read with the data in the reply (at most IO_INBAND_MAX).
    device_read_inband = 2805;
    request { mode: u32, recnum: u64, bytes_wanted: u32 }
    reply { len: u32, data: [u8; IO_INBAND_MAX] }
}

routine! {
    /// The device's status of `flavor` (DEV_GET_SIZE, DEV_GET_IO_STATS):
    /// `count` words.
    device_get_status = 2808;
    request { flavor: u32 }
    reply { count: u32, status: [u32; DEV_STATUS_MAX] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_cut() {
        assert_eq!(dev_name_str(&dev_name("hd0")), b"hd0");
        let long = "x".repeat(300);
        assert_eq!(dev_name_str(&dev_name(&long)).len(), DEV_NAME_MAX - 1);
    }

    #[test]
    fn ids_are_machs() {
        assert_eq!(device_open::ID, 2800);
        assert_eq!(device_read::ID, 2804);
        assert_eq!(device_get_status::ID, 2808);
        assert_eq!(io_return_name(D_INVALID_RECNUM), "D_INVALID_RECNUM");
    }
}
