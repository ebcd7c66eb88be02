//! Tasks: an address space (map and pmap) and the threads running in it.

use super::emulation::EmulationVector;
use super::thread::Thread;
use crate::ipc::port::{KObject, Port};
use crate::ipc::right::Right;
use crate::arch::pmap::{Pmap, PmapError};
use crate::vm::fault::vm_fault;
use crate::vm::fork::vm_map_fork;
use crate::vm::map::VmMap;
use crate::vm::resident::KERNEL_PHYS;
use crate::vm::user;
use mach::kern_return::*;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use mach::vm::{VmInherit, VmProt, VM_MAX_ADDRESS, VM_MIN_ADDRESS};
use spin::Mutex;

/// How a task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskExit {
    /// It asked to, with this status.
    Exited(i32),
    /// The kernel ended it after an exception nobody handled.
    Killed { vector: u64 },
    /// task_terminate from a holder of its task port.
    Terminated,
}

impl TaskExit {
    /// The status carried out of the machine when this is the first task.
    pub fn status(self) -> u8 {
        match self {
            TaskExit::Exited(s) => s as u8,
            TaskExit::Killed { vector } => 0x80 | vector as u8,
            // As a UNIX shell would show a SIGKILL.
            TaskExit::Terminated => 0x80 | 9,
        }
    }
}

/// The memory of a task: the machine-independent map and its pmap.
pub struct TaskVm {
    pub map: VmMap,
    pub pmap: Pmap,
}

impl TaskVm {
    /// Resolves a fault at `addr` for `access` (the task's or a usercopy's).
    pub fn fault(&mut self, addr: u64, access: VmProt) -> Result<(), KernReturn> {
        vm_fault(&mut self.map, &mut self.pmap, &KERNEL_PHYS, addr, access)
    }

    /// `fault`, telling when the page is on its way from a pager.
    pub fn fault_paging(&mut self, addr: u64, access: VmProt) -> Result<(), crate::vm::fault::FaultError> {
        crate::vm::fault::vm_fault_paging(&mut self.map, &mut self.pmap, &KERNEL_PHYS, addr, access)
    }

    pub fn allocate(&mut self, addr: &mut u64, size: u64, anywhere: bool) -> KernReturn {
        user::vm_allocate(&mut self.map, addr, size, anywhere)
    }

    pub fn deallocate(&mut self, addr: u64, size: u64) -> KernReturn {
        user::vm_deallocate(&mut self.map, &mut self.pmap, addr, size)
    }

    pub fn protect(&mut self, addr: u64, size: u64, set_max: bool, prot: VmProt) -> KernReturn {
        user::vm_protect(&mut self.map, &mut self.pmap, addr, size, set_max, prot)
    }

    pub fn inherit(&mut self, addr: u64, size: u64, inh: VmInherit) -> KernReturn {
        user::vm_inherit(&mut self.map, addr, size, inh)
    }

    /// Unmaps everything and drops the map's object references: frames no
    /// other task shares go back to the pool.
    fn release(&mut self) {
        self.pmap.remove_range(VM_MIN_ADDRESS, VM_MAX_ADDRESS);
        self.map = VmMap::new(VM_MIN_ADDRESS, VM_MAX_ADDRESS);
        self.pmap.free_user_tables();
    }

    /// Pages resident in the objects this map refers to directly (the
    /// out-of-memory policy's measure of a task).
    pub fn resident_pages(&self) -> usize {
        let mut last = u64::MAX;
        let mut n = 0;
        for o in self.map.entries().iter().filter_map(|e| e.object.as_ref()) {
            // Neighbouring entries often share an object (clipped ranges).
            if o.id != last {
                n += o.resident_count();
                last = o.id;
            }
        }
        n
    }
}

