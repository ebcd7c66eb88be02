//! Mach IPC: ports, rights, port name spaces, port sets and messages.
//!
//! Locking order: a space's lock, then a port's lock, then wait queues.
//! A port set's lock is taken before its members' port locks (receive on a
//! set) and never while a port lock is held. Rights are values (`Right`)
//! whose drop releases them (possibly sending a notification), so they are
//! always dropped after the locks are released. The fast path takes a
//! receiving task's VM lock, then its space lock (nothing else nests them).
//!
//! Files: `port` (ports and their accounting), `right` (rights as values,
//! copyin from a space with dispositions), `space` (name spaces, copyout),
//! `pset` (port sets), `kmsg` (the kernel copy of a message), `ool`
//! (out-of-line memory), `mqueue` (queueing, blocking, timeouts), `msg` (the
//! mach_msg trap), `fastpath` (its null-RPC fast path with handoff),
//! `table` (a space's entries indexed by name), `notify` (notifications),
//! `kobject` (kernel-served ports and the mach_port / task operations).

pub mod fastpath;
pub mod kmsg;
pub mod kobject;
pub mod mach_port;
pub mod mqueue;
pub mod msg;
pub mod notify;
pub mod ool;
pub mod port;
pub mod pset;
pub mod right;
pub mod space;
pub mod table;

use alloc::sync::Arc;
use port::{KObject, Port};

static BOOTSTRAP: spin::Once<Arc<Port>> = spin::Once::new();
static HOST: spin::Once<Arc<Port>> = spin::Once::new();

/// The bootstrap port: made once at boot. The first boot task gets its
/// receive right (kern::bootstrap), and every boot task a send right as
/// its TASK_BOOTSTRAP_PORT special port, which it asks for with
/// task_get_special_port(task_self, TASK_BOOTSTRAP_PORT). For the first
/// task that name is the name of its receive right.
pub fn bootstrap_port() -> &'static Arc<Port> {
    BOOTSTRAP.call_once(|| Port::new(KObject::None))
}

/// The host port (host_self: the unprivileged routines, kern/host_server.rs).
pub fn host_port() -> &'static Arc<Port> {
    HOST.call_once(|| Port::new(KObject::Host))
}
