//! Threads of a UNIX process: clone(CLONE_THREAD) makes a Mach thread in
//! the process's own task, with its own emulib block and stack (at its GS
//! base) and the program's registers, so it returns from the clone with 0
//! on the stack it was given, as Linux's does. The server only hands out
//! the thread id and serves futex; exit of one thread clears its
//! clear-child-tid word, wakes it (pthread_join waits there) and ends the
//! thread; the last thread's exit ends the process.
//!
//! The threads are listed here (their port names and blocks) so that an
//! exec can stop the others first and end them once it succeeded, and so
//! that a dead thread's block and stack are used again by a later clone.

use crate::{forward, ports, put_user, Rpc};
use core::sync::atomic::{AtomicU32, Ordering};
use emulib::Frame;
use linux_abi::consts::clone::*;
use linux_abi::sysno::*;
use linux_abi::Errno;
use mach::defs::bsd::*;
use mach::defs::mach_port::{mach_port_deallocate, mach_port_destroy};
use mach::defs::task::thread_create;
use mach::defs::thread::{thread_resume, thread_set_state, thread_suspend, thread_terminate, StateBuf, ThreadState64,
                         X86_THREAD_STATE64};
use core::sync::atomic::{AtomicBool, AtomicU64};
use mach::defs::vm::{vm_allocate, vm_deallocate};

/// Live threads of this process (emulib's data is the process's memory,
/// shared by its threads; a fork child starts with one).
static THREADS: AtomicU32 = AtomicU32::new(1);

const FUTEX_WAKE: u64 = 1;
const BLOCK: u64 = EMUL_STACK_SIZE + 4096;
/// The end of emulib's range: thread blocks stay below it.
const EMUL_END: u64 = 0x7f00_1000_0000;

/// Slots of the thread list: 0 free; else the thread's port name in
/// this task (low 32 bits), its block's page within emulib's range (bits
/// 32..62) and DEAD once it exited.
const SLOTS: usize = 256;
static LIST: [AtomicU64; SLOTS] = [const { AtomicU64::new(0) }; SLOTS];
static LIST_LOCK: AtomicBool = AtomicBool::new(false);
const DEAD: u64 = 1 << 63;

fn with_list<R>(f: impl FnOnce(&[AtomicU64; SLOTS]) -> R) -> R {
    while LIST_LOCK.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
        core::hint::spin_loop();
    }
    let r = f(&LIST);
    LIST_LOCK.store(false, Ordering::Release);
    r
}

fn pack(name: u32, block: u64) -> u64 {
    ((block - EMUL_IMAGE_BASE) / 4096) << 32 | name as u64
}

fn unpack(v: u64) -> (u32, u64, bool) {
    (v as u32, EMUL_IMAGE_BASE + ((v & !DEAD) >> 32) * 4096, v & DEAD != 0)
}

/// The child side of fork: only the calling thread goes on (the others'
/// ports are not in the child's space).
pub fn forked() {
    // Only stores that change something: the first store to a page of
    // emulib's data in the child is a copy-on-write fault.
    if THREADS.load(Ordering::SeqCst) != 1 {
        THREADS.store(1, Ordering::SeqCst);
    }
    if LIST.iter().any(|s| s.load(Ordering::SeqCst) != 0) {
        with_list(|l| l.iter().for_each(|s| s.store(0, Ordering::SeqCst)));
    }
}

/// A dead thread's block, now surely ended and its name released.
fn reuse_block(task: u32) -> Option<u64> {
    let v = with_list(|l| {
        let s = l.iter().find(|s| unpack(s.load(Ordering::SeqCst)).2)?;
        Some(s.swap(0, Ordering::SeqCst))
    })?;
    let (name, block, _) = unpack(v);
    // It may still be running its last instructions: end it first.
    let _ = thread_terminate::call(&Rpc, name);
    let _ = mach_port_deallocate::call(&Rpc, task, name);
    release_names(task, block);
    Some(block)
}

