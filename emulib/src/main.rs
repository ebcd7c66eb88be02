//! emulib, the binary: the entry the trampoline jumps to, the switch
//! onto emulib's own per-thread stack (so the program's red zone is never
//! touched), the save and restore of every register the Linux ABI keeps
//! across a system call, and the dispatch: answered here from the process
//! page, or sent to the UNIX server as a `mach::defs::bsd` RPC.
//!
//! Per-thread state sits at the user GS base (`EmulThread`); the program's
//! FS base is its own.
#![no_std]
#![no_main]

extern crate memfns;

use core::sync::atomic::{AtomicU64, Ordering};
use emulib::Frame;
use linux_abi::consts::clone::{CLONE_THREAD, CLONE_VFORK, CLONE_VM};
use linux_abi::sysno::*;
use linux_abi::Errno;
use mach::defs::bsd::*;
use mach::defs::thread::{thread_set_state, BaseState64, StateBuf, X86_BASE_STATE64};
use mach::kern_return::*;
use mach::message::*;
use mach::rpc::{as_bytes, from_bytes, Transport};
use mach::traps;

// The entry. rax = call number, rcx = return address, r11 = flags, every
// other register as the program left it, rsp still the program's. The
// fast paths touch only rax (the result) and the flags, which popfq puts
// back from r11 on emulib's stack.
#[cfg(not(test))]
core::arch::global_asm!(
    r#"
    .section .text.emulib_entry, "ax"
    .global emulib_entry
emulib_entry:
    movq %rsp, %gs:{user_rsp}
    movq %gs:{stack_top}, %rsp
    cmpq ${getpid}, %rax
    je 2f
    cmpq ${gettid}, %rax
    je 3f
    cmpq ${getppid}, %rax
    je 4f
    pushq %r11
    pushq %gs:{user_rsp}
    pushq %rcx
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $512, %rsp
    fxsave64 (%rsp)
    movq %rsp, %rdi
    cld
    call emulib_syscall
    .global emulib_return
emulib_return:
    fxrstor64 (%rsp)
    addq $512, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    popq %gs:{ret_rip}
    popq %gs:{user_rsp}
    popfq
    movq %gs:{user_rsp}, %rsp
    jmp *%gs:{ret_rip}

2:  movabsq ${page}, %rax
    movslq (%rax), %rax
    jmp 5f
3:  movl %gs:{tid}, %eax
    jmp 5f
4:  movabsq ${page}, %rax
    movslq 4(%rax), %rax
5:  pushq %r11
    popfq
    movq %gs:{user_rsp}, %rsp
    jmp *%rcx

    /* A fork child's first instruction: rsp is the frame the parent
       saved (the child's copy of it). */
    .global emulib_fork_child
emulib_fork_child:
    movq %rsp, %rdi
    call emulib_child
    jmp emulib_return

    /* A fault turned signal: the server put the faulting context as a
       Frame at rsp, rsi = signal, rdx = address. */
    .global emulib_fault_entry
emulib_fault_entry:
    movq %rsp, %rdi
    call emulib_fault
    jmp emulib_return
"#,
    user_rsp = const EMUL_T_USER_RSP,
    stack_top = const EMUL_T_STACK_TOP,
    ret_rip = const EMUL_T_RET_RIP,
    tid = const 56,
    getpid = const GETPID,
    gettid = const GETTID,
    getppid = const GETPPID,
    page = const EMUL_PROC_PAGE,
    options(att_syntax)
);

unsafe extern "C" {
    fn emulib_fork_child();
}

const _: () = assert!(core::mem::offset_of!(EmulThread, tid) == 56);
const _: () = assert!(core::mem::offset_of!(EmulThread, stack_top) == EMUL_T_STACK_TOP);

/// This thread's block.
fn thread() -> &'static mut EmulThread {
    let p: u64;
    // SAFETY: gs:0 holds the block's own address (the server or fork set
    // the GS base to a block whose first word is that address).
    unsafe { core::arch::asm!("mov {}, gs:[0]", out(reg) p, options(nostack, readonly, preserves_flags)) };
    // SAFETY: the block is this thread's alone, mapped for the thread's
    // life, and emulib runs one call at a time per thread.
    unsafe { &mut *(p as *mut EmulThread) }
}

