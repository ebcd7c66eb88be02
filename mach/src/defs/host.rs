//! Calls on the host ports (Mach's 200 range). host_info works on both
//! the host port (host_self) and the host privileged port (host_priv);
//! the others need host_priv and answer KERN_INVALID_HOST on host_self.
//! The host_self trap and TASK_HOST_PORT give a privileged task (a boot
//! task) host_priv, every other task host_self.

use crate::routine;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostBasicInfo {
    pub max_cpus: u32,
    pub avail_cpus: u32,
    pub memory_size: u64,
    pub free_pages: u64,
    pub page_size: u32,
    pub hz: u32,
    pub ticks: u64,
    /// The fine clock: ns since boot = (rdtsc - boot_tsc) * 10^9 / tsc_hz,
    /// and the wall clock is boot_unix_sec seconds plus that.
    pub tsc_hz: u64,
    pub boot_tsc: u64,
    pub boot_unix_sec: u64,
}

routine! {
    host_info = 200;
    request { }
    reply { info: HostBasicInfo }
}

/// What `host_kernel_counts` reports, by index: the kernel objects in
/// existence and the kernel heap's bytes in use.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelCount {
    Tasks,
    Threads,
    KernelStacks,
    Ports,
    VmObjects,
    PageTablePages,
    HeapBytes,
}

pub const KERNEL_COUNTS: usize = 7;

/// The counts' names, as the UNIX server's /proc/machobjs prints them.
pub const KERNEL_COUNT_NAMES: [&str; KERNEL_COUNTS] =
    ["tasks", "threads", "kernel_stacks", "ports", "vm_objects", "page_table_pages", "kernel_heap_bytes"];

routine! {
    /// The kernel's object counts (`KernelCount` order, `count` of them;
    /// the rest 0; a count below zero, a bug, shows as its two's complement):
    /// how a test sees what outlives a process.
    host_kernel_counts = 223;
    request { }
    reply { count: u32, counts: [u64; 16] }
}

/// `host_reboot` options.
pub const HOST_REBOOT_HALT: u32 = 0x8;

routine! {
    /// Powers the machine off (HOST_REBOOT_HALT), carrying `status` out.
    host_reboot = 204;
    request { options: u32, status: u32 }
    reply { }
}

routine! {
    /// Writes bytes to the kernel console (Mach's device_write on the
    /// console, until the device interface lands).
    host_console_write = 220;
    request { len: u32, data: [u8; 256] }
    reply { }
}

/// Longest module command line host_get_boot_module returns.
pub const BOOT_MODULE_NAME_MAX: usize = 256;

routine! {
    /// Boot module `index` (0 is the first task itself): its command line
    /// (file name, then arguments) and its bytes out of line. `count` is
    /// how many modules there are; an index past the end gives
    /// KERN_INVALID_ARGUMENT. How a server reads its programs before it
    /// has a disk.
    host_get_boot_module = 221;
    request { index: u32 }
    reply { count: u32, name_len: u32, name: [u8; BOOT_MODULE_NAME_MAX] }
    reply_ool { data }
}

routine! {
    /// Reads up to `max` (at most 256) bytes typed on the console, parking
    /// the caller until at least one has arrived (COM1's receive
    /// interrupt) or until the caller's receive timeout (MACH_RCV_TIMEOUT
    /// on the mach_msg that sends the request), which answers
    /// MACH_RCV_TIMED_OUT. Until the device interface lands, as
    /// host_console_write.
    host_console_read = 222;
    request { max: u32 }
    request_ports { }
    request_ool { }
    reply { len: u32, data: [u8; 256] }
    reply_ports { }
    reply_ool { }
}

routine! {
    /// Makes `manager` (a send right made from the caller's receive right)
    /// the default memory manager: the task that takes anonymous pages
    /// pageout evicts once the kernel's compressed store is full. It gets
    /// memory_object_create on that port for each object it is to hold.
    /// Set once: a second call gets KERN_INVALID_ARGUMENT. host_priv only.
    host_set_default_memory_manager = 224;
    request { }
    request_ports { manager: crate::port::MACH_MSG_TYPE_MAKE_SEND }
    reply { }
}
