//! Tasks: an address space (map and pmap) and the threads running in it.

use super::emulation::EmulationVector;
use super::thread::Thread;
use crate::arch::pmap::{Pmap, PmapError};
use crate::vm::map::{MapEntry, MapError, VmMap};
use crate::vm::resident;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use mach::vm::{VmProt, PAGE_SIZE, VM_MAX_ADDRESS, VM_MIN_ADDRESS, VM_PROT_ALL};
use spin::Mutex;

/// How a task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskExit {
    /// It asked to, with this status.
    Exited(i32),
    /// The kernel ended it after an exception nobody handled.
    Killed { vector: u64 },
}

impl TaskExit {
    /// The status carried out of the machine when this is the first task.
    pub fn status(self) -> u8 {
        match self {
            TaskExit::Exited(s) => s as u8,
            TaskExit::Killed { vector } => 0x80 | vector as u8,
        }
    }
}

#[derive(Debug)]
pub enum VmError {
    Map(MapError),
    Pmap(PmapError),
    NoMemory,
}

/// The memory of a task: the machine-independent map and its pmap.
pub struct TaskVm {
    pub map: VmMap,
    pub pmap: Pmap,
}

impl TaskVm {
    /// Maps zero-filled memory at [start, start+size), allocated now.
    pub fn allocate_wired(&mut self, start: u64, size: u64, prot: VmProt) -> Result<(), VmError> {
        self.map.insert(MapEntry::new(start, start + size, prot, VM_PROT_ALL)).map_err(VmError::Map)?;
        let mut va = start;
        while va < start + size {
            let pa = resident::alloc_frame().ok_or(VmError::NoMemory)?;
            // SAFETY: a fresh frame, seen through the physmap, not yet mapped.
            unsafe { core::ptr::write_bytes(crate::arch::layout::phys_to_virt(pa) as *mut u8, 0, PAGE_SIZE) };
            if let Err(e) = self.pmap.enter(va, pa, prot) {
                resident::free_frame(pa);
                return Err(VmError::Pmap(e));
            }
            va += PAGE_SIZE as u64;
        }
        Ok(())
    }

    /// Unmaps everything and frees the frames.
    fn release(&mut self) {
        let mut frames = Vec::new();
        self.pmap.for_each_mapping(|va, pa| frames.push((va, pa)));
        for (va, pa) in frames {
            self.pmap.remove(va);
            resident::free_frame(pa);
        }
        self.map = VmMap::new(VM_MIN_ADDRESS, VM_MAX_ADDRESS);
    }
}

pub struct Task {
    pub id: u64,
    pub name: String,
    pub vm: Mutex<TaskVm>,
    pub threads: Mutex<Vec<Arc<Thread>>>,
    pub exit: Mutex<Option<TaskExit>>,
    /// Where UNIX system calls go (the trampoline); inherited by children.
    pub emulation: Mutex<EmulationVector>,
    /// task_suspend count: while above zero no thread of the task runs.
    pub suspend_count: Mutex<u32>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static TASKS: Mutex<Vec<Arc<Task>>> = Mutex::new(Vec::new());

impl Task {
    pub fn create(name: &str) -> Result<Arc<Task>, PmapError> {
        let task = Arc::new(Task {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            name: String::from(name),
            vm: Mutex::new(TaskVm { map: VmMap::new(VM_MIN_ADDRESS, VM_MAX_ADDRESS), pmap: Pmap::new()? }),
            threads: Mutex::new(Vec::new()),
            exit: Mutex::new(None),
            emulation: Mutex::new(EmulationVector::NONE),
            suspend_count: Mutex::new(0),
        });
        TASKS.lock().push(task.clone());
        Ok(task)
    }

    pub fn activate(&self) {
        self.vm.lock().pmap.activate();
    }

    /// Sets the emulation vector; takes effect at the next system call,
    /// on whichever CPU runs the task's threads.
    pub fn set_emulation(&self, v: EmulationVector) {
        *self.emulation.lock() = v;
        super::sched::refresh_emulation();
    }

    pub fn add_thread(&self, t: Arc<Thread>) {
        self.threads.lock().push(t);
    }

    /// thread_create: a new thread with zeroed registers, suspended once,
    /// so that its creator can set its state before resuming it.
    pub fn create_thread(self: &Arc<Task>) -> Arc<Thread> {
        let t = Thread::new_user(self, 0, 0);
        t.add_suspension();
        for _ in 0..*self.suspend_count.lock() {
            t.add_suspension();
        }
        self.add_thread(t.clone());
        super::sched::enqueue(t.clone());
        t
    }

    /// task_suspend: every thread, present and future, gets one more
    /// suspension.
    pub fn suspend(&self) {
        *self.suspend_count.lock() += 1;
        for t in self.threads.lock().iter() {
            super::sched::suspend(t);
        }
    }

    /// task_resume: KERN_FAILURE when the task is not suspended.
    pub fn resume(&self) -> Result<(), mach::KernReturn> {
        {
            let mut c = self.suspend_count.lock();
            if *c == 0 {
                return Err(mach::kern_return::KERN_FAILURE);
            }
            *c -= 1;
        }
        for t in self.threads.lock().iter() {
            let _ = super::sched::resume(t);
        }
        Ok(())
    }

    pub fn thread_list(&self) -> Vec<Arc<Thread>> {
        self.threads.lock().clone()
    }

    /// Ends the task: halts its threads, frees its memory, and powers the
    /// machine off when it was the last task. A current thread of the task
    /// is left to the caller, which must `sched::exit_current` next.
    pub fn terminate(self: &Arc<Task>, how: TaskExit) {
        {
            let mut exit = self.exit.lock();
            if exit.is_some() {
                return;
            }
            *exit = Some(how);
        }
        let threads = core::mem::take(&mut *self.threads.lock());
        for t in &threads {
            t.set_state(super::thread::ThreadState::Halted);
            super::sched::dequeue(t);
        }
        self.vm.lock().release();
        let remaining = {
            let mut all = TASKS.lock();
            all.retain(|t| !Arc::ptr_eq(t, self));
            all.len()
        };
        super::bootstrap::task_ended(self, how, remaining);
    }
}