fn page() -> ProcPage {
    // SAFETY: the process page is mapped in every UNIX process and the
    // server only ever writes whole, aligned words into it.
    unsafe { core::ptr::read_volatile(EMUL_PROC_PAGE as *const ProcPage) }
}

/// # Safety
/// As a raw trap: the arguments must suit it.
unsafe fn trap6(n: i64, a: u64, b: u64, c: u64, d: u64, e: u64, f: u64) -> u64 {
    let r: u64;
    // SAFETY: per the caller; syscall clobbers rcx and r11 only.
    unsafe {
        core::arch::asm!("syscall", inlateout("rax") n as u64 => r, in("rdi") a, in("rsi") b, in("rdx") c,
                         in("r10") d, in("r8") e, in("r9") f, lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    r
}

fn trap0(n: i64) -> u32 {
    // SAFETY: the self-port traps take no arguments.
    unsafe { trap6(n, 0, 0, 0, 0, 0, 0) as u32 }
}

/// RPCs from this thread, replies on its own reply port.
struct Rpc;

impl Transport for Rpc {
    fn rpc(&self, buf: &mut [u8], send_size: usize) -> Result<usize, KernReturn> {
        if buf.len() < MSG_HEADER_SIZE || send_size > buf.len() {
            return Err(MACH_SEND_MSG_TOO_SMALL);
        }
        let reply = thread().reply_port;
        let mut h: MsgHeader = from_bytes(buf).ok_or(MIG_TYPE_ERROR)?;
        h.local_port = reply;
        buf[..MSG_HEADER_SIZE].copy_from_slice(as_bytes(&h));
        // SAFETY: buf is valid for its whole length, which bounds both sizes.
        let kr = unsafe {
            trap6(traps::MACH_MSG, buf.as_mut_ptr() as u64, (MACH_SEND_MSG | MACH_RCV_MSG) as u64, send_size as u64,
                  buf.len() as u64, reply as u64, 0) as KernReturn
        };
        if kr != MACH_MSG_SUCCESS {
            return Err(kr);
        }
        let h: MsgHeader = from_bytes(buf).ok_or(MIG_TYPE_ERROR)?;
        Ok(h.size as usize)
    }
}

/// Makes this thread's port names on first use (and again in a fork
/// child, whose names start cleared).
fn ports() -> &'static mut EmulThread {
    let t = thread();
    if t.reply_port == 0 {
        t.reply_port = trap0(traps::MACH_REPLY_PORT);
        t.task_self = trap0(traps::TASK_SELF);
        t.thread_self = trap0(traps::THREAD_SELF);
        let boot = mach::defs::task::task_get_special_port::call(&Rpc, t.task_self, mach::defs::task::TASK_BOOTSTRAP_PORT);
        t.server_port = boot.map_or(0, |r| { r.port }.name);
    }
    t
}

/// A call for the server, with its raw arguments.
fn forward(nr: u64, args: [u64; 6]) -> i64 {
    let t = ports();
    match bsd_syscall::call(&Rpc, t.server_port, nr, args) {
        Ok(r) => r.rval,
        Err(_) => Errno::ENOSYS.to_ret(),
    }
}

#[unsafe(no_mangle)]
extern "C" fn emulib_syscall(f: &mut Frame) {
    let nr = f.rax;
    let rip = f.rip;
    let a = f.args();
    f.rax = match nr as usize {
        GETUID => page().uid as i64,
        GETEUID => page().euid as i64,
        GETGID => page().gid as i64,
        GETEGID => page().egid as i64,
        FORK | VFORK => fork(f),
        // A clone that makes a process is a fork; CLONE_VM|CLONE_VFORK
        // (posix_spawn) is one too, the child on the stack it was given:
        // it shares nothing, and the parent goes on at once.
        CLONE if a[0] & CLONE_THREAD == 0 && (a[0] & CLONE_VM == 0 || a[0] & CLONE_VFORK != 0) => fork(f),
        CLONE if a[0] & CLONE_THREAD != 0 => threads::clone(f, a),
        EXIT => threads::exit(a),
        EXIT_GROUP => exit_process(EXIT_GROUP as u64, a),
        GETTID => thread().tid as i64,
        // The server needs the stack pointer: the stack one runs on may
        // not be changed.
        SIGALTSTACK => forward(SIGALTSTACK as u64, [a[0], a[1], f.rsp, 0, 0, 0]),
        SET_TID_ADDRESS => {
            thread().clear_tid = a[0];
            thread().tid as i64
        }
        EXECVE => return exec(f, a),
        ARCH_PRCTL => arch_prctl(a[0] as u32, a[1]),
        CLOCK_GETTIME => clock_gettime(a[0], a[1]),
        GETTIMEOFDAY => gettimeofday(a[0], a[1]),
        RT_SIGRETURN => return sigreturn(f),
        PREAD64 => pread(a),
        PWRITE64 => pwrite(a),
        WRITE => write(a),
        READV => readv(a),
        WRITEV => writev(a),
        READ => read(a),
        LSEEK => lseek(a),
        _ => forward(nr, a),
    } as u64;
    // ERESTARTSYS (SA_RESTART): back to the syscall instruction (two
    // bytes) with the call number, so the same call runs again once the
    // handler returns, as Linux does.
    if f.rax == Errno::ERESTARTSYS.to_ret() as u64 {
        f.rax = nr;
        f.rip = rip - 2;
    }
    deliver_signals(f);
}

/// exit_group, and exit of the last thread: the server ends the
/// process and does not answer. Should the call come back anyway (an
/// RPC error, a server that could not end it), the program must not go
/// on: its C library has nothing after the call (musl's _Exit falls
/// through to hlt). So the task ends itself, with names fetched afresh
/// in case the program scribbled over its thread block.
fn exit_process(nr: u64, a: [u64; 6]) -> ! {
    forward(nr, a);
    terminate_self(a[0])
}

/// Ends this task without the server (whose answer did not come).
fn terminate_self(code: u64) -> ! {
    let t = thread();
    t.reply_port = trap0(traps::MACH_REPLY_PORT);
    t.task_self = trap0(traps::TASK_SELF);
    let _ = mach::defs::task::task_terminate::call(&Rpc, t.task_self);
    // Even that failed (no reply port to be had): the kernel's own exit.
    // SAFETY: DEBUG_TASK_EXIT ends the calling task and does not return.
    unsafe { trap6(traps::DEBUG_TASK_EXIT, code & 0xff, 0, 0, 0, 0, 0) };
    loop {
        core::hint::spin_loop();
    }
}

/// Whether `[addr, addr+len)` lies in the user range (Linux's access_ok);
/// anything else goes to the server, which answers EFAULT. A wild
/// pointer inside the range is the copy routine's to catch (`copy`).
fn user_buffer(addr: u64, len: u64) -> bool {
    addr >= 0x1000 && addr.checked_add(len).is_some_and(|end| end <= linux_abi::layout::USER_END)
}

/// Whether emulib may copy to or from `[addr, addr+len)` for the
/// program: plausible user memory, and not emulib's own range (the
/// server answers for anything else, EFAULT).
fn user_memory(addr: u64, len: u64) -> bool {
    user_buffer(addr, len) && !linux_abi::layout::overlaps_emulib(addr, addr + len)
}

/// Copies `n` bytes of emulib's `src` to the program's `dst`: the bytes
/// copied before a fault (n when none), or None when `dst` is not
/// `user_memory` (the server answers).
fn to_user(dst: u64, src: *const u8, n: u64) -> Option<u64> {
    if !user_memory(dst, n) {
        return None;
    }
    // SAFETY: src is emulib memory valid for n (the callers'); dst is the
    // program's user-range memory, clear of emulib, so a write there
    // changes only what the program asked for, and a fault stops the
    // copy (the server's fixup) instead of the program.
    Some(unsafe { copy::copy(dst as *mut u8, src, n as usize) } as u64)
}

/// Copies `n` bytes of the program's `src` to emulib's `dst`: the bytes
/// copied before a fault, or None when `src` is not `user_memory`.
fn from_user(dst: *mut u8, src: u64, n: u64) -> Option<u64> {
    if !user_memory(src, n) {
        return None;
    }
    // SAFETY: dst is emulib memory writable for n (the callers'); src is
    // read only, and a fault there stops the copy.
    Some(unsafe { copy::copy(dst, src as *const u8, n as usize) } as u64)
}

/// A whole value to the program: Ok, EFAULT after a fault, None when
/// the server should answer (an implausible pointer).
fn put_user<T: Copy>(dst: u64, v: &T) -> Option<i64> {
    let n = core::mem::size_of::<T>() as u64;
    to_user(dst, v as *const T as *const u8, n).map(|k| if k == n { 0 } else { Errno::EFAULT.to_ret() })
}

fn rdtsc() -> u64 {
    // SAFETY: rdtsc is unprivileged and has no side effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// clock_gettime from the TSC and the kernel's fine-clock parameters in
/// the process page: no message, as Linux's vDSO answers it.
fn clock_gettime(clock: u64, tp: u64) -> i64 {
    use linux_abi::consts::clock::*;
    let page = page();
    let ns = page.ns_since_boot(rdtsc());
    let ns = match clock as u32 {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => page.boot_unix_sec * 1_000_000_000 + ns,
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => ns,
        _ => return forward(CLOCK_GETTIME as u64, [clock, tp, 0, 0, 0, 0]),
    };
    let ts = [(ns / 1_000_000_000) as i64, (ns % 1_000_000_000) as i64];
    match put_user(tp, &ts).filter(|_| page.tsc_hz != 0) {
        Some(r) => r,
        None => forward(CLOCK_GETTIME as u64, [clock, tp, 0, 0, 0, 0]),
    }
}

fn gettimeofday(tv: u64, tz: u64) -> i64 {
    let page = page();
    if page.tsc_hz == 0 || tz != 0 {
        return forward(GETTIMEOFDAY as u64, [tv, tz, 0, 0, 0, 0]);
    }
    if tv == 0 {
        return 0;
    }
    let ns = page.boot_unix_sec * 1_000_000_000 + page.ns_since_boot(rdtsc());
    let t = [(ns / 1_000_000_000) as i64, ((ns % 1_000_000_000) / 1000) as i64];
    put_user(tv, &t).unwrap_or_else(|| forward(GETTIMEOFDAY as u64, [tv, tz, 0, 0, 0, 0]))
}

fn fork(f: &mut Frame) -> i64 {
    let t = ports();
    let frame = f as *mut Frame as u64;
    match bsd_fork::call(&Rpc, t.server_port, emulib_fork_child as *const () as u64, frame, t.self_addr, t.fs_base) {
        Ok(r) => r.rval,
        Err(_) => Errno::EAGAIN.to_ret(),
    }
}

/// The child's side of fork: fresh names, and 0 from the call. rax still
/// holds the call number in the child's copy of the frame: a clone given
/// a stack starts on it.
#[unsafe(no_mangle)]
extern "C" fn emulib_child(f: &mut Frame) {
    threads::forked();
    let t = thread();
    (t.reply_port, t.server_port, t.task_self, t.thread_self) = (0, 0, 0, 0);
    t.tid = page().pid as u32;
    if f.rax == CLONE as u64 && f.rsi != 0 {
        f.rsp = f.rsi;
    }
    f.rax = 0;
}

mod copy;
mod threads;

fn exec(f: &mut Frame, a: [u64; 6]) {
    let t = ports();
    threads::exec_begin(t.thread_self);
    let r = bsd_execve::call(&Rpc, t.server_port, a[0], a[1], a[2]);
    threads::exec_end(t.thread_self, matches!(r, Ok(ref r) if r.rval >= 0));
    match r {
        Ok(r) if r.rval >= 0 => {
            f.reset_for_exec(r.entry, r.sp);
            t.fs_base = 0;
        }
        Ok(r) => f.rax = r.rval as u64,
        Err(_) => f.rax = Errno::ENOEXEC.to_ret() as u64,
    }
}

/// The slot of a mapped descriptor and the file's length, or None (ask
/// the server: no slot, or a length past the mapped window).
fn mapped(fd: u64) -> Option<(MappedFd, u64)> {
    if fd >= EMUL_MAP_SLOTS as u64 {
        return None;
    }
    // SAFETY: the server allocates the table in every process before it
    // runs, and fork and exec keep it; whole aligned words.
    let slot = unsafe { core::ptr::read_volatile((EMUL_MAP_TABLE as *const MappedFd).add(fd as usize)) };
    if slot.addr == 0 {
        return None;
    }
    // SAFETY: the slot names a live read-only mapping of the file's object
    // (the server clears the slot before it unmaps); page 0 is the header,
    // which the server flushes (with the data pages) on every write or
    // truncate before replying, so this is the length a server read sees.
    let len = unsafe { core::ptr::read_volatile(slot.addr as *const u64) };
    (len <= slot.size - MAPPED_DATA).then_some((slot, len))
}

/// The description's shared offset (`SharedOffset`), if it has one here.
fn shared_offset(slot: &MappedFd) -> Option<&'static AtomicU64> {
    // SAFETY: a nonzero `pos` is the description's offset page, mapped
    // read-write in this process while the slot is set; only atomics.
    (slot.pos != 0).then(|| unsafe { &(*(slot.pos as *const SharedOffset)).offset })
}

/// Copies file bytes [off, off + n) out of the mapping into the
/// program's `buf` (the caller checked it is `user_memory`): the bytes
/// copied before a fault.
fn copy_out(slot: &MappedFd, off: u64, buf: u64, n: u64) -> u64 {
    // The source lies inside the mapping: off + n <= len <= the window,
    // checked by the caller.
    to_user(buf, (slot.addr + MAPPED_DATA + off) as *const u8, n).unwrap_or(0)
}

/// Copies `n` bytes of the program's `buf` (checked `user_memory` by the
/// caller) into file bytes [off, off + n) of the writable mapping: the
/// bytes copied before a fault.
fn copy_in(slot: &MappedFd, off: u64, buf: u64, n: u64) -> u64 {
    // The destination lies inside the mapping (off + n <= len, checked
    // by the caller), which is the file's shared writable window.
    from_user((slot.addr + MAPPED_DATA + off) as *mut u8, buf, n).unwrap_or(0)
}

/// The answer for a copy that moved `done` bytes of a non-empty request:
/// as Linux, the short count, or EFAULT when a fault came before the
/// first byte.
fn moved(done: u64) -> i64 {
    if done == 0 { Errno::EFAULT.to_ret() } else { done as i64 }
}

/// pread64 on a mapped regular file, copied from the mapping with no
/// message. The description's offset stays as it is.
fn pread(a: [u64; 6]) -> i64 {
    let (fd, buf, count, off) = (a[0], a[1], a[2], a[3]);
    if (off as i64) < 0 || (count as i64) < 0 || !user_memory(buf, count) {
        return forward(PREAD64 as u64, a);
    }
    let Some((slot, len)) = mapped(fd).filter(|(s, _)| s.flags & MAPPED_READ != 0) else {
        return forward(PREAD64 as u64, a);
    };
    if off >= len || count == 0 {
        return 0;
    }
    moved(copy_out(&slot, off, buf, count.min(len - off)))
}

/// read(2) on a mapped regular file: as readv with one element.
fn read(a: [u64; 6]) -> i64 {
    let (fd, buf, count) = (a[0], a[1], a[2]);
    if (count as i64) < 0 || !user_memory(buf, count) {
        return forward(READ as u64, a);
    }
    read_shared(fd, &[[buf, count]], count).unwrap_or_else(|| forward(READ as u64, a))
}

/// The bytes at the description's shared offset, scattered over `v`
/// (`total` bytes in all, every element checked `user_memory`); the
/// offset moves by compare-exchange after the copy, past the bytes
/// copied (fewer than asked when a fault stopped it). If another reader
/// (another thread, or a process sharing the description) moved it
/// meanwhile, the copy is done again from the new offset, so no two
/// reads get the same bytes, as with Linux's f_pos lock. None: the
/// server answers (no mapping, no shared offset, a length past the
/// window).
#[inline(always)] // read passes one element: inlined, the loop over it folds away
fn read_shared(fd: u64, v: &[[u64; 2]], total: u64) -> Option<i64> {
    let (slot, _) = mapped(fd).filter(|(s, _)| s.flags & MAPPED_READ != 0)?;
    let pos = shared_offset(&slot)?;
    loop {
        let (_, len) = mapped(fd)?;
        let off = pos.load(Ordering::SeqCst);
        if off >= len || total == 0 {
            return Some(0);
        }
        let n = total.min(len - off);
        let mut done = 0;
        for e in v {
            let k = e[1].min(n - done);
            let c = if k > 0 { copy_out(&slot, off + done, e[0], k) } else { 0 };
            done += c;
            if c < k || done == n {
                break;
            }
        }
        if pos.compare_exchange(off, off + done, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
            return Some(moved(done));
        }
    }
}

/// The slot and length for a local write of `count` bytes at `off`: the
/// description writable, the bytes already in the file (growth and
/// anything odd go to the server, which owns the length).
fn writable_at(fd: u64, off: u64, count: u64) -> Option<MappedFd> {
    let (slot, len) = mapped(fd).filter(|(s, _)| s.flags & MAPPED_WRITE != 0)?;
    let end = off.checked_add(count)?;
    (count > 0 && (count as i64) > 0 && end <= len).then_some(slot)
}

/// pwrite64 over bytes the file already has: into the shared mapping, no
/// message; the inode pager writes the page back (pageout, sync, fsync,
/// or a server read of the file, which cleans first).
fn pwrite(a: [u64; 6]) -> i64 {
    let (fd, buf, count, off) = (a[0], a[1], a[2], a[3]);
    let local = writable_at(fd, off, count).filter(|_| (off as i64) >= 0 && user_memory(buf, count));
    let Some(slot) = local else {
        return forward(PWRITE64 as u64, a);
    };
    moved(copy_in(&slot, off, buf, count))
}

/// write(2) over bytes the file already has: as writev with one element.
fn write(a: [u64; 6]) -> i64 {
    let (fd, buf, count) = (a[0], a[1], a[2]);
    write_shared(fd, &[[buf, count]], count).unwrap_or_else(|| forward(WRITE as u64, a))
}

/// A write at the shared offset over bytes the file already has,
/// gathered from `v`: the whole range is claimed by compare-exchange
/// first, so two writers through one description never write the same
/// bytes, then copied. A fault that stops the copy gives the short count
/// (EFAULT before the first byte) and gives back the unwritten part of
/// the claim, unless another writer has claimed past it meanwhile. None:
/// the server answers (growth, O_APPEND, no mapping, a buffer emulib
/// will not touch).
#[inline(always)]
fn write_shared(fd: u64, v: &[[u64; 2]], total: u64) -> Option<i64> {
    let (slot, _) = mapped(fd)?;
    let pos = shared_offset(&slot)?;
    if appending(&slot) || v.iter().any(|e| e[1] > 0 && !user_memory(e[0], e[1])) {
        return None;
    }
    loop {
        let off = pos.load(Ordering::SeqCst);
        let slot = writable_at(fd, off, total)?;
        if pos.compare_exchange(off, off + total, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
            let mut done = 0;
            for e in v.iter().filter(|e| e[1] > 0) {
                let c = copy_in(&slot, off + done, e[0], e[1]);
                done += c;
                if c < e[1] {
                    let _ = pos.compare_exchange(off + total, off + done, Ordering::SeqCst, Ordering::SeqCst);
                    break;
                }
            }
            return Some(moved(done));
        }
    }
}

/// Whether the description has O_APPEND (its status flags are in the
/// shared offset page, which the server keeps current).
fn appending(slot: &MappedFd) -> bool {
    // SAFETY: a nonzero `pos` is the description's SharedOffset page.
    let status = unsafe { &(*(slot.pos as *const SharedOffset)).status }.load(Ordering::SeqCst);
    status & linux_abi::consts::open::O_APPEND as u64 != 0
}

/// iovec arrays up to this long are copied onto emulib's stack and may
/// be answered here; longer ones go to the server.
const IOV_LOCAL: usize = 64;

/// The program's iovec array, read for readv and writev.
enum Iov<'a> {
    /// (base, length) pairs, each base plausible user memory for its
    /// length, and their total.
    Local(&'a [[u64; 2]], u64),
    /// The answer already: EFAULT, for an array that faulted or an
    /// element outside the user range.
    Answer(i64),
    /// Something the server decides (an odd count, an element over
    /// emulib's range, a total past the largest count).
    Server,
}

/// Copies the iovec array into `buf` (a fault is EFAULT, as Linux) and
/// checks it.
fn iovecs(iov: u64, cnt: u64, buf: &mut [[u64; 2]; IOV_LOCAL]) -> Iov<'_> {
    if cnt == 0 || cnt > IOV_LOCAL as u64 {
        return Iov::Server;
    }
    let bytes = cnt * 16;
    match from_user(buf.as_mut_ptr() as *mut u8, iov, bytes) {
        None => return Iov::Server,
        Some(k) if k < bytes => return Iov::Answer(Errno::EFAULT.to_ret()),
        Some(_) => {}
    }
    let v = &buf[..cnt as usize];
    let total = v.iter().try_fold(0u64, |t, e| t.checked_add(e[1]).filter(|t| *t <= i64::MAX as u64));
    let Some(total) = total else { return Iov::Server };
    // Linux checks every element's range first (access_ok): one outside
    // the user range fails the whole call, before any byte moves.
    if v.iter().any(|e| e[1] > 0 && !user_buffer(e[0], e[1])) {
        return Iov::Answer(Errno::EFAULT.to_ret());
    }
    match v.iter().all(|e| e[1] == 0 || user_memory(e[0], e[1])) {
        true => Iov::Local(v, total),
        false => Iov::Server,
    }
}

