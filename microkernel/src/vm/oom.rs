//! The out-of-memory policy: when a fault finds no frame for a page after
//! pageout has taken what it could (memory and the default pager's store
//! are both full), the task with the most resident pages is ended, as
//! Linux's OOM killer ends the largest process, and the fault is retried.
//! Only tasks made by task_create (UNIX processes) are candidates: never a
//! boot task (the UNIX server, pagers), whose death would take the system
//! with it. One line on the console says who was ended.
//!
//! A task ended while another faults is terminated here; the UNIX server
//! learns of it as of any death of a process's task. When the faulting
//! task is itself the largest, its fault fails with KERN_RESOURCE_SHORTAGE
//! and goes out as the exception it is: the UNIX server ends the process
//! with SIGKILL (a task with no handler is terminated by the kernel).

use crate::kern::task::{Task, TaskExit};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

/// Tasks ended for want of memory.
pub static KILLED: AtomicU64 = AtomicU64::new(0);
/// The id of the task chosen last.
static LAST_VICTIM: AtomicU64 = AtomicU64::new(0);

/// What the policy did about a fault of `current` that found no memory.
pub enum Decision {
    /// Another task was ended: the fault may be tried again.
    Retry,
    /// `current` is the largest: its fault fails, and so it ends.
    FailCurrent,
    /// No candidate: the fault fails as it is.
    Nothing,
}

pub fn out_of_memory(current: &Arc<Task>) -> Decision {
    let Some((victim, pages)) = crate::kern::task::largest_oom_candidate() else {
        return Decision::Nothing;
    };
    // Chosen once already (its fault failed, its end is on the way): ended
    // now, without a second line.
    if LAST_VICTIM.swap(victim.id, Ordering::Relaxed) != victim.id {
        KILLED.fetch_add(1, Ordering::Relaxed);
        crate::kprintln!("out of memory: ending task {} ({}), {} pages resident, {} frames free",
                     victim.id, victim.name, pages, super::resident::free_count());
    }
    if Arc::ptr_eq(&victim, current) {
        return Decision::FailCurrent;
    }
    victim.terminate(TaskExit::Terminated);
    Decision::Retry
}
