//! Starting the first tasks from the boot modules, and stopping the machine
//! when the last task has ended.
//!
//! Every module that is a static ELF executable becomes a task with one
//! thread. The first module is the first task: it also gets the arguments
//! after `--` on the kernel command line, and its exit status becomes the
//! machine's when the last task ends.

use super::boot_info::{BootInfo, Module};
use super::elf;
use super::sched;
use super::task::{Task, TaskExit, TaskVm};
use super::thread::Thread;
use crate::arch::layout::phys_to_virt;
use crate::arch::power;
use crate::arch::usercopy::copyout;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use mach::kern_return::{KernReturn, KERN_RESOURCE_SHORTAGE, KERN_SUCCESS};
use mach::vm::{round_page, trunc_page, VmProt, PAGE_SIZE, VM_MAX_ADDRESS, VM_PROT_WRITE};

pub const USER_STACK_TOP: u64 = VM_MAX_ADDRESS - PAGE_SIZE as u64;
pub const USER_STACK_SIZE: u64 = 256 * 1024;

const AT_NULL: u64 = 0;
const AT_PAGESZ: u64 = 6;
const AT_ENTRY: u64 = 9;

static FIRST_TASK: AtomicU64 = AtomicU64::new(0);
static FIRST_STATUS: AtomicU8 = AtomicU8::new(0);

#[derive(Debug)]
pub enum LoadError {
    Elf(elf::ElfError),
    Vm(KernReturn),
    Fault,
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A boot module kept for host_get_boot_module: its command line and
/// where it lies in physical memory (kept reserved).
pub struct BootModule {
    pub line: alloc::string::String,
    pub start: u64,
    pub end: u64,
}

static MODULES: spin::Once<Vec<BootModule>> = spin::Once::new();

/// The boot modules, for the first task to read (host_get_boot_module).
pub fn modules() -> &'static [BootModule] {
    MODULES.get().map_or(&[], |v| v.as_slice())
}

/// A module's bytes.
pub fn module_bytes(m: &BootModule) -> &'static [u8] {
    // SAFETY: the loader placed the module at [start, end), which the frame
    // allocator keeps reserved for good, and the physmap maps it.
    unsafe { core::slice::from_raw_parts(phys_to_virt(m.start) as *const u8, (m.end - m.start) as usize) }
}

/// Starts the boot modules as tasks: every loadable one, or with
/// `first_only` just the first (the others are then files it reads with
/// host_get_boot_module, as a UNIX server reads its programs before it
/// has a disk). Returns how many tasks started.
pub fn start_modules(bi: &BootInfo, first_args: &[&str], first_only: bool) -> usize {
    MODULES.call_once(|| {
        bi.modules()
            .iter()
            .map(|m| BootModule {
                line: alloc::string::String::from(core::str::from_utf8(m.name).unwrap_or("?")),
                start: m.start,
                end: m.end,
            })
            .collect()
    });
    let mut started = 0;
    for (i, m) in bi.modules().iter().enumerate() {
        let line = core::str::from_utf8(m.name).unwrap_or("?");
        // The default pager is a boot task whatever start= says: the
        // kernel's pageout needs it, not the first task.
        let is_default_pager = line.split_ascii_whitespace().next().is_some_and(|w| basename(w) == "default-pager");
        if first_only && i > 0 && !is_default_pager {
            continue;
        }
        let mut words: Vec<&str> = line.split_ascii_whitespace().collect();
        if words.is_empty() {
            words.push("module");
        }
        let name = basename(words[0]);
        words[0] = name;
        if i == 0 {
            words.extend_from_slice(first_args);
        }
        match start_one(m, name, &words, i == 0) {
            Ok(task) => {
                if i == 0 {
                    FIRST_TASK.store(task.id, Ordering::Relaxed);
                }
                crate::kdebug!("started task {} ({})", task.id, name);
                started += 1;
            }
            Err(e) => crate::kwarn!("module {} ({}): not started: {:?}", i, name, e),
        }
    }
    started
}

/// The bootstrap port's rights: the first boot task receives on it, and
/// every boot task holds a send right as its TASK_BOOTSTRAP_PORT, which it
/// gets with task_get_special_port (for the first task the name returned
/// is that of its receive right).
fn give_bootstrap_port(task: &Arc<Task>, first: bool) {
    let port = crate::ipc::bootstrap_port();
    if first {
        task.space.copyout(crate::ipc::right::Right::Receive(port.clone()));
    }
    *task.itk_bootstrap.lock() = crate::ipc::right::Right::make_send(port);
}

fn start_one(m: &Module, name: &str, argv: &[&str], first: bool) -> Result<Arc<Task>, LoadError> {
    // SAFETY: the loader placed the module at [start, end), which the frame
    // allocator keeps reserved, and the physmap maps it.
    let image = unsafe {
        core::slice::from_raw_parts(phys_to_virt(m.start) as *const u8, (m.end - m.start) as usize)
    };
    let plan = elf::plan(image).map_err(LoadError::Elf)?;
    let task = Task::create(name).map_err(|_| LoadError::Vm(KERN_RESOURCE_SHORTAGE))?;
    let loaded = load(&task, image, &plan).and_then(|_| build_stack(&task, argv, plan.entry));
    let sp = match loaded {
        Ok(sp) => sp,
        Err(e) => {
            task.terminate(TaskExit::Exited(-1));
            return Err(e);
        }
    };
    give_bootstrap_port(&task, first);
    // The boot tasks are the system's servers (and, booted for the tests,
    // the test tasks): they hold the host privileged port.
    task.set_privileged(true);
    let Some(thread) = Thread::new_user(&task, plan.entry, sp) else {
        task.terminate(TaskExit::Exited(-1));
        return Err(LoadError::Vm(mach::kern_return::KERN_RESOURCE_SHORTAGE));
    };
    task.add_thread(thread.clone());
    sched::enqueue(thread);
    Ok(task)
}