/// readv and writev on a mapped file, at the shared offset.
fn readv(a: [u64; 6]) -> i64 {
    // A descriptor the server owns is its to answer (EBADF before EFAULT).
    if mapped(a[0]).is_none() {
        return forward(READV as u64, a);
    }
    let mut buf = [[0u64; 2]; IOV_LOCAL];
    match iovecs(a[1], a[2], &mut buf) {
        Iov::Local(v, total) => read_shared(a[0], v, total).unwrap_or_else(|| forward(READV as u64, a)),
        Iov::Answer(r) => r,
        Iov::Server => forward(READV as u64, a),
    }
}

fn writev(a: [u64; 6]) -> i64 {
    // A descriptor the server owns is its to answer (EBADF before EFAULT).
    if mapped(a[0]).is_none() {
        return forward(WRITEV as u64, a);
    }
    let mut buf = [[0u64; 2]; IOV_LOCAL];
    match iovecs(a[1], a[2], &mut buf) {
        Iov::Local(v, total) => write_shared(a[0], v, total).unwrap_or_else(|| forward(WRITEV as u64, a)),
        Iov::Answer(r) => r,
        Iov::Server => forward(WRITEV as u64, a),
    }
}

/// lseek on a mapped regular file: one atomic change of the shared
/// offset. SEEK_DATA, SEEK_HOLE and anything odd go to the server.
fn lseek(a: [u64; 6]) -> i64 {
    use linux_abi::consts::seek::*;
    let (fd, off, whence) = (a[0], a[1] as i64, a[2] as u32);
    let Some((slot, len)) = mapped(fd) else { return forward(LSEEK as u64, a) };
    let Some(pos) = shared_offset(&slot) else { return forward(LSEEK as u64, a) };
    let base = match whence {
        SEEK_SET => 0,
        SEEK_END => len as i64,
        SEEK_CUR => {
            let r = pos.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |cur| {
                (cur as i64).checked_add(off).filter(|n| *n >= 0).map(|n| n as u64)
            });
            return r.map_or(Errno::EINVAL.to_ret(), |old| old as i64 + off);
        }
        _ => return forward(LSEEK as u64, a),
    };
    match base.checked_add(off).filter(|n| *n >= 0) {
        Some(n) => {
            pos.store(n as u64, Ordering::SeqCst);
            n
        }
        None => Errno::EINVAL.to_ret(),
    }
}

