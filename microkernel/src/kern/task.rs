//! Tasks: an address space (map and pmap) and the threads running in it.

use super::thread::Thread;
use crate::ipc::port::{KObject, Port};
use crate::ipc::right::Right;
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

    /// Maps the given frames (which become the task's) at [start, ...).
    /// On failure nothing stays mapped and the frames are the caller's.
    pub fn map_frames(&mut self, start: u64, frames: &[u64], prot: VmProt) -> Result<(), VmError> {
        let end = start + frames.len() as u64 * PAGE_SIZE as u64;
        self.map.insert(MapEntry::new(start, end, prot, VM_PROT_ALL)).map_err(VmError::Map)?;
        for (i, &pa) in frames.iter().enumerate() {
            let va = start + (i * PAGE_SIZE) as u64;
            if let Err(e) = self.pmap.enter(va, pa, prot) {
                for j in 0..i {
                    self.pmap.remove(start + (j * PAGE_SIZE) as u64);
                }
                let _ = self.map.remove(start, end);
                return Err(VmError::Pmap(e));
            }
        }
        Ok(())
    }

    /// Removes [start, end) and frees its frames (vm_deallocate, for wired
    /// memory). Holes are allowed.
    pub fn deallocate(&mut self, start: u64, end: u64) {
        if self.map.remove(start, end).is_err() {
            return;
        }
        let mut va = start;
        while va < end {
            if let Some(pa) = self.pmap.remove(va) {
                resident::free_frame(pa);
            }
            va += PAGE_SIZE as u64;
        }
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
    /// The task's port name space.
    pub space: crate::ipc::space::Space,
    /// The task's own port (a kernel object; task_self gives send rights).
    pub itk_self: Arc<Port>,
    /// A send right to the TASK_BOOTSTRAP_PORT special port, or Null.
    pub itk_bootstrap: Mutex<Right>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static TASKS: Mutex<Vec<Arc<Task>>> = Mutex::new(Vec::new());

impl Task {
    pub fn create(name: &str) -> Result<Arc<Task>, PmapError> {
        let pmap = Pmap::new()?;
        let task = Arc::new_cyclic(|me| Task {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            name: String::from(name),
            vm: Mutex::new(TaskVm { map: VmMap::new(VM_MIN_ADDRESS, VM_MAX_ADDRESS), pmap }),
            threads: Mutex::new(Vec::new()),
            exit: Mutex::new(None),
            space: crate::ipc::space::Space::new(),
            itk_self: Port::new(KObject::Task(me.clone())),
            itk_bootstrap: Mutex::new(Right::Null),
        });
        TASKS.lock().push(task.clone());
        Ok(task)
    }

    /// Task death for IPC: the space goes (receive rights destroyed, send
    /// rights released, send-once rights destroyed, each with the
    /// notifications Mach sends), then the task port and special ports.
    fn destroy_ipc(&self) {
        self.space.destroy();
        crate::ipc::port::destroy(self.itk_self.clone());
        let b = core::mem::replace(&mut *self.itk_bootstrap.lock(), Right::Null);
        drop(b);
    }

    pub fn activate(&self) {
        self.vm.lock().pmap.activate();
    }

    pub fn add_thread(&self, t: Arc<Thread>) {
        self.threads.lock().push(t);
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
        self.destroy_ipc();
        self.vm.lock().release();
        let remaining = {
            let mut all = TASKS.lock();
            all.retain(|t| !Arc::ptr_eq(t, self));
            all.len()
        };
        super::bootstrap::task_ended(self, how, remaining);
    }
}