pub struct Task {
    pub id: u64,
    pub name: String,
    pub vm: Mutex<TaskVm>,
    /// The pmap's root (Pmap::root), fixed for the task's life: a switch
    /// loads it without taking the VM lock.
    cr3: u64,
    pub threads: Mutex<Vec<Arc<Thread>>>,
    pub exit: Mutex<Option<TaskExit>>,
    /// Made by task_create (a UNIX process), not a boot task: the
    /// out-of-memory policy may end it.
    pub oom_candidate: core::sync::atomic::AtomicBool,
    /// Where UNIX system calls go (the trampoline); inherited by children.
    pub emulation: Mutex<EmulationVector>,
    /// task_suspend count: while above zero no thread of the task runs.
    pub suspend_count: Mutex<u32>,
    /// The task's port name space.
    pub space: crate::ipc::space::Space,
    /// The task's own port (a kernel object; task_self gives send rights).
    pub itk_self: Arc<Port>,
    /// A send right to the TASK_BOOTSTRAP_PORT special port, or Null.
    pub itk_bootstrap: Mutex<Right>,
    /// Where exceptions of threads without their own exception port go.
    pub itk_exception: Mutex<Right>,
    /// The task's host port is the host privileged port (Mach's
    /// itk_host = host_priv): it may reboot the machine, read the console
    /// and the boot modules, open devices through the device master port,
    /// and use the debug traps. The kernel grants it to the boot tasks
    /// only; task_create does not pass it on, and only a holder of the
    /// host privileged port can give it to another task (by setting its
    /// TASK_HOST_PORT to host_priv). See `privileged`.
    privileged: AtomicBool,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// What creating a task takes from the kernel heap, about (kalloc::admit).
const TASK_ALLOWANCE: usize = 8 * 1024;
static TASKS: Mutex<Vec<Arc<Task>>> = Mutex::new(Vec::new());

impl Drop for Task {
    fn drop(&mut self) {
        super::counts::dec(mach::defs::host::KernelCount::Tasks);
    }
}

impl Task {
    pub fn create(name: &str) -> Result<Arc<Task>, PmapError> {
        // The task, its space, port and top page table (kalloc's admission).
        crate::kern::kalloc::admit(TASK_ALLOWANCE).map_err(|_| PmapError::NoMemory)?;
        TASKS.lock().try_reserve(1).map_err(|_| PmapError::NoMemory)?;
        let pmap = Pmap::new()?;
        let cr3 = pmap.root();
        let task = Arc::new_cyclic(|me| Task {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            name: String::from(name),
            vm: Mutex::new(TaskVm { map: VmMap::new(VM_MIN_ADDRESS, VM_MAX_ADDRESS), pmap }),
            cr3,
            threads: Mutex::new(Vec::new()),
            exit: Mutex::new(None),
            oom_candidate: core::sync::atomic::AtomicBool::new(false),
            emulation: Mutex::new(EmulationVector::NONE),
            suspend_count: Mutex::new(0),
            space: crate::ipc::space::Space::new(),
            itk_self: Port::new(KObject::Task(me.clone())),
            itk_bootstrap: Mutex::new(Right::Null),
            itk_exception: Mutex::new(Right::Null),
            privileged: AtomicBool::new(false),
        });
        TASKS.lock().push(task.clone());
        super::counts::inc(mach::defs::host::KernelCount::Tasks);
        Ok(task)
    }

    /// Whether the task holds the host privileged port as its host port.
    pub fn privileged(&self) -> bool {
        self.privileged.load(Ordering::Relaxed)
    }

    /// Grants or takes away the privilege (bootstrap for the boot tasks;
    /// task_set_special_port(TASK_HOST_PORT) with host_priv or host_self).
    pub fn set_privileged(&self, on: bool) {
        self.privileged.store(on, Ordering::Relaxed);
    }

    /// The send right TASK_HOST_PORT and the host_self trap give: the
    /// privileged host port to a privileged task, the host port to others.
    pub fn host_port(&self) -> Right {
        if self.privileged() {
            Right::make_send(super::host_server::host_priv_port())
        } else {
            Right::make_send(crate::ipc::host_port())
        }
    }