fn arch_prctl(code: u32, addr: u64) -> i64 {
    use linux_abi::consts::arch_prctl::*;
    let t = ports();
    match code {
        ARCH_SET_FS => {
            let bases = BaseState64 { fs_base: addr, gs_base: t.self_addr };
            match thread_set_state::call(&Rpc, t.thread_self, X86_BASE_STATE64, StateBuf { bases }) {
                Ok(_) => {
                    t.fs_base = addr;
                    0
                }
                Err(_) => Errno::EPERM.to_ret(),
            }
        }
        // The server writes the word, so a bad pointer is EFAULT here too.
        ARCH_GET_FS => forward(linux_abi::sysno::ARCH_PRCTL as u64, [code as u64, addr, t.fs_base, 0, 0, 0]),
        _ => Errno::EINVAL.to_ret(),
    }
}

/// Before going back to the program: if the server flagged a signal,
/// ask which, and enter its handler through an rt_sigframe built on the
/// program's stack below the red zone (as Linux lays it out, so libc's
/// restorer and debuggers find what they expect).
fn deliver_signals(f: &mut Frame) {
    if page().sig_pending == 0 {
        return;
    }
    let t = ports();
    let Ok(r) = bsd_sig_next::call(&Rpc, t.server_port, f.rsp) else { return };
    let d = { r.d };
    if d.sig != 0 {
        enter_handler(f, &d);
    }
}

