//! The thread port's server: terminate, suspend, resume, abort, get and
//! set state (general and FPU registers), info, special ports.

use super::sched;
use super::thread::{Thread, ThreadState};
use super::thread_state;
use crate::ipc::kmsg::Kmsg;
use crate::ipc::kobject::{parse_request, error_reply, reply, result, take_port};
use crate::ipc::right::Right;
use alloc::sync::Arc;
use core::mem::offset_of;
use mach::defs::thread::*;
use mach::kern_return::*;
use mach::port::MACH_PORT_NULL;

pub fn serve(t: &Arc<Thread>, req: &mut Kmsg) -> Kmsg {
    let h = req.header;
    if t.state() == ThreadState::Halted {
        return error_reply(&h, KERN_TERMINATED);
    }
    match h.id {
        thread_terminate::ID => {
            parse_request!(thread_terminate, req);
            terminate(t);
            reply(&thread_terminate::Reply::new(&h))
        }
        thread_suspend::ID => {
            parse_request!(thread_suspend, req);
            sched::suspend(t);
            reply(&thread_suspend::Reply::new(&h))
        }
        thread_resume::ID => {
            parse_request!(thread_resume, req);
            result(&h, sched::resume(t).map(|_| thread_resume::Reply::new(&h)))
        }
        thread_abort::ID => {
            parse_request!(thread_abort, req);
            abort(t);
            reply(&thread_abort::Reply::new(&h))
        }
        thread_get_state::ID => {
            let a = parse_request!(thread_get_state, req);
            result(&h, get_state(t, a.flavor).map(|s| thread_get_state::Reply::new(&h, s)))
        }
        thread_set_state::ID => {
            let a = parse_request!(thread_set_state, req);
            result(&h, set_state(t, a.flavor, &{ a.state }).map(|_| thread_set_state::Reply::new(&h)))
        }
        thread_info::ID => {
            parse_request!(thread_info, req);
            reply(&thread_info::Reply::new(&h, info(t)))
        }
        thread_get_special_port::ID => {
            let a = parse_request!(thread_get_special_port, req);
            let r = match a.which {
                THREAD_KERNEL_PORT => Right::make_send(&t.port()),
                THREAD_EXCEPTION_PORT => t.ith_exception.lock().copy(),
                _ => return error_reply(&h, KERN_INVALID_ARGUMENT),
            };
            reply(&thread_get_special_port::Reply::new(&h, MACH_PORT_NULL))
                .with_port(offset_of!(thread_get_special_port::Reply, port), r)
        }
        thread_set_special_port::ID => {
            let a = parse_request!(thread_set_special_port, req);
            let r = take_port(req, offset_of!(thread_set_special_port::Request, port));
            if a.which != THREAD_EXCEPTION_PORT || !matches!(r, Right::Send(_) | Right::Null | Right::Dead) {
                return error_reply(&h, KERN_INVALID_ARGUMENT);
            }
            let old = core::mem::replace(&mut *t.ith_exception.lock(), r);
            drop(old);
            reply(&thread_set_special_port::Reply::new(&h))
        }
        _ => error_reply(&h, MIG_BAD_ID),
    }
}

/// Whether the thread's saved state may be read or written now: it is the
/// caller itself (inside the kernel, its frame saved), or it is not
/// running (one CPU: every thread but the caller is off the CPU).
fn state_accessible(t: &Arc<Thread>) -> bool {
    t.task.is_some()
}

fn get_state(t: &Arc<Thread>, flavor: u32) -> Result<StateBuf, KernReturn> {
    if !state_accessible(t) {
        return Err(KERN_INVALID_ARGUMENT);
    }
    // SAFETY: on this single CPU the target is not running (or is the
    // caller, whose state was saved on entry), see state_accessible.
    let (frame, fpu, fs, gs) = unsafe { t.user_state() };
    let (fs, gs) = live_bases(t, *fs, *gs);
    Ok(match flavor {
        X86_THREAD_STATE64 => StateBuf { regs: thread_state::get_regs(frame, fs, gs) },
        X86_FLOAT_STATE64 => StateBuf { fpu: thread_state::get_fpu(fpu) },
        X86_BASE_STATE64 => StateBuf { bases: BaseState64 { fs_base: fs, gs_base: gs } },
        _ => return Err(KERN_INVALID_ARGUMENT),
    })
}

fn set_state(t: &Arc<Thread>, flavor: u32, s: &StateBuf) -> Result<(), KernReturn> {
    if !state_accessible(t) {
        return Err(KERN_INVALID_ARGUMENT);
    }
    // SAFETY: as in get_state.
    let (frame, fpu, fs, gs) = unsafe { t.user_state() };
    match flavor {
        X86_THREAD_STATE64 => {
            // SAFETY: the union is plain data; any bytes form a valid state.
            let regs = unsafe { s.regs };
            let (f, g) = thread_state::set_regs(frame, &regs)?;
            (*fs, *gs) = (f, g);
            load_bases(t, f, g);
            Ok(())
        }
        X86_BASE_STATE64 => {
            // SAFETY: as above.
            let b = unsafe { s.bases };
            let (f, g) = thread_state::check_bases(b.fs_base, b.gs_base)?;
            (*fs, *gs) = (f, g);
            load_bases(t, f, g);
            Ok(())
        }
        // SAFETY: as above.
        X86_FLOAT_STATE64 => thread_state::set_fpu(fpu, unsafe { &s.fpu }),
        _ => Err(KERN_INVALID_ARGUMENT),
    }
}

/// The running thread's bases live in the MSRs (saved only at a context
/// switch): read them there when the target is the caller itself.
fn live_bases(t: &Arc<Thread>, fs: u64, gs: u64) -> (u64, u64) {
    if Arc::ptr_eq(t, &sched::current()) {
        (crate::arch::cpu::read_fs_base(), crate::arch::cpu::read_user_gs_base())
    } else {
        (fs, gs)
    }
}

/// New bases for the caller itself take effect now: the switch-out path
/// would otherwise save the stale MSRs over them.
fn load_bases(t: &Arc<Thread>, fs: u64, gs: u64) {
    if Arc::ptr_eq(t, &sched::current()) {
        crate::arch::cpu::write_fs_base(fs);
        crate::arch::cpu::write_user_gs_base(gs);
    }
}

fn info(t: &Arc<Thread>) -> ThreadBasicInfo {
    let run_state = match t.state() {
        ThreadState::Running | ThreadState::Runnable if t.suspend_count() > 0 => TH_STATE_STOPPED,
        ThreadState::Running | ThreadState::Runnable => TH_STATE_RUNNING,
        ThreadState::Blocked => TH_STATE_WAITING,
        ThreadState::Halted => TH_STATE_HALTED,
    };
    ThreadBasicInfo {
        suspend_count: t.suspend_count(),
        run_state,
        priority: t.priority() as u32,
        base_priority: t.base_priority() as u32,
        user_ticks: t.user_ticks(),
    }
}

/// thread_abort: a blocked call returns ..._INTERRUPTED.
pub fn abort(t: &Arc<Thread>) {
    t.set_aborted();
    sched::wakeup(t);
}

/// thread_terminate: the thread never returns to user mode.
pub fn terminate(t: &Arc<Thread>) {
    if let Some(task) = &t.task {
        task.threads.lock().retain(|x| !Arc::ptr_eq(x, t));
    }
    t.destroy_port();
    // It runs once more, inside the kernel: a blocked call is interrupted,
    // and on its way back to user mode the AST check ends it.
    t.request_halt();
    abort(t);
}
