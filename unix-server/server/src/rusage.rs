//! CPU time and memory use. A process's own comes from the kernel
//! (task_info: user ticks of its threads, resident pages); what its
//! waited-for children used is summed here when they are reaped, as
//! 4.4BSD does, so getrusage(RUSAGE_CHILDREN), times() and wait4's
//! rusage say what the children (and theirs) used.

use crate::calls::ticks_and_hz;
use alloc::collections::BTreeMap;
use linux_abi::structs::{Rusage, Timeval};
use mach::defs::task::task_info;
use mach::port::PortName;
use machrt::rpc::Kernel;
use machrt::sync::Mutex;
use unix_server::proc::Pid;

/// Ticks of CPU time and the largest resident size (KiB).
#[derive(Clone, Copy, Default)]
pub struct Usage {
    pub ticks: u64,
    pub maxrss_kb: u64,
}

impl Usage {
    fn add(&mut self, o: Usage) {
        self.ticks += o.ticks;
        self.maxrss_kb = self.maxrss_kb.max(o.maxrss_kb);
    }

    /// As struct rusage: user time from the ticks (no system time is
    /// accounted apart: the kernel counts ticks in user mode).
    pub fn rusage(&self) -> Rusage {
        let (_, hz) = ticks_and_hz();
        let us = self.ticks.saturating_mul(1_000_000) / hz;
        let utime = Timeval { tv_sec: (us / 1_000_000) as i64, tv_usec: (us % 1_000_000) as i64 };
        Rusage { ru_utime: utime, ru_maxrss: self.maxrss_kb as i64, ..Default::default() }
    }

    /// In clock ticks of `clk_tck` per second (times()).
    pub fn clock(&self, clk_tck: u64) -> i64 {
        let (_, hz) = ticks_and_hz();
        (self.ticks.saturating_mul(clk_tck) / hz) as i64
    }
}

/// Ended, not yet reaped: their own use plus their reaped children's.
static ENDED: Mutex<BTreeMap<Pid, Usage>> = Mutex::new(BTreeMap::new());
/// Per process: what its reaped children used.
static CHILDREN: Mutex<BTreeMap<Pid, Usage>> = Mutex::new(BTreeMap::new());

/// A live process's own use.
pub fn own(task: PortName) -> Usage {
    match task_info::call(&Kernel, task) {
        Ok(r) => {
            let i = r.info;
            Usage { ticks: i.user_ticks, maxrss_kb: i.resident_pages * 4 }
        }
        Err(_) => Usage::default(),
    }
}

pub fn children(pid: Pid) -> Usage {
    CHILDREN.lock().get(&pid).copied().unwrap_or_default()
}

/// The process ends (its task still exists): keep its totals for the
/// parent's wait.
pub fn ended(pid: Pid, task: PortName) {
    let mut u = own(task);
    if let Some(c) = CHILDREN.lock().remove(&pid) {
        u.add(c);
    }
    ENDED.lock().insert(pid, u);
}

/// `parent` reaped `child`: its totals, now counted among the parent's
/// children.
pub fn reaped(parent: Pid, child: Pid) -> Usage {
    let u = ENDED.lock().remove(&child).unwrap_or_default();
    CHILDREN.lock().entry(parent).or_default().add(u);
    u
}

/// The bytes of a struct rusage (all 64-bit fields, no padding).
pub fn bytes(r: &Rusage) -> &[u8] {
    // SAFETY: Rusage is repr(C) with only i64 fields (Timeval is two),
    // so every byte is initialized and it may be viewed as bytes.
    unsafe { core::slice::from_raw_parts(r as *const Rusage as *const u8, core::mem::size_of::<Rusage>()) }
}
