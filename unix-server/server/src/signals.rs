//! Signals in the server: actions and masks (the `unix_server::signal`
//! rules), posting, the default actions, and faults turned signals. The
//! frame itself is built by emulib, on the program's stack, when a call
//! returns: the server sets the process page's `sig_pending` and answers
//! bsd_sig_next with what to run.

use crate::{mem, Pcb, Server};
use linux_abi::consts::signal::*;
use linux_abi::structs::{KernelSigaction, Siginfo, StackT};
use linux_abi::Errno;
use mach::defs::bsd::*;
use mach::defs::exc::*;
use mach::defs::thread::*;
use mach::kern_return::*;
use mach::message::MsgHeader;
use machrt::rpc::Kernel;
use unix_server::proc::{status, Wakeups};
use unix_server::signal::{DefaultAction, Delivery, SigAction, SigSet};

type R = Result<i64, Errno>;

pub fn sigaction(s: &'static Server, p: &Pcb, sig: u32, act: u64, old: u64) -> R {
    let new = if act != 0 {
        let b = mem::read(p.task, act, 32)?;
        let w = |i: usize| u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().unwrap_or_default());
        Some(SigAction::from(KernelSigaction { sa_handler: w(0), sa_flags: w(1), sa_restorer: w(2), sa_mask: w(3) }))
    } else {
        None
    };
    let proc = s.table.get(p.pid).ok_or(Errno::ESRCH)?;
    let prev = proc.state.lock().signals.sigaction(sig, new)?;
    if old != 0 {
        let mut b = [0u8; 32];
        for (i, w) in [prev.handler, prev.flags, prev.restorer, prev.mask.0].iter().enumerate() {
            b[8 * i..8 * i + 8].copy_from_slice(&w.to_le_bytes());
        }
        mem::write(p.task, old, &b)?;
    }
    Ok(0)
}

pub fn sigprocmask(s: &'static Server, p: &Pcb, how: u32, set: u64, old: u64) -> R {
    let new = if set != 0 { Some(SigSet(mem::read_u64(p.task, set)?)) } else { None };
    let proc = s.table.get(p.pid).ok_or(Errno::ESRCH)?;
    let prev = proc.state.lock().signals.sigprocmask(how, new)?;
    if old != 0 {
        mem::write(p.task, old, &prev.0.to_le_bytes())?;
    }
    // Unblocking may make a pending signal deliverable.
    settle(s, p.pid);
    Ok(0)
}

pub fn kill(s: &'static Server, p: &Pcb, pid: i32, sig: u32) -> R {
    let mut info = Siginfo::new(sig as i32, SI_USER);
    info.set_pid(p.pid);
    let w = s.table.kill(p.pid, pid, sig, info)?;
    wake(s, &w);
    Ok(0)
}

/// After a post: interrupt, kill, or flag each signalled process.
pub fn wake(s: &'static Server, w: &Wakeups) {
    // Waits first: a child's exit answers its parent's wait4 rather than
    // interrupting it with the SIGCHLD that comes with it.
    for &pid in &w.waiters {
        crate::calls::wake_waiters(s, pid);
    }
    for &pid in &w.signalled {
        crate::timers::sigwait_wake(s, pid); // a waited-for signal is taken first
        settle(s, pid);
    }
}

/// Applies default actions now (a fatal one ends the process even if it
/// never calls again); for a handler, sets the page flag and interrupts
/// a parked call so that emulib delivers on its way out.
fn settle(s: &'static Server, pid: i32) {
    let Some(proc) = s.table.get(pid) else { return };
    let Some(pcb) = s.procs.lock().values().copied().find(|c| c.pid == pid) else { return };
    resume_if_continued(s, &pcb);
    loop {
        let mut st = proc.state.lock();
        let Some(sig) = st.signals.next_deliverable() else { break };
        if let Some(a) = st.signals.action(sig).ok().filter(|a| a.is_handler()) {
            drop(st);
            crate::write_proc_page(s, &pcb);
            crate::calls::interrupt(s, pid, a.flags & SA_RESTART != 0);
            kick(s, &pcb);
            return;
        }
        let d = st.signals.deliver();
        drop(st);
        if let Some(Delivery::Default { sig, action, .. }) = d {
            if default_kills(action) {
                crate::end_process(s, &pcb, status::signaled(sig, matches!(action, DefaultAction::Core)));
                return;
            }
            if action == DefaultAction::Stop {
                stop(s, &pcb, sig);
            }
        }
    }
    crate::write_proc_page(s, &pcb);
}

/// Processes this server suspended for a stop signal.
static STOPPED: machrt::sync::Mutex<alloc::collections::BTreeSet<i32>> =
    machrt::sync::Mutex::new(alloc::collections::BTreeSet::new());

