//! Asynchronous system traps (Mach's AST): work a thread must do before it
//! returns to user mode, whoever asked for it while it was away (a suspend
//! from another thread, a termination of its task).

use super::sched;
use super::thread::ThreadState;

/// Runs on every return to user mode from a trap or interrupt.
pub fn check() {
    let t = sched::current_ref();
    if t.task.is_none() {
        return;
    }
    if t.state() == ThreadState::Halted || t.halt_requested() {
        sched::exit_current();
    }
    // An abort matters only to a call that was blocked: one that arrives
    // while the thread runs in user mode must not cut short a later call.
    t.take_aborted();
    if t.suspend_count() > 0 {
        sched::check_suspended();
        // Its task may have ended while it was parked.
        if t.halt_requested() {
            sched::exit_current();
        }
    }
}