    /// task_create: a child task inheriting this one's emulation vector and
    /// bootstrap and exception ports (never its privilege: a UNIX server's
    /// processes are its children), with an address space built from this
    /// one's by inheritance (vm_map_fork) or, without `inherit_memory`, empty.
    pub fn create_child(self: &Arc<Task>, inherit_memory: bool) -> Result<Arc<Task>, KernReturn> {
        let child = Task::create(&self.name).map_err(|_| KERN_RESOURCE_SHORTAGE)?;
        child.oom_candidate.store(true, Ordering::Relaxed);
        *child.emulation.lock() = *self.emulation.lock();
        *child.itk_bootstrap.lock() = self.itk_bootstrap.lock().copy();
        *child.itk_exception.lock() = self.itk_exception.lock().copy();
        if inherit_memory {
            let forked = {
                let mut guard = self.vm.lock();
                let vm = &mut *guard;
                // The child's copy of the map, and a shadow object per entry.
                let entries = vm.map.entries().len();
                if let Err(kr) = crate::kern::kalloc::admit(entries * 2 * core::mem::size_of::<crate::vm::map::MapEntry>() + entries * 256) {
                    drop(guard);
                    child.terminate(TaskExit::Exited(-1));
                    return Err(kr);
                }
                vm_map_fork(&mut vm.map, &mut vm.pmap, &KERNEL_PHYS)
            };
            match forked {
                Ok(map) => child.vm.lock().map = map,
                Err(kr) => {
                    child.terminate(TaskExit::Exited(-1));
                    return Err(kr);
                }
            }
        }
        Ok(child)
    }

    /// Task death for IPC: the space goes (receive rights destroyed, send
    /// rights released, send-once rights destroyed, each with the
    /// notifications Mach sends), then the task port and special ports.
    fn destroy_ipc(&self) {
        self.space.destroy();
        crate::ipc::port::destroy(self.itk_self.clone());
        let b = core::mem::replace(&mut *self.itk_bootstrap.lock(), Right::Null);
        drop(b);
        let e = core::mem::replace(&mut *self.itk_exception.lock(), Right::Null);
        drop(e);
    }

    pub fn activate(&self) {
        crate::arch::pmap::activate_root(self.cr3);
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
    /// None when there is no memory for its kernel stack.
    pub fn create_thread(self: &Arc<Task>) -> Option<Arc<Thread>> {
        let t = Thread::new_user(self, 0, 0)?;
        t.add_suspension();
        for _ in 0..*self.suspend_count.lock() {
            t.add_suspension();
        }
        self.add_thread(t.clone());
        super::sched::enqueue(t.clone());
        Some(t)
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

    /// TASK_BASIC_INFO.
    pub fn basic_info(&self) -> mach::defs::task::TaskBasicInfo {
        let threads = self.threads.lock();
        let vm = self.vm.lock();
        mach::defs::task::TaskBasicInfo {
            suspend_count: *self.suspend_count.lock(),
            thread_count: threads.len() as u32,
            resident_pages: {
                let mut n = 0;
                vm.pmap.for_each_mapping(|_, _| n += 1);
                n
            },
            virtual_size: vm.map.entries().iter().map(|e| e.end - e.start).sum(),
            user_ticks: threads.iter().map(|t| t.user_ticks()).sum(),
        }
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
        let me = super::sched::current_ref() as *const super::thread::Thread;
        for t in &threads {
            t.destroy_port();
            if core::ptr::eq(Arc::as_ptr(t), me) || !t.started() {
                t.set_state(super::thread::ThreadState::Halted);
                super::sched::dequeue(t);
            } else {
                // Its kernel stack holds references (itself, ports, a
                // message) that only its own return releases: halted
                // where it stands, it would keep itself, this task, its
                // pmap and the ports it waits on forever. It runs once
                // more instead, its call interrupted, and ends at the AST
                // check on its way to user mode (as thread_terminate).
                t.request_halt();
                t.set_aborted();
                super::sched::run_to_halt(t);
            }
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

/// The live task the out-of-memory policy would end: of those made by
/// task_create, the one with the most resident pages.
pub fn largest_oom_candidate() -> Option<(Arc<Task>, usize)> {
    let all = TASKS.lock();
    let mut best: Option<(&Arc<Task>, usize)> = None;
    for t in all.iter() {
        if !t.oom_candidate.load(Ordering::Relaxed) || t.exit.lock().is_some() {
            continue;
        }
        let pages = t.vm.lock().resident_pages();
        if best.is_none_or(|(_, b)| pages > b) {
            best = Some((t, pages));
        }
    }
    best.map(|(t, n)| (t.clone(), n))
}
