//! Threads: the unit of execution, each with a kernel stack, its saved user
//! registers (a TrapFrame at the top of that stack) and FPU state.

use super::priority::CpuUsage;
use super::sched::BASEPRI_USER;
use super::task::Task;
use mach::defs::host::KernelCount;
use crate::arch::fpu::FpuState;
use crate::arch::gdt::{USER_CS, USER_DS};
use crate::arch::switch;
use crate::arch::trap::TrapFrame;
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};

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
    /// Recent CPU use, charged by the clock on the CPU running the thread.
    usage: CpuUsage,
    /// User GS base: free for the emulation library's per-thread data,
    /// since Linux programs keep their TLS at FS.
    gs_base: u64,
}

pub struct Thread {
    pub id: u64,
    pub task: Option<Arc<Task>>,
    stack: Option<Box<KernelStack>>,
    machine: UnsafeCell<Machine>,
    state: AtomicU8,
    /// The priority the thread is scheduled at: `base_priority` lowered by
    /// recent CPU use (kern/priority.rs). 0 is the highest.
    priority: AtomicU8,
    base_priority: AtomicU8,
    /// thread_suspend count; the thread runs only while it is zero.
    suspend_count: AtomicU32,
    /// Runnable but held back by a suspension: enqueued again on resume.
    parked: AtomicBool,
    /// The thread's kernel port, made when first asked for.
    ith_self: spin::Once<Arc<crate::ipc::port::Port>>,
    /// Where this thread's exceptions go first (then the task's port).
    pub ith_exception: spin::Mutex<crate::ipc::right::Right>,
    /// Clock ticks charged while it ran.
    ticks: AtomicU64,
    /// thread_abort (or a termination) asked a blocked call to give up.
    aborted: AtomicBool,
    /// thread_terminate: end before returning to user mode.
    halt_requested: AtomicBool,
    /// It has been switched to at least once: from then on its kernel
    /// stack may hold references (see Task::terminate).
    started: AtomicBool,
    /// Why the last wait ended (Mach's wait_result): written by whoever
    /// won the Blocked -> Runnable transition, read by the thread when it
    /// runs again. See sched::wakeup_with.
    wait_result: AtomicU8,
    /// The receive buffer a thread blocked in mach_msg publishes (Mach's
    /// ith_msg_addr / ith_rcv_size), so that a sender can copy a message
    /// straight into it (ipc/fastpath.rs). `rcv_max` 0: none published.
    /// Written by the thread before it blocks, read by the sender that won
    /// its wakeup; the state transition orders the two.
    rcv_addr: AtomicU64,
    rcv_max: AtomicU32,
    /// The name the thread receives on while blocked in the fast path: a
    /// hint for the sender, which checks it against the receiver's space
    /// before using it as the message's local name (ipc/fastpath.rs).
    rcv_name: AtomicU32,
    /// While a mach_msg sends a request that will be served by a kernel
    /// object in this thread (host_console_read), the clock tick its
    /// receive times out at (u64::MAX: no timeout), so that a routine that
    /// parks honours the caller's MACH_RCV_TIMEOUT (ipc/msg.rs).
    rpc_deadline: AtomicU64,
    /// The frame of the user page its mach_msg buffer was last found in
    /// (page address, frame, pmap generation), so that an RPC loop does
    /// not walk the page tables on every message (ipc/fastpath.rs). Read
    /// and written only under the task's VM lock, by the thread itself or
    /// by a sender delivering to it while it is blocked.
    buf_page: AtomicU64,
    buf_frame: AtomicU64,
    buf_gen: AtomicU64,
}

/// Wait results (Mach's THREAD_AWAKENED and friends).
pub const THREAD_AWAKENED: u8 = 0;
pub const THREAD_TIMED_OUT: u8 = 1;
/// A sender copied a message into the published receive buffer: the
/// receive is complete.
pub const THREAD_MSG_DELIVERED: u8 = 2;