/// Releases what a dead thread's `ports()` took in this task: its reply
/// port (a receive right of its own, which would otherwise stay in the
/// space, one port per thread ever made) and the user references its
/// traps and task_get_special_port added to the thread, task and server
/// names (which would otherwise pile up towards the urefs limit).
fn release_names(task: u32, block: u64) {
    // SAFETY: `block` is the dead thread's EmulThread, written at its
    // clone; the thread has ended, so nothing else touches it.
    let old: EmulThread = unsafe { core::ptr::read(block as *const EmulThread) };
    if old.reply_port == 0 {
        return; // it never made its names
    }
    let _ = mach_port_destroy::call(&Rpc, task, old.reply_port);
    for n in [old.thread_self, old.task_self, old.server_port] {
        if n != 0 {
            let _ = mach_port_deallocate::call(&Rpc, task, n);
        }
    }
}

/// Records a live thread; false when the list is full.
fn record(name: u32, block: u64) -> bool {
    with_list(|l| match l.iter().find(|s| s.load(Ordering::SeqCst) == 0) {
        Some(s) => {
            s.store(pack(name, block), Ordering::SeqCst);
            true
        }
        None => false,
    })
}

/// exec: the other threads stop while it runs; after a success they end
/// (the image they ran is gone), after a failure they go on.
pub fn exec_begin(me: u32) {
    for_others(me, |name| {
        let _ = thread_suspend::call(&Rpc, name);
    });
}

pub fn exec_end(me: u32, succeeded: bool) {
    for_others(me, |name| {
        let _ = if succeeded { thread_terminate::call(&Rpc, name).map(|_| ()) } else { thread_resume::call(&Rpc, name).map(|_| ()) };
    });
    if succeeded {
        THREADS.store(1, Ordering::SeqCst);
        with_list(|l| l.iter().for_each(|s| {
            let v = s.load(Ordering::SeqCst);
            if v != 0 && unpack(v).0 != me {
                s.store(v | DEAD, Ordering::SeqCst);
            }
        }));
    }
}

fn for_others(me: u32, f: impl Fn(u32)) {
    let names: [u64; SLOTS] = with_list(|l| core::array::from_fn(|i| l[i].load(Ordering::SeqCst)));
    for v in names.into_iter().filter(|&v| v != 0) {
        let (name, _, dead) = unpack(v);
        if !dead && name != me {
            f(name);
        }
    }
}

/// clone with CLONE_THREAD: a new thread in this task. Returns its tid.
pub fn clone(f: &Frame, a: [u64; 6]) -> i64 {
    let (flags, stack, ptid, ctid, tls) = (a[0], a[1], a[2], a[3], a[4]);
    // Linux's rules: a thread shares the signal handlers, which need the
    // memory shared; and a thread needs a stack here.
    if flags & CLONE_SIGHAND == 0 || flags & CLONE_VM == 0 || stack == 0 {
        return Errno::EINVAL.to_ret();
    }
    let tid = forward(CLONE as u64, [flags, 0, 0, 0, 0, 0]);
    if tid < 0 {
        return tid;
    }
    let t = ports();
    if THREADS.load(Ordering::SeqCst) == 1 {
        // The first clone: the caller is the only thread; list it too, so
        // an exec from another thread stops it.
        if with_list(|l| l.iter().all(|s| unpack(s.load(Ordering::SeqCst)).0 != t.thread_self)) {
            record(t.thread_self, EMUL_THREAD0);
        }
    }
    let Some(block) = reuse_block(t.task_self).or_else(|| new_block(t.task_self)) else {
        return Errno::EAGAIN.to_ret();
    };
    let fs_base = if flags & CLONE_SETTLS != 0 { tls } else { t.fs_base };
    let clear_tid = if flags & CLONE_CHILD_CLEARTID != 0 { ctid } else { 0 };
    let child = EmulThread { self_addr: block, stack_top: block, fs_base, tid: tid as u32, clear_tid, ..Default::default() };
    // SAFETY: `block` is the top page of the fresh BLOCK-byte allocation.
    unsafe { core::ptr::write(block as *mut EmulThread, child) };
    for (flag, at) in [(CLONE_PARENT_SETTID, ptid), (CLONE_CHILD_SETTID, ctid)] {
        if flags & flag != 0 {
            // As Linux, a bad pointer here is not the call's failure.
            let _ = put_user(at, &(tid as u32));
        }
    }
    let regs = ThreadState64 {
        rax: 0, rbx: f.rbx, rcx: f.rcx, rdx: f.rdx, rdi: f.rdi, rsi: f.rsi, rbp: f.rbp, rsp: stack,
        r8: f.r8, r9: f.r9, r10: f.r10, r11: f.r11, r12: f.r12, r13: f.r13, r14: f.r14, r15: f.r15,
        rip: f.rip, rflags: f.rflags, fs_base, gs_base: block,
    };
    THREADS.fetch_add(1, Ordering::SeqCst);
    if start(t.task_self, regs).is_err() {
        THREADS.fetch_sub(1, Ordering::SeqCst);
        let _ = vm_deallocate::call(&Rpc, t.task_self, block + 4096 - BLOCK, BLOCK);
        return Errno::EAGAIN.to_ret();
    }
    tid
}