/// Maps each segment as lazily zero-filled memory, copies its file bytes
/// in (which faults in just the pages they cover: text and data), then
/// sets the final protections. The rest of a segment (bss) is allocated on
/// first touch. Segments sharing a page get the union of their protections.
fn load(task: &Arc<Task>, image: &[u8], plan: &elf::LoadPlan) -> Result<(), LoadError> {
    let mut guard = task.vm.lock();
    let vm = &mut *guard;
    for s in &plan.segments {
        let (start, end) = segment_pages(s)?;
        map_writable(vm, start, end, s.prot)?;
        let bytes = image.get(s.offset as usize..(s.offset + s.filesz) as usize).ok_or(LoadError::Fault)?;
        copyout(vm, bytes, s.vaddr).map_err(|_| LoadError::Fault)?;
    }
    // Now that the bytes are in, drop the write permission loading needed.
    for s in &plan.segments {
        let (start, end) = segment_pages(s)?;
        let mut va = start;
        while va < end {
            // One call per run of pages with the same protection, so the
            // map keeps one entry per run rather than per page.
            let prot = final_prot(plan, va);
            let mut run = va + PAGE_SIZE as u64;
            while run < end && final_prot(plan, run) == prot {
                run += PAGE_SIZE as u64;
            }
            kr(vm.protect(va, run - va, false, prot))?;
            va = run;
        }
    }
    Ok(())
}

fn kr(k: KernReturn) -> Result<(), LoadError> {
    if k == KERN_SUCCESS { Ok(()) } else { Err(LoadError::Vm(k)) }
}

fn segment_pages(s: &elf::Segment) -> Result<(u64, u64), LoadError> {
    let end = s.vaddr.checked_add(s.memsz).and_then(round_page).ok_or(LoadError::Fault)?;
    Ok((trunc_page(s.vaddr), end))
}

/// The union of the protections of the segments touching page `va`.
fn final_prot(plan: &elf::LoadPlan, va: u64) -> VmProt {
    plan.segments.iter()
        .filter(|s| segment_pages(s).is_ok_and(|(a, b)| a <= va && va < b))
        .fold(0, |p, s| p | s.prot)
}

/// Makes [start, end) mapped and writable (plus `prot`), allocating the
/// unmapped runs and widening pages an earlier segment already mapped.
fn map_writable(vm: &mut TaskVm, start: u64, end: u64, prot: VmProt) -> Result<(), LoadError> {
    let mut va = start;
    while va < end {
        let (run_end, cur) = match vm.map.lookup(va) {
            Some(e) => (e.end.min(end), e.protection),
            None => {
                let next = vm.map.first_entry_after(va).map_or(end, |e| e.start.min(end));
                let mut at = va;
                kr(vm.allocate(&mut at, next - va, false))?;
                (next, 0)
            }
        };
        kr(vm.protect(va, run_end - va, false, cur | prot | VM_PROT_WRITE))?;
        va = run_end;
    }
    Ok(())
}

/// Maps the stack (lazily zero-filled) and writes argc, argv, an empty
/// environment and a short auxiliary vector, as the System V ABI lays them
/// out for `_start`.
fn build_stack(task: &Arc<Task>, argv: &[&str], entry: u64) -> Result<u64, LoadError> {
    let mut guard = task.vm.lock();
    let vm = &mut *guard;
    let mut base = USER_STACK_TOP - USER_STACK_SIZE;
    kr(vm.allocate(&mut base, USER_STACK_SIZE, false))?;
    let mut sp = USER_STACK_TOP;
    let mut ptrs = Vec::with_capacity(argv.len());
    for a in argv.iter().rev() {
        sp -= a.len() as u64 + 1;
        copyout(vm, a.as_bytes(), sp).map_err(|_| LoadError::Fault)?;
        copyout(vm, &[0], sp + a.len() as u64).map_err(|_| LoadError::Fault)?;
        ptrs.push(sp);
    }
    ptrs.reverse();
    let mut words: Vec<u64> = Vec::new();
    words.push(argv.len() as u64);
    words.extend_from_slice(&ptrs);
    words.push(0); // end of argv
    words.push(0); // end of envp
    words.extend_from_slice(&[AT_PAGESZ, PAGE_SIZE as u64, AT_ENTRY, entry, AT_NULL, 0]);
    sp = (sp - 8 * words.len() as u64) & !15;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    copyout(vm, &bytes, sp).map_err(|_| LoadError::Fault)?;
    Ok(sp)
}

/// Called when a task has ended, with the number of tasks left.
pub fn task_ended(task: &Task, how: TaskExit, remaining: usize) {
    match how {
        TaskExit::Exited(s) => crate::kdebug!("task {} ({}) exited with status {}", task.id, task.name, s),
        TaskExit::Killed { vector } => crate::kinfo!("task {} ({}) killed by {}", task.id, task.name,
                                                     crate::arch::trap::vector_name(vector)),
        TaskExit::Terminated => crate::kdebug!("task {} ({}) terminated", task.id, task.name),
    }
    if task.id == FIRST_TASK.load(Ordering::Relaxed) {
        FIRST_STATUS.store(how.status(), Ordering::Relaxed);
    }
    if remaining == 0 {
        let status = FIRST_STATUS.load(Ordering::Relaxed);
        crate::kinfo!("no tasks left; powering off with status {}", status);
        power::poweroff(status);
    }
}
