//! The UNIX server's interface (Lites' `bsd_*` subsystem, 101000): what
//! emulib sends and the server answers, plus the two structures they share
//! in every process's memory (the process page and the per-thread block).
//!
//! Each process holds one send right, its TASK_BOOTSTRAP_PORT, to its own
//! port in the server, so the server knows the caller from the port a
//! request arrives on. Results are Linux style: `rval` >= 0, or -errno;
//! the RPC's own return code is only for transport failures. User
//! pointers travel as numbers and the server reads and writes them with
//! vm_read / vm_write on the process's task, so a bad pointer is EFAULT
//! and never a fault in the server or in emulib.

use crate::routine;

/// Where emulib's fixed pages sit (inside linux_abi::layout's emulib
/// range, 0x7f00_0000_0000..0x7f00_1000_0000; the image is at its start).
pub const EMUL_IMAGE_BASE: u64 = 0x7f00_0000_0000;
/// The process page: the server writes it (vm_write), emulib reads it to
/// answer getpid and the like without a message (Mach 3's shared page).
pub const EMUL_PROC_PAGE: u64 = 0x7f00_0800_0000;
/// The first thread's block; its emulib stack is the EMUL_STACK_SIZE
/// bytes just below it.
pub const EMUL_THREAD0: u64 = 0x7f00_0900_0000;
pub const EMUL_STACK_SIZE: u64 = 64 * 1024;
/// The system call numbers the trampoline sends to emulib.
pub const EMUL_FIRST_CALL: u64 = 0;
pub const EMUL_LAST_CALL: u64 = 511;

/// The process page (read-only to emulib by convention).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcPage {
    pub pid: i32,
    pub ppid: i32,
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    /// Nonzero: a signal may be deliverable; emulib asks bsd_sig_next
    /// before returning to the program.
    pub sig_pending: u32,
    pub _pad: u32,
    /// The kernel's fine clock (host_info): emulib answers clock_gettime
    /// and gettimeofday from rdtsc with these, without a message.
    pub tsc_hz: u64,
    pub boot_tsc: u64,
    pub boot_unix_sec: u64,
}

impl ProcPage {
    /// Nanoseconds since boot at TSC value `tsc`.
    pub fn ns_since_boot(&self, tsc: u64) -> u64 {
        let hz = self.tsc_hz.max(1) as u128;
        ((tsc.wrapping_sub(self.boot_tsc) as u128 * 1_000_000_000) / hz) as u64
    }
}

/// The per-thread block at the user GS base (never the program's FS).
/// Offsets are fixed: emulib's entry code addresses them as gs:OFF.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmulThread {
    /// 0: the block's own address.
    pub self_addr: u64,
    /// 8: the program's rsp while emulib runs.
    pub user_rsp: u64,
    /// 16: top of this thread's emulib stack (16-aligned).
    pub stack_top: u64,
    /// 24: scratch for the return jump.
    pub ret_rip: u64,
    /// 32: the program's FS base (arch_prctl), for fork and ARCH_GET_FS.
    pub fs_base: u64,
    /// 40: names in this task, 0 until emulib makes them (a fork child
    /// starts with them cleared: names do not survive task_create).
    pub reply_port: u32,
    pub server_port: u32,
    pub task_self: u32,
    pub thread_self: u32,
    /// 56: the Linux thread id (the pid for a process's first thread).
    pub tid: u32,
    pub _pad: u32,
    /// 64: set_tid_address / CLONE_CHILD_CLEARTID: zeroed and woken
    /// (futex) when the thread exits, for pthread_join.
    pub clear_tid: u64,
}

/// Where the blocks and emulib stacks of threads after the first go
/// (inside emulib's range, so the program cannot unmap them).
pub const EMUL_THREADS: u64 = 0x7f00_0b00_0000;

pub const EMUL_T_SELF: usize = 0;
pub const EMUL_T_USER_RSP: usize = 8;
pub const EMUL_T_STACK_TOP: usize = 16;
pub const EMUL_T_RET_RIP: usize = 24;

// SAFETY: repr(C) structs of u32/u64 fields without padding.
unsafe impl crate::pod::Pod for ProcPage {}
unsafe impl crate::pod::Pod for EmulThread {}