/// A stop signal's default action: the table marks the process stopped
/// (its parent's wait sees it, SIGCHLD unless SA_NOCLDSTOP) and its task
/// is suspended, every thread with it; SIGCONT or SIGKILL resume it.
fn stop(s: &'static Server, pcb: &Pcb, sig: u32) {
    let Ok(w) = s.table.stop(pcb.pid, sig) else { return };
    if STOPPED.lock().insert(pcb.pid) {
        let _ = mach::defs::task::task_suspend::call(&Kernel, pcb.task);
    }
    wake(s, &w);
}

/// After a signal: a process the table has running again (SIGCONT,
/// SIGKILL) that this server suspended is resumed.
fn resume_if_continued(s: &'static Server, pcb: &Pcb) {
    let running = matches!(s.table.run_state(pcb.pid), Some(unix_server::proc::RunState::Running));
    if running && STOPPED.lock().remove(&pcb.pid) {
        let _ = mach::defs::task::task_resume::call(&Kernel, pcb.task);
    }
}

/// The process is gone: it is no longer a stopped one.
pub fn ended(pid: i32) {
    STOPPED.lock().remove(&pid);
}

fn default_kills(a: DefaultAction) -> bool {
    matches!(a, DefaultAction::Terminate | DefaultAction::Core)
}

/// bsd_sig_next: what emulib should run now (sig 0: nothing). None when
/// the process ended instead.
pub fn next(s: &'static Server, p: &Pcb, sp: u64) -> Option<SigDelivery> {
    let proc = s.table.get(p.pid)?;
    loop {
        let d = proc.state.lock().signals.deliver();
        match d {
            None => break,
            Some(Delivery::Handler { sig, info, action, frame_mask }) => {
                crate::timers::taken(p.pid, &info); // a POSIX timer's overrun count
                let (top, saved) = proc.state.lock().signals.handler_stack(&action, sp);
                crate::write_proc_page(s, p);
                // SAFETY: Siginfo is 128 bytes of integers.
                let words: [u64; 16] = unsafe { core::mem::transmute(info) };
                let uc_stack = [saved.ss_sp, saved.ss_flags as u32 as u64, saved.ss_size];
                return Some(SigDelivery { sig, flags: action.flags as u32, handler: action.handler,
                                          restorer: action.restorer, old_mask: frame_mask.0, info: words,
                                          stack_top: top.unwrap_or(0), uc_stack });
            }
            Some(Delivery::Default { sig, action, .. }) => {
                if default_kills(action) {
                    crate::end_process(s, p, status::signaled(sig, matches!(action, DefaultAction::Core)));
                    return None;
                }
                if action == DefaultAction::Stop {
                    stop(s, p, sig); // the caller stops once this reply is sent
                }
            }
        }
    }
    crate::write_proc_page(s, p);
    Some(SigDelivery::default())
}

pub fn sigreturn(s: &'static Server, p: &Pcb, mask: u64, uc_stack: [u64; 3], sp: u64) {
    if let Some(proc) = s.table.get(p.pid) {
        let mut st = proc.state.lock();
        st.signals.set_blocked(SigSet(mask));
        let ss = StackT { ss_sp: uc_stack[0], ss_flags: uc_stack[1] as i32, __pad: 0, ss_size: uc_stack[2] };
        st.signals.restore_altstack(ss, sp);
    }
    settle(s, p.pid);
}

/// sigaltstack(new, old); `sp` is the caller's stack pointer (emulib
/// passes it: changing the stack one runs on is EPERM).
pub fn sigaltstack(s: &'static Server, p: &Pcb, new: u64, old: u64, sp: u64) -> R {
    let read = |at: u64| -> Result<StackT, Errno> {
        let b = mem::read(p.task, at, 24)?;
        let w = |i: usize| u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().unwrap_or_default());
        Ok(StackT { ss_sp: w(0), ss_flags: w(1) as u32 as i32, __pad: 0, ss_size: w(2) })
    };
    let new = if new != 0 { Some(read(new)?) } else { None };
    let proc = s.table.get(p.pid).ok_or(Errno::ESRCH)?;
    let prev = proc.state.lock().signals.sigaltstack(new, sp)?;
    if old != 0 {
        let mut b = [0u8; 24];
        b[..8].copy_from_slice(&prev.ss_sp.to_le_bytes());
        b[8..12].copy_from_slice(&prev.ss_flags.to_le_bytes());
        b[16..].copy_from_slice(&prev.ss_size.to_le_bytes());
        mem::write(p.task, old, &b)?;
    }
    Ok(0)
}