fn enter_handler(f: &mut Frame, d: &SigDelivery) {
    let (sp, fp, frame) = emulib::signal_frame(f, d);
    // As Linux (force_sigsegv): a frame that cannot be written is a
    // SIGSEGV instead, its handler reset first if SIGSEGV was the signal
    // (so the next attempt, on the same stack, is the default action).
    if put_user(sp, &frame) != Some(0) || put_user(fp, &f.fx) != Some(0) {
        force_segv(d.sig == linux_abi::consts::signal::SIGSEGV);
        return deliver_signals(f);
    }
    emulib::enter(f, d, sp);
}

/// rt_sigreturn: the handler returned into the restorer, so rsp points at
/// the frame's ucontext. Every register, the FPU state and the mask come
/// back; then any signal that the restored mask lets through. A frame
/// that cannot be read is a SIGSEGV, as in Linux.
fn sigreturn(f: &mut Frame) {
    let mut uc = linux_abi::structs::Ucontext::default();
    let mut fx = [0u8; 512];
    // SAFETY: Ucontext and the FXSAVE image are plain integers.
    let read = unsafe { get_user(f.rsp, &mut uc) && (uc.uc_mcontext.fpstate == 0 || get_user(uc.uc_mcontext.fpstate, &mut fx)) };
    if !read {
        force_segv(false);
        return deliver_signals(f);
    }
    let (mask, uc_stack) = emulib::restore_frame(f, &uc, (uc.uc_mcontext.fpstate != 0).then_some(fx));
    let t = ports();
    let _ = bsd_sig_return::call(&Rpc, t.server_port, mask, uc_stack, f.rsp);
    deliver_signals(f);
}