// SAFETY: `machine` is touched only by the CPU that runs the thread or, with
// interrupts off and the run queue lock held, by the scheduler that switches
// it in or out; a thread runs on one CPU at a time.
unsafe impl Sync for Thread {}
unsafe impl Send for Thread {}

/// A kernel stack allocated zeroed in place: building it on the stack first
/// (as `Box::new([0; N])` may) would overflow the caller's own kernel stack
/// when a thread is created from a trap. None when memory is short.
fn zeroed_stack() -> Option<Box<KernelStack>> {
    let layout = core::alloc::Layout::new::<KernelStack>();
    // SAFETY: the layout has a non-zero size.
    let p = unsafe { alloc::alloc::alloc_zeroed(layout) } as *mut KernelStack;
    // SAFETY: p is a fresh, zeroed allocation of KernelStack's layout, and
    // all-zero bytes are a valid KernelStack.
    (!p.is_null()).then(|| unsafe { Box::from_raw(p) })
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Drop for Thread {
    fn drop(&mut self) {
        super::counts::dec(KernelCount::Threads);
        if self.stack.is_some() {
            super::counts::dec(KernelCount::KernelStacks);
        }
    }
}

impl Thread {
    fn new(task: Option<Arc<Task>>, stack: Option<Box<KernelStack>>) -> Thread {
        super::counts::inc(KernelCount::Threads);
        if stack.is_some() {
            super::counts::inc(KernelCount::KernelStacks);
        }
        Thread {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            task,
            stack,
            machine: UnsafeCell::new(Machine { saved_rsp: 0, fpu: FpuState::initial(), fs_base: 0, usage: CpuUsage::ZERO, gs_base: 0 }),
            state: AtomicU8::new(ThreadState::Runnable as u8),
            priority: AtomicU8::new(BASEPRI_USER),
            base_priority: AtomicU8::new(BASEPRI_USER),
            suspend_count: AtomicU32::new(0),
            parked: AtomicBool::new(false),
            ith_self: spin::Once::new(),
            ith_exception: spin::Mutex::new(crate::ipc::right::Right::Null),
            ticks: AtomicU64::new(0),
            aborted: AtomicBool::new(false),
            halt_requested: AtomicBool::new(false),
            started: AtomicBool::new(false),
            wait_result: AtomicU8::new(THREAD_AWAKENED),
            rcv_addr: AtomicU64::new(0),
            rcv_max: AtomicU32::new(0),
            rcv_name: AtomicU32::new(0),
            rpc_deadline: AtomicU64::new(u64::MAX),
            buf_page: AtomicU64::new(u64::MAX),
            buf_frame: AtomicU64::new(0),
            buf_gen: AtomicU64::new(0),
        }
    }

    /// The thread standing for the boot path, which becomes the idle loop.
    pub fn new_idle() -> Arc<Thread> {
        let t = Thread::new(None, None);
        t.set_state(ThreadState::Running);
        t.priority.store(super::sched::NRQS as u8 - 1, Ordering::Relaxed);
        t.base_priority.store(super::sched::NRQS as u8 - 1, Ordering::Relaxed);
        Arc::new(t)
    }

    /// A user thread of `task` whose first return to user mode loads
    /// `regs` (with the user segments forced). Not yet runnable. None when
    /// there is no memory for its kernel stack.
    fn new_user_with(task: &Arc<Task>, regs: TrapFrame) -> Option<Arc<Thread>> {
        // Zeroed on the heap: a 16 KiB array built on the caller's kernel
        // stack would overflow it.
        crate::kern::kalloc::admit(KERNEL_STACK_SIZE + 2048).ok()?;
        let stack = zeroed_stack()?;
        let t = Thread::new(Some(task.clone()), Some(stack));
        let frame = t.user_frame_ptr();
        // SAFETY: the frame is the top of the fresh, unshared kernel stack.
        unsafe {
            frame.write(TrapFrame { cs: USER_CS as u64, ss: USER_DS as u64, ..regs });
            (*t.machine.get()).saved_rsp = switch::prepare_user(frame as u64);
        }
        Some(Arc::new(t))
    }

    /// A user thread of `task` that will start at `entry` with stack `sp`.
    pub fn new_user(task: &Arc<Task>, entry: u64, sp: u64) -> Option<Arc<Thread>> {
        Self::new_user_with(task, TrapFrame { rip: entry, rflags: 0x202, rsp: sp, ..TrapFrame::default() })
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

    pub fn wait_result(&self) -> u8 {
        self.wait_result.load(Ordering::Acquire)
    }

    pub(crate) fn set_wait_result(&self, r: u8) {
        self.wait_result.store(r, Ordering::Release);
    }

    /// Publishes (max > 0) or withdraws (max 0) the receive buffer.
    pub fn publish_rcv_buffer(&self, addr: u64, max: u32) {
        self.rcv_addr.store(addr, Ordering::Relaxed);
        self.rcv_max.store(max, Ordering::Release);
    }

    pub fn set_rcv_name(&self, name: u32) {
        self.rcv_name.store(name, Ordering::Relaxed);
    }

    /// The name last published by set_rcv_name (a hint: see rcv_name).
    pub fn rcv_name(&self) -> u32 {
        self.rcv_name.load(Ordering::Relaxed)
    }

    /// The cached writable frame of user page `page`, if it was looked up
    /// at translation generation `gen` (the caller holds the task's VM lock).
    pub fn cached_frame(&self, page: u64, gen: u64) -> Option<u64> {
        (self.buf_page.load(Ordering::Relaxed) == page && self.buf_gen.load(Ordering::Relaxed) == gen)
            .then(|| self.buf_frame.load(Ordering::Relaxed))
    }

    /// Remembers that `page` was writable at `frame` at generation `gen`
    /// (the caller holds the task's VM lock).
    pub fn cache_frame(&self, page: u64, frame: u64, gen: u64) {
        self.buf_page.store(page, Ordering::Relaxed);
        self.buf_frame.store(frame, Ordering::Relaxed);
        self.buf_gen.store(gen, Ordering::Relaxed);
    }

    /// The published receive buffer (address, size), if any.
    /// See `rpc_deadline`.
    pub fn set_rpc_deadline(&self, d: Option<u64>) {
        self.rpc_deadline.store(d.unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    pub fn rpc_deadline(&self) -> Option<u64> {
        let d = self.rpc_deadline.load(Ordering::Relaxed);
        (d != u64::MAX).then_some(d)
    }

    pub fn rcv_buffer(&self) -> Option<(u64, u32)> {
        let max = self.rcv_max.load(Ordering::Acquire);
        (max > 0).then(|| (self.rcv_addr.load(Ordering::Relaxed), max))
    }

    pub fn priority(&self) -> u8 {
        self.priority.load(Ordering::Relaxed)
    }

    pub fn suspend_count(&self) -> u32 {
        self.suspend_count.load(Ordering::Acquire)
    }

    pub fn add_suspension(&self) {
        self.suspend_count.fetch_add(1, Ordering::AcqRel);
    }

    /// Drops one suspension; returns the new count, or None if there was none.
    pub(super) fn drop_suspension(&self) -> Option<u32> {
        self.suspend_count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |c| c.checked_sub(1))
            .ok()
            .map(|c| c - 1)
    }

    pub(super) fn set_parked(&self, p: bool) -> bool {
        self.parked.swap(p, Ordering::AcqRel)
    }

    /// The saved user registers and FPU state, for thread_get/set_state.
    ///
    /// # Safety
    /// The thread must not be running (stopped, blocked, or the caller
    /// itself inside the kernel), so nothing else reads or writes them.
    pub unsafe fn user_state(&self) -> (&mut TrapFrame, &mut FpuState, &mut u64, &mut u64) {
        // SAFETY: per the caller, nobody else touches the saved state.
        unsafe {
            let m = &mut *self.machine.get();
            (&mut *self.user_frame_ptr(), &mut m.fpu, &mut m.fs_base, &mut m.gs_base)
        }
    }

    pub fn base_priority(&self) -> u8 {
        self.base_priority.load(Ordering::Relaxed)
    }

    pub fn set_base_priority(&self, p: u8) {
        let p = p.min(super::sched::NRQS as u8 - 1);
        self.base_priority.store(p, Ordering::Relaxed);
        self.priority.store(p.max(self.priority()), Ordering::Relaxed);
    }

    /// The clock charges a tick to the running thread and recomputes its
    /// priority. Only the CPU running the thread calls this.
    pub fn user_ticks(&self) -> u64 {
        self.ticks.load(Ordering::Relaxed)
    }

    /// The thread's kernel port (thread_self, task_threads, thread_create).
    pub fn port(self: &Arc<Thread>) -> Arc<crate::ipc::port::Port> {
        self.ith_self
            .call_once(|| crate::ipc::port::Port::new(crate::ipc::port::KObject::Thread(Arc::downgrade(self))))
            .clone()
    }

    /// Destroys the thread's port when it ends: holders get dead names.
    pub fn destroy_port(&self) {
        if let Some(p) = self.ith_self.get() {
            crate::ipc::port::destroy(p.clone());
        }
        let e = core::mem::replace(&mut *self.ith_exception.lock(), crate::ipc::right::Right::Null);
        drop(e);
    }

    /// Asks a blocked call of this thread to return ..._INTERRUPTED.
    pub fn set_aborted(&self) {
        self.aborted.store(true, Ordering::Release);
    }

    pub fn request_halt(&self) {
        self.halt_requested.store(true, Ordering::Release);
    }

    pub fn halt_requested(&self) -> bool {
        self.halt_requested.load(Ordering::Acquire)
    }

    pub(super) fn mark_started(&self) {
        self.started.store(true, Ordering::Relaxed);
    }

    /// Whether it has ever run: a thread that has not has nothing on its
    /// kernel stack but the frame it will start from.
    pub fn started(&self) -> bool {
        self.started.load(Ordering::Relaxed)
    }

    /// Whether an abort was asked since the last check (and clears it).
    pub fn take_aborted(&self) -> bool {
        self.aborted.swap(false, Ordering::AcqRel)
    }

    pub fn charge_tick(&self, now: u64) {
        self.ticks.fetch_add(1, Ordering::Relaxed);
        // SAFETY: per the above, this CPU owns the running thread's state.
        let m = unsafe { &mut *self.machine.get() };
        m.usage.charge_tick(now);
        self.priority.store(m.usage.priority(self.base_priority()), Ordering::Relaxed);
    }

    /// A thread that waited gets its usage decayed before it is queued.
    /// Called by the waker while the thread is blocked (not running).
    pub fn decay_usage(&self, now: u64) {
        // SAFETY: the thread is blocked, so no CPU is charging it.
        let m = unsafe { &mut *self.machine.get() };
        m.usage.decay_to(now);
        self.priority.store(m.usage.priority(self.base_priority()), Ordering::Relaxed);
    }

    /// Switches the address space and the user FS and GS bases from `prev` to this
    /// thread's, saving prev's FS base.
    pub fn activate_address_space(&self, prev: &Thread) {
        // SAFETY: prev is the thread this CPU is leaving and self the one it
        // is entering, so both machine states are this CPU's to touch.
        unsafe {
            if prev.task.is_some() {
                let m = &mut *prev.machine.get();
                m.fs_base = crate::arch::cpu::read_fs_base();
                m.gs_base = crate::arch::cpu::read_user_gs_base();
            }
            if let Some(task) = &self.task {
                task.activate();
                let m = &*self.machine.get();
                crate::arch::cpu::write_fs_base(m.fs_base);
                crate::arch::cpu::write_user_gs_base(m.gs_base);
            }
        }
    }
}