/// A fault in a process: the signal it means, with the address. With a
/// handler, the faulting thread is sent to emulib's fault entry with its
/// context saved as an emulib frame; otherwise the process dies of it.
pub fn exception(s: &'static Server, p: &Pcb, h: &MsgHeader, m: &[u8]) {
    let Ok(r) = exception_raise::Request::parse(m) else {
        crate::reply(&mut mach::rpc::reply_error(h, MIG_BAD_ARGUMENTS));
        return;
    };
    let thread = { r.thread }.name;
    let me = machrt::trap::task_self();
    let code = { r.code };
    let bad_access = r.exception == EXC_BAD_ACCESS || (r.exception == EXC_BAD_INSTRUCTION && code[0] == 13);
    if bad_access && copy_fixup(s, thread) {
        let _ = machrt::port::deallocate(me, thread);
        let _ = machrt::port::deallocate(me, { r.task }.name);
        crate::reply(&mut exception_raise::Reply::new(h));
        return;
    }
    if r.exception == EXC_SYSCALL {
        // A system call number past emulib's range: ENOSYS, as for any
        // call nobody implements (the thread resumes after its syscall).
        let ok = unknown_syscall(thread);
        let _ = machrt::port::deallocate(me, thread);
        let _ = machrt::port::deallocate(me, { r.task }.name);
        if ok {
            crate::reply(&mut exception_raise::Reply::new(h));
        } else {
            crate::reply(&mut mach::rpc::reply_error(h, KERN_FAILURE));
            crate::end_process(s, p, status::signaled(SIGSYS, true));
        }
        return;
    }
    if r.exception == EXC_BAD_ACCESS && code[0] == KERN_RESOURCE_SHORTAGE as u64 {
        // The kernel's out-of-memory policy chose this process (no memory
        // for its page, and it is the largest): SIGKILL, as Linux's OOM
        // killer, not a SIGSEGV a handler could catch and fault again.
        let _ = machrt::port::deallocate(me, thread);
        let _ = machrt::port::deallocate(me, { r.task }.name);
        crate::reply(&mut mach::rpc::reply_error(h, KERN_FAILURE));
        crate::end_process(s, p, status::signaled(SIGKILL, false));
        return;
    }
    let (sig, si_code) = match r.exception {
        EXC_BAD_ACCESS if code[0] == KERN_PROTECTION_FAILURE as u64 => (SIGSEGV, SEGV_ACCERR),
        EXC_BAD_ACCESS => (SIGSEGV, SEGV_MAPERR),
        EXC_ARITHMETIC => (SIGFPE, FPE_INTDIV),
        EXC_BREAKPOINT => (SIGTRAP, 1),
        EXC_BAD_INSTRUCTION if code[0] == 13 => (SIGSEGV, SI_KERNEL),
        _ => (SIGILL, 2 /* ILL_ILLOPN */),
    };
    let addr = if r.exception == EXC_BAD_ACCESS { code[1] } else { 0 };
    let handled = redirect(s, p, thread, sig, si_code, addr).is_ok();
    let _ = machrt::port::deallocate(me, thread);
    let _ = machrt::port::deallocate(me, { r.task }.name);
    if handled {
        crate::reply(&mut exception_raise::Reply::new(h));
    } else {
        crate::reply(&mut mach::rpc::reply_error(h, KERN_FAILURE));
        crate::end_process(s, p, status::signaled(sig, true));
    }
}

/// A kernel's exception table, one level up: a fault inside emulib's
/// copy routine (a bad pointer the program gave to a call emulib answers
/// itself) resumes the thread at the routine's fixup, which returns the
/// bytes not copied, so the call fails with EFAULT or a short count
/// instead of the program taking SIGSEGV.
fn copy_fixup(s: &Server, thread: u32) -> bool {
    let [begin, end, fixup] = s.copy_fixup;
    let Ok(r) = thread_get_state::call(&Kernel, thread, X86_THREAD_STATE64) else { return false };
    let mut regs = unsafe_regs(r.state);
    if begin == 0 || fixup == 0 || !(begin..end).contains(&regs.rip) {
        return false;
    }
    regs.rip = fixup;
    thread_set_state::call(&Kernel, thread, X86_THREAD_STATE64, StateBuf { regs }).is_ok()
}

fn unknown_syscall(thread: u32) -> bool {
    let Ok(r) = thread_get_state::call(&Kernel, thread, X86_THREAD_STATE64) else { return false };
    let mut regs = unsafe_regs(r.state);
    regs.rax = Errno::ENOSYS.to_ret() as u64;
    thread_set_state::call(&Kernel, thread, X86_THREAD_STATE64, StateBuf { regs }).is_ok()
}