/// Mapped regular files (the inode pager). When a process opens a
/// regular file for reading, the server maps the file's memory object
/// (one per inode, shared by every opener) read-only into the process and
/// records it in this table, one slot per descriptor below
/// EMUL_MAP_SLOTS; emulib answers read, pread64 and lseek from the
/// mapping without a message. The object's first page is a
/// [`MappedHeader`] (the file's current length), its data starts at
/// MAPPED_DATA. The server writes the slots (vm_write) at open, close,
/// dup2 onto the fd, and exec; on a write or truncate of the file it
/// flushes the object's resident pages before replying, so every mapping
/// (header included) refaults fresh data.
///
/// The file offset of the open file description lives in a
/// [`SharedOffset`] page that the server maps into itself and into every
/// process holding the description (fork inherits it shared), so emulib
/// and the server advance one offset with atomic operations.
pub const EMUL_MAP_TABLE: u64 = 0x7f00_0a00_0000;
pub const EMUL_MAP_SLOTS: usize = 256;
pub const EMUL_MAP_TABLE_SIZE: u64 = (EMUL_MAP_SLOTS * core::mem::size_of::<MappedFd>()) as u64;
/// Where file offset 0 lies in a mapped file's object (after the header).
pub const MAPPED_DATA: u64 = 4096;

/// One slot: 0 in `addr` means no mapping (ask the server).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MappedFd {
    /// The mapping's base in the process (the header page).
    pub addr: u64,
    /// Bytes mapped, header included: file bytes at or past
    /// size - MAPPED_DATA are not mapped and go to the server.
    pub size: u64,
    /// The description's [`SharedOffset`] page in this process.
    pub pos: u64,
    /// MAPPED_READ, MAPPED_WRITE: what the description allows and the
    /// mapping's protection (the header page is read-only regardless).
    pub flags: u64,
}

pub const MAPPED_READ: u64 = 1;
pub const MAPPED_WRITE: u64 = 2;

/// The page holding an open file description's offset. Both sides update
/// `offset` only with atomic read-modify-write (compare-exchange), so
/// concurrent reads through one description never get the same bytes.
#[repr(C)]
#[derive(Debug, Default)]
pub struct SharedOffset {
    pub offset: core::sync::atomic::AtomicU64,
    /// The description's status flags (Linux O_*), as F_GETFL shows them:
    /// emulib writes locally only without O_APPEND.
    pub status: core::sync::atomic::AtomicU64,
}

/// Page 0 of a file's memory object.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MappedHeader {
    /// The file's length when the page was provided.
    pub len: u64,
}

// SAFETY: repr(C), u64 fields, no padding.
unsafe impl crate::pod::Pod for MappedFd {}
unsafe impl crate::pod::Pod for MappedHeader {}

/// What a signal delivery needs (the answer to bsd_sig_next).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigDelivery {
    /// 0: nothing to deliver.
    pub sig: u32,
    pub flags: u32,
    pub handler: u64,
    pub restorer: u64,
    /// The mask to restore at rt_sigreturn (saved in the frame).
    pub old_mask: u64,
    /// The 128-byte siginfo.
    pub info: [u64; 16],
    /// Nonzero: the top of the alternate signal stack to run the handler
    /// on (SA_ONSTACK); 0: below the program's stack pointer.
    pub stack_top: u64,
    /// The alternate stack as the frame's uc_stack saves it (stack_t:
    /// ss_sp, ss_flags, ss_size), restored by rt_sigreturn.
    pub uc_stack: [u64; 3],
}

// SAFETY: repr(C), u32/u64 fields, no padding.
unsafe impl crate::pod::Pod for SigDelivery {}

routine! {
    /// Any call that needs no more than its six raw arguments (the
    /// server copies user memory itself). A call that blocks (wait4,
    /// nanosleep, a console read, pause) is answered later; a call that
    /// ends the process (exit_group, or a fatal signal) is never answered.
    bsd_syscall = 101000;
    request { nr: u64, args: [u64; 6] }
    request_ports { }
    request_ool { }
    reply { rval: i64 }
    reply_ports { }
    reply_ool { }
}