/// A block and emulib stack for a new thread, in emulib's range: the
/// address of its EmulThread (the stack is the EMUL_STACK_SIZE below).
fn new_block(task: u32) -> Option<u64> {
    let r = vm_allocate::call(&Rpc, task, EMUL_THREADS, BLOCK, 1).ok()?;
    if r.address < EMUL_THREADS || r.address + BLOCK > EMUL_END {
        let _ = vm_deallocate::call(&Rpc, task, r.address, BLOCK);
        return None;
    }
    Some(r.address + EMUL_STACK_SIZE)
}

fn start(task: u32, regs: ThreadState64) -> Result<(), ()> {
    let th = { thread_create::call(&Rpc, task).map_err(|_| ())?.thread }.name;
    let ok = record(th, regs.gs_base)
        && thread_set_state::call(&Rpc, th, X86_THREAD_STATE64, StateBuf { regs }).is_ok()
        && thread_resume::call(&Rpc, th).is_ok();
    if !ok {
        let _ = thread_terminate::call(&Rpc, th);
        with_list(|l| l.iter().filter(|s| unpack(s.load(Ordering::SeqCst)).0 == th).for_each(|s| s.store(0, Ordering::SeqCst)));
        let _ = mach_port_deallocate::call(&Rpc, task, th);
    }
    if ok { Ok(()) } else { Err(()) }
}

/// exit(2): the last thread ends the process (the server); any other
/// ends itself, after clearing and waking its clear-child-tid word.
pub fn exit(a: [u64; 6]) -> i64 {
    let others = THREADS.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n > 1).then(|| n - 1)).is_ok();
    if !others {
        crate::exit_process(EXIT as u64, a);
    }
    let t = ports();
    // As Linux, a clear-child-tid word that cannot be written is skipped.
    if t.clear_tid != 0 && put_user(t.clear_tid, &0u32) == Some(0) {
        forward(FUTEX as u64, [t.clear_tid, FUTEX_WAKE, 1, 0, 0, 0]);
    }
    // This thread's block and stack stay (it runs on them to the end);
    // marked dead, a later clone ends it for sure and takes them.
    let me = t.thread_self;
    with_list(|l| l.iter().for_each(|s| {
        let v = s.load(Ordering::SeqCst);
        if v != 0 && unpack(v).0 == me {
            s.store(v | DEAD, Ordering::SeqCst);
        }
    }));
    let _ = thread_terminate::call(&Rpc, me);
    loop {
        core::hint::spin_loop();
    }
}