fn redirect(s: &'static Server, p: &Pcb, thread: u32, sig: u32, si_code: i32, addr: u64) -> Result<(), ()> {
    let proc = s.table.get(p.pid).ok_or(())?;
    {
        let st = proc.state.lock();
        let a = st.signals.action(sig).map_err(|_| ())?;
        if !a.is_handler() || st.signals.blocked().contains(sig) {
            return Err(());
        }
    }
    let regs = unsafe_regs(thread_get_state::call(&Kernel, thread, X86_THREAD_STATE64).map_err(|_| ())?.state);
    let mut info = Siginfo::new(sig as i32, si_code);
    info.set_addr(addr);
    s.table.post_signal(p.pid, sig, info).map_err(|_| ())?;
    to_emulib(s, p, thread, regs, sig, addr)
}

/// Saves the thread's user context as an emulib frame on its emulib
/// stack and points it at emulib's fault entry, which delivers what is
/// pending and then returns to that context.
fn to_emulib(s: &'static Server, p: &Pcb, thread: u32, regs: ThreadState64, sig: u32, addr: u64) -> Result<(), ()> {
    let fpu = unsafe_fpu(thread_get_state::call(&Kernel, thread, X86_FLOAT_STATE64).map_err(|_| ())?.state);
    let block: EmulThread = mem::read(p.task, regs.gs_base, core::mem::size_of::<EmulThread>())
        .ok().and_then(|b| mach::pod::read(&b, 0)).ok_or(())?;
    let f = emulib::Frame {
        fx: fpu.fxsave, r15: regs.r15, r14: regs.r14, r13: regs.r13, r12: regs.r12, r11: regs.r11, r10: regs.r10,
        r9: regs.r9, r8: regs.r8, rbp: regs.rbp, rdi: regs.rdi, rsi: regs.rsi, rdx: regs.rdx, rcx: regs.rcx,
        rbx: regs.rbx, rax: regs.rax, rip: regs.rip, rsp: regs.rsp, rflags: regs.rflags,
    };
    let at = block.stack_top - emulib::FRAME_SIZE as u64;
    // SAFETY: Frame is plain integers and bytes, no padding (asserted in emulib).
    let bytes = unsafe { core::slice::from_raw_parts(&f as *const _ as *const u8, emulib::FRAME_SIZE) };
    mem::write(p.task, at, bytes).map_err(|_| ())?;
    let new = ThreadState64 { rip: s.fault_entry, rsp: at, rdi: at, rsi: sig as u64, rdx: addr, rflags: 0x202, ..regs };
    thread_set_state::call(&Kernel, thread, X86_THREAD_STATE64, StateBuf { regs: new }).map_err(|_| ())?;
    crate::write_proc_page(s, p);
    Ok(())
}

/// A handler is due in a process that may be running program code and
/// make no call for a long time: stop its thread and, if it is in the
/// program (not inside emulib, whose way out delivers anyway), send it
/// through emulib's delivery path now.
fn kick(s: &'static Server, p: &Pcb) {
    use mach::defs::task::task_threads;
    let Ok(r) = task_threads::call(&Kernel, p.task) else { return };
    let me = machrt::trap::task_self();
    for t in r.threads().into_iter().filter(|&t| t != 0) {
        if thread_suspend::call(&Kernel, t).is_ok() {
            if let Ok(st) = thread_get_state::call(&Kernel, t, X86_THREAD_STATE64) {
                let regs = unsafe_regs(st.state);
                let in_emulib = linux_abi::layout::overlaps_emulib(regs.rip, regs.rip + 1);
                if !in_emulib && regs.gs_base != 0 {
                    let _ = to_emulib(s, p, t, regs, 0, 0);
                }
            }
            let _ = thread_resume::call(&Kernel, t);
        }
        let _ = machrt::port::deallocate(me, t);
    }
}

fn unsafe_regs(s: StateBuf) -> ThreadState64 {
    // SAFETY: the reply to an X86_THREAD_STATE64 request holds that flavour.
    unsafe { s.regs }
}

fn unsafe_fpu(s: StateBuf) -> FloatState64 {
    // SAFETY: the reply to an X86_FLOAT_STATE64 request holds that flavour.
    unsafe { s.fpu }
}

/// The sender the server uses for signals of its own (tty keys, SIGPIPE
/// of a process to itself): init's rights, which may signal anyone.
pub const KERNEL: i32 = unix_server::proc::INIT_PID;

/// Posts `sig` to `pid` (a group if negative) on behalf of `caller`.
pub fn post(s: &'static Server, caller: i32, pid: i32, sig: u32) {
    let info = Siginfo::new(sig as i32, linux_abi::consts::signal::SI_KERNEL);
    if let Ok(w) = s.table.kill(caller, pid, sig, info) {
        wake(s, &w);
    }
}
