//! The UNIX server: processes, files, pipes, signals and ttys, served to
//! emulib over Mach IPC.
//!
//! This crate is the machine-independent core: pure state machines over
//! the Linux x86_64 ABI (`linux-abi`), with no IPC or VM calls, so all of
//! it is testable on the host. The kernel-facing glue (message loop,
//! thread parking, copying to and from user memory, mapping segments)
//! drives these types.
//!
//! Concurrency model: the server is multithreaded; each process's state
//! is behind its own lock, so a call that blocks holds only its own
//! process, never the table. Nothing here blocks: operations that would
//! sleep return a "would block" result and the glue parks the calling
//! thread until the matching wakeup.
//!
//! # LOCKING
//!
//! Every lock of the server task is a sleeping mutex (`machrt::sync`,
//! through [`sync`] here): a waiter blocks in the kernel on the lock's
//! port, so a preempted holder of worse priority still gets the processor
//! and releases it. The one spin lock is the heap's free-list lock (crate
//! `heap`): it is never held across anything but a few list operations,
//! and a refill gets and carves its page outside it (getting a page is a
//! message to the kernel, touching it may wait for a free frame).
//!
//! Order (take only downwards; a lock not listed under another is taken
//! alone, never while holding any other):
//!
//! 1. the process table (`ProcTable`'s inner lock)
//! 2. a process's state (`Proc::state`)
//! 3. a process's descriptor table (`Proc::fds`)
//!
//! and, in the glue (`unix-server/server`):
//!
//! - `futex::FUTEX`, then `Server::parked` (a futex wake moves waiters);
//! - `inode_pager::IO`, then `vfs::ROOT` (a pager transfer reads or
//!   writes the file system); `inode_pager::PAGER` is released before
//!   `IO` is taken;
//! - leaves, taken alone: `Server::procs`, `Server::parked` (but for
//!   FUTEX), `Server::logged`, a pipe's buffer, `tty::TTY`,
//!   `signals::STOPPED`, `calls::NAMES`, `rusage`'s maps,
//!   `offset_pager`'s maps, `inode_pager::PAGER`.
//!
//! Rules: no lock is held while a table method runs that takes the table
//! (the table's methods take and release it themselves, and return what
//! the glue needs: closed files are dropped by the caller after the table
//! lock is gone, since a last close may wake pipe peers or write the
//! disk). A kernel RPC (vm_read/vm_write of a process's memory, task and
//! thread calls, disk I/O) may run under a sleeping lock, but never under
//! one the inode pager thread needs (`PAGER`, `IO`, `ROOT`) when the
//! memory touched may be a mapped file: the kernel would wait for that
//! pager. No reply or request to a user task is sent under any lock.
//!
//! Every fallible operation returns `Result<T, Errno>`.
#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod exec_image;
pub mod fd;
pub mod namei;
pub mod pipe;
pub mod tty;
pub mod proc;
pub mod sigframe;
pub mod signal;
pub mod sync;

pub use linux_abi::Errno;