/// A whole value from the program's `src`: false after a fault or for
/// memory emulib does not read (`user_memory`).
///
/// # Safety
/// Every bit pattern must be a valid `T` (plain integers).
unsafe fn get_user<T: Copy>(src: u64, v: &mut T) -> bool {
    let n = core::mem::size_of::<T>() as u64;
    from_user(v as *mut T as *mut u8, src, n) == Some(n)
}

/// Linux's force_sig(SIGSEGV) for this thread: unblocked, not ignored
/// (with `reset`, back to the default action whatever it was), and sent;
/// the caller's deliver_signals then runs its handler. After a reset
/// the default action ends the process; should the call come back (no
/// server to be had), the task ends itself.
fn force_segv(reset: bool) {
    use linux_abi::consts::signal::{SIGSEGV, SIG_UNBLOCK};
    const SIG_IGN: u64 = 1;
    let sig = SIGSEGV as u64;
    let mut old = [0u64; 4];
    forward(RT_SIGACTION as u64, [sig, 0, old.as_mut_ptr() as u64, 8, 0, 0]);
    if reset || old[0] == SIG_IGN {
        let dfl = [0u64; 4]; // SIG_DFL, no flags, no restorer, empty mask
        forward(RT_SIGACTION as u64, [sig, dfl.as_ptr() as u64, 0, 8, 0, 0]);
    }
    let set = 1u64 << (sig - 1);
    forward(RT_SIGPROCMASK as u64, [SIG_UNBLOCK as u64, &set as *const u64 as u64, 0, 8, 0, 0]);
    forward(TKILL as u64, [thread().tid as u64, sig, 0, 0, 0, 0]);
    if reset {
        // The default action ends the process before the server answers.
        terminate_self(128 + sig);
    }
}

/// A fault the server turned into a signal (already posted and flagged).
#[unsafe(no_mangle)]
extern "C" fn emulib_fault(f: &mut Frame, _sig: u64, _addr: u64) {
    deliver_signals(f);
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    let msg = b"emulib: panic\n";
    // An ordinary process may not print on the kernel console (the debug
    // traps are privileged), so the message goes to the process's own
    // stderr through the server, if the server still answers.
    forward(WRITE as u64, [2, msg.as_ptr() as u64, msg.len() as u64, 0, 0, 0]);
    terminate_self(127);
}