routine! {
    /// fork: a child task with this one's memory (copy-on-write, emulib
    /// and the emulation vector included) and one thread that starts in
    /// emulib at `rip` with stack `rsp` and these bases. The child's pid,
    /// or -errno.
    bsd_fork = 101001;
    request { rip: u64, rsp: u64, gs_base: u64, fs_base: u64 }
    request_ports { }
    request_ool { }
    reply { rval: i64 }
    reply_ports { }
    reply_ool { }
}

routine! {
    /// execve: on success the program part of the address space is the
    /// new image, and emulib jumps to `entry` with stack `sp`. On failure
    /// (rval < 0) nothing changed.
    bsd_execve = 101002;
    request { path: u64, argv: u64, envp: u64 }
    request_ports { }
    request_ool { }
    reply { rval: i64, entry: u64, sp: u64 }
    reply_ports { }
    reply_ool { }
}

routine! {
    /// The next deliverable signal, its action, and the mask to restore;
    /// the server has already blocked what the handler runs with (or
    /// ended the process for a fatal default action).
    bsd_sig_next = 101003;
    request { sp: u64 }
    request_ports { }
    request_ool { }
    reply { d: SigDelivery }
    reply_ports { }
    reply_ool { }
}

routine! {
    /// rt_sigreturn's server part: the signal mask and the alternate
    /// stack (the frame's uc_stack) to restore; `sp` is where the program
    /// goes on.
    bsd_sig_return = 101004;
    request { mask: u64, uc_stack: [u64; 3], sp: u64 }
    request_ports { }
    request_ool { }
    reply { }
    reply_ports { }
    reply_ool { }
}

pub const INODE_PAGER_SYNC: i32 = 101010;

routine! {
    /// Inside the UNIX server, to the inode pager on a file's memory
    /// object port: answered once every message queued before it there
    /// (the dirty pages a clean returned) is handled, so the caller's
    /// next read of the file from disk sees them.
    inode_pager_sync = INODE_PAGER_SYNC;
    request { }
    request_ports { }
    request_ool { }
    reply { }
    reply_ports { }
    reply_ool { }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn the_thread_block_has_the_offsets_emulib_entry_uses() {
        assert_eq!(offset_of!(EmulThread, self_addr), EMUL_T_SELF);
        assert_eq!(offset_of!(EmulThread, user_rsp), EMUL_T_USER_RSP);
        assert_eq!(offset_of!(EmulThread, stack_top), EMUL_T_STACK_TOP);
        assert_eq!(offset_of!(EmulThread, ret_rip), EMUL_T_RET_RIP);
        assert_eq!(offset_of!(EmulThread, tid), 56);
        assert_eq!(size_of::<EmulThread>(), 72);
        // The fast paths read pid and ppid as the page's first two words.
        assert_eq!((offset_of!(ProcPage, pid), offset_of!(ProcPage, ppid)), (0, 4));
    }

    #[test]
    fn messages_fit_and_carry_a_whole_siginfo() {
        assert_eq!(size_of::<SigDelivery>(), 32 + 128 + 32);
        assert!(size_of::<bsd_sig_next::Reply>() < 4096, "the server's receive buffer");
        assert_eq!({ bsd_syscall::Request::new(1, 39, [0; 6]).header }.id, 101000);
    }

    #[test]
    fn the_fixed_pages_lie_inside_emulibs_range() {
        assert!(EMUL_PROC_PAGE > EMUL_IMAGE_BASE && EMUL_THREAD0 > EMUL_PROC_PAGE + EMUL_STACK_SIZE);
        assert!(EMUL_THREAD0 + 4096 <= 0x7f00_1000_0000);
        assert_eq!(EMUL_THREAD0 % 16, 0, "the first stack top is 16-aligned");
        assert!(EMUL_MAP_TABLE > EMUL_THREAD0 && EMUL_MAP_TABLE + EMUL_MAP_TABLE_SIZE <= 0x7f00_1000_0000);
        assert_eq!(EMUL_MAP_TABLE_SIZE % 4096, 0, "the table is whole pages");
    }
}
