//! Threads: the unit of execution, each with a kernel stack, its saved user
//! registers (a TrapFrame at the top of that stack) and FPU state.

use super::sched::BASEPRI_USER;
use super::task::Task;
use crate::arch::fpu::FpuState;
use crate::arch::gdt::{USER_CS, USER_DS};
use crate::arch::switch;
use crate::arch::trap::TrapFrame;
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU64, AtomicU8, Ordering};

pub const KERNEL_STACK_SIZE: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ThreadState {
    Running = 0,
    Runnable = 1,
    Blocked = 2,
    Halted = 3,
}

#[repr(C, align(16))]
struct KernelStack([u8; KERNEL_STACK_SIZE]);

/// What only the CPU running the thread (or the scheduler switching it)
/// touches.
struct Machine {
    saved_rsp: u64,
    fpu: FpuState,
    fs_base: u64,
}

pub struct Thread {
    pub id: u64,
    pub task: Option<Arc<Task>>,
    stack: Option<Box<KernelStack>>,
    machine: UnsafeCell<Machine>,
    state: AtomicU8,
    priority: AtomicU8,
    /// The thread's kernel port, made when first asked for.
    pub ith_self: spin::Once<Arc<crate::ipc::port::Port>>,
}

// SAFETY: `machine` is touched only by the CPU that runs the thread or, with
// interrupts off and the run queue lock held, by the scheduler that switches
// it in or out; a thread runs on one CPU at a time.
unsafe impl Sync for Thread {}
unsafe impl Send for Thread {}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Thread {
    fn new(task: Option<Arc<Task>>, stack: Option<Box<KernelStack>>) -> Thread {
        Thread {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            task,
            stack,
            machine: UnsafeCell::new(Machine { saved_rsp: 0, fpu: FpuState::initial(), fs_base: 0 }),
            state: AtomicU8::new(ThreadState::Runnable as u8),
            priority: AtomicU8::new(BASEPRI_USER),
            ith_self: spin::Once::new(),
        }
    }

    /// The thread standing for the boot path, which becomes the idle loop.
    pub fn new_idle() -> Arc<Thread> {
        let t = Thread::new(None, None);
        t.set_state(ThreadState::Running);
        t.priority.store(super::sched::NRQS as u8 - 1, Ordering::Relaxed);
        Arc::new(t)
    }

    /// A user thread of `task` that will start at `entry` with stack `sp`.
    /// It is not yet runnable: the caller enqueues it.
    pub fn new_user(task: &Arc<Task>, entry: u64, sp: u64) -> Arc<Thread> {
        let stack = Box::new(KernelStack([0; KERNEL_STACK_SIZE]));
        let t = Thread::new(Some(task.clone()), Some(stack));
        let frame = t.user_frame_ptr();
        // SAFETY: the frame is the top of the fresh, unshared kernel stack.
        unsafe {
            frame.write(TrapFrame {
                rip: entry,
                cs: USER_CS as u64,
                rflags: 0x202,
                rsp: sp,
                ss: USER_DS as u64,
                ..TrapFrame::default()
            });
            (*t.machine.get()).saved_rsp = switch::prepare_user(frame as u64);
        }
        Arc::new(t)
    }

    pub fn kstack_top(&self) -> Option<u64> {
        self.stack.as_ref().map(|s| s.0.as_ptr() as u64 + KERNEL_STACK_SIZE as u64)
    }

    /// The user registers, saved at the top of the kernel stack on every
    /// entry from user mode.
    pub fn user_frame_ptr(&self) -> *mut TrapFrame {
        let top = self.kstack_top().expect("user threads have a kernel stack");
        (top - core::mem::size_of::<TrapFrame>() as u64) as *mut TrapFrame
    }

    pub fn fpu_area(&self) -> u64 {
        // SAFETY: taking the address only.
        unsafe { core::ptr::addr_of!((*self.machine.get()).fpu) as u64 }
    }

    pub fn saved_rsp_slot(&self) -> *mut u64 {
        // SAFETY: taking the address only; the switch writes it.
        unsafe { core::ptr::addr_of_mut!((*self.machine.get()).saved_rsp) }
    }

    pub fn saved_rsp(&self) -> u64 {
        // SAFETY: the thread is not running (the scheduler is switching to it).
        unsafe { (*self.machine.get()).saved_rsp }
    }

    pub fn state(&self) -> ThreadState {
        match self.state.load(Ordering::Acquire) {
            0 => ThreadState::Running,
            1 => ThreadState::Runnable,
            2 => ThreadState::Blocked,
            _ => ThreadState::Halted,
        }
    }

    pub fn set_state(&self, s: ThreadState) {
        self.state.store(s as u8, Ordering::Release);
    }

    /// Moves from `from` to `to` if the thread is in `from`; says whether.
    pub fn transition(&self, from: ThreadState, to: ThreadState) -> bool {
        self.state.compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    pub fn priority(&self) -> u8 {
        self.priority.load(Ordering::Relaxed)
    }

    /// Switches the address space and the user FS base from `prev` to this
    /// thread's, saving prev's FS base.
    pub fn activate_address_space(&self, prev: &Thread) {
        // SAFETY: prev is the thread this CPU is leaving and self the one it
        // is entering, so both machine states are this CPU's to touch.
        unsafe {
            if prev.task.is_some() {
                (*prev.machine.get()).fs_base = crate::arch::cpu::read_fs_base();
            }
            if let Some(task) = &self.task {
                task.activate();
                crate::arch::cpu::write_fs_base((*self.machine.get()).fs_base);
            }
        }
    }
}
