//! The scheduler: per-CPU run queues of 32 priority levels (0 is the
//! highest, as in Mach), round robin within a level, a time quantum, and an
//! idle thread per CPU.

use super::emulation::EmulationVector;
use super::thread::{Thread, ThreadState, THREAD_AWAKENED, THREAD_TIMED_OUT};
use crate::arch::{cpu, gdt, switch};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use spin::Mutex;

pub const NRQS: usize = 32;
/// Priority of ordinary user threads (Mach's BASEPRI_USER).
pub const BASEPRI_USER: u8 = 12;
/// Clock ticks a thread runs before others of its level get the CPU.
pub const QUANTUM_TICKS: u32 = 2;

/// Runnable threads by priority. Generic so that it is tested on the host.
pub struct RunQueue<T> {
    levels: [VecDeque<T>; NRQS],
    /// Bit p set: level p is non-empty.
    bitmap: u32,
    count: usize,
}

impl<T> RunQueue<T> {
    pub const fn new() -> Self {
        RunQueue { levels: [const { VecDeque::new() }; NRQS], bitmap: 0, count: 0 }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Adds `t` at the tail of its level (priorities above NRQS-1 clamp).
    pub fn enqueue(&mut self, t: T, priority: u8) {
        let p = (priority as usize).min(NRQS - 1);
        self.levels[p].push_back(t);
        self.bitmap |= 1 << p;
        self.count += 1;
    }

    /// The head of the highest non-empty level.
    pub fn dequeue(&mut self) -> Option<T> {
        if self.bitmap == 0 {
            return None;
        }
        let p = self.bitmap.trailing_zeros() as usize;
        let t = self.levels[p].pop_front();
        if self.levels[p].is_empty() {
            self.bitmap &= !(1 << p);
        }
        self.count -= 1;
        t
    }

    /// The best priority waiting, if any.
    pub fn best_priority(&self) -> Option<u8> {
        (self.bitmap != 0).then(|| self.bitmap.trailing_zeros() as u8)
    }

    /// Removes every element for which `f` holds.
    pub fn remove_where(&mut self, mut f: impl FnMut(&T) -> bool) -> usize {
        let mut n = 0;
        for (p, level) in self.levels.iter_mut().enumerate() {
            let before = level.len();
            level.retain(|t| !f(t));
            n += before - level.len();
            if level.is_empty() {
                self.bitmap &= !(1 << p);
            }
        }
        self.count -= n;
        n
    }
}

impl<T> Default for RunQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

struct CpuSched {
    runq: RunQueue<Arc<Thread>>,
    current: Option<Arc<Thread>>,
    idle: Option<Arc<Thread>>,
    /// A halted thread whose stack we were still on when we left it.
    reap: Option<Arc<Thread>>,
    ticks_left: u32,
}

static SCHED: [Mutex<CpuSched>; cpu::MAX_CPUS] = [const {
    Mutex::new(CpuSched { runq: RunQueue::new(), current: None, idle: None, reap: None, ticks_left: QUANTUM_TICKS })
}; cpu::MAX_CPUS];

fn this_cpu() -> usize {
    cpu::local().cpu_id as usize
}

/// Makes the code running now (the boot path) this CPU's idle thread.
pub fn init_cpu(id: usize) {
    let idle = Thread::new_idle();
    install_cpu_state(id, &idle);
    let mut s = SCHED[id].lock();
    s.idle = Some(idle.clone());
    s.current = Some(idle);
}

/// Points the per-CPU data and the TSS at `t`.
fn install_cpu_state(id: usize, t: &Arc<Thread>) {
    let c = cpu::local();
    t.mark_started();
    c.current = Arc::as_ptr(t) as u64;
    c.fpu_area = t.fpu_area();
    load_emulation(c, t);
    if let Some(top) = t.kstack_top() {
        c.kernel_rsp = top;
        gdt::set_kernel_stack(id, top);
    }
}

/// Copies the thread's task emulation vector where the SYSCALL path reads it.
fn load_emulation(c: &mut cpu::CpuLocal, t: &Thread) {
    let v = t.task.as_ref().map_or(EmulationVector::NONE, |task| *task.emulation.lock());
    c.emul_entry = v.entry;
    c.emul_first = v.first;
    c.emul_count = v.count;
}

/// The running task's emulation vector changed: reload it on this CPU.
/// (With several CPUs, each running a thread of the task reloads at its
/// next switch; a task changes its vector from its own thread.)
pub fn refresh_emulation() {
    if let Some(cur) = SCHED[this_cpu()].lock().current.clone() {
        load_emulation(cpu::local(), &cur);
    }
}

/// The running thread.
pub fn current() -> Arc<Thread> {
    SCHED[this_cpu()].lock().current.clone().expect("scheduler initialised")
}

/// The running thread, without the lock and the reference count that
/// `current` costs: for the trap paths.
pub fn current_ref() -> &'static Thread {
    let p = cpu::local().current as *const Thread;
    // SAFETY: `current` is set by install_cpu_state from the Arc the
    // scheduler holds in `SCHED[cpu].current` for as long as the thread
    // runs, and the kernel is not preemptible: the code asking is the
    // running thread itself, and a thread is only freed (reaped) after it
    // halted and the CPU switched away from it for good, so the reference
    // never outlives the thread's last use of it. Set at init_cpu, before
    // any trap.
    unsafe { &*p }
}

/// The running thread as an Arc (one reference count, no lock).
pub fn current_arc() -> Arc<Thread> {
    let p = cpu::local().current as *const Thread;
    // SAFETY: as in current_ref, p comes from Arc::as_ptr of an Arc kept
    // alive by SCHED while the thread runs; taking one more count on it
    // and building an Arc owning that count is what Arc::clone would do.
    unsafe {
        Arc::increment_strong_count(p);
        Arc::from_raw(p)
    }
}
/// Makes `t` runnable (on this CPU: one CPU runs for now). A suspended
/// thread is parked instead, until thread_resume, unless it is to halt:
/// it must run once more to unwind what its kernel stack holds.
pub fn enqueue(t: Arc<Thread>) {
    if t.suspend_count() > 0 && !t.halt_requested() {
        t.set_parked(true);
        return;
    }
    let prio = t.priority();
    SCHED[this_cpu()].lock().runq.enqueue(t, prio);
}

/// thread_suspend: the thread stops running until resumed as many times.
/// Suspending the running thread takes effect before it returns to user.
pub fn suspend(t: &Arc<Thread>) {
    t.add_suspension();
    let queued = SCHED[this_cpu()].lock().runq.remove_where(|x| Arc::ptr_eq(x, t));
    if queued > 0 {
        t.set_parked(true);
    }
}

/// thread_resume: KERN_FAILURE if the thread was not suspended.
pub fn resume(t: &Arc<Thread>) -> Result<(), mach::KernReturn> {
    match t.drop_suspension() {
        None => Err(mach::kern_return::KERN_FAILURE),
        Some(0) if t.set_parked(false) => {
            enqueue(t.clone());
            Ok(())
        }
        Some(_) => Ok(()),
    }
}

/// Called on the way back to user mode: a running thread that has been
/// suspended (by itself or by another CPU) parks here.
pub fn check_suspended() {
    let cur = current();
    if cur.suspend_count() > 0 && cur.task.is_some() {
        drop(cur);
        schedule();
    }
}

/// Wakes a blocked thread. Waking one that is not blocked does nothing.
pub fn wakeup(t: &Arc<Thread>) {
    wakeup_with(t, THREAD_AWAKENED);
}

/// Wakes a blocked thread with a wait result (Mach's thread_wakeup with a
/// result). Exactly one waker wins a wait: the Blocked -> Runnable
/// compare-and-swap decides, so a message delivery racing a timeout (or
/// two wakeups on two CPUs) can neither lose the wakeup nor deliver it
/// twice. Only the winner writes the result, before the thread can run.
pub fn wakeup_with(t: &Arc<Thread>, result: u8) -> bool {
    if !claim(t) {
        return false;
    }
    t.set_wait_result(result);
    enqueue(t.clone());
    true
}

/// Wins the wakeup of a blocked thread without queueing it: the caller
/// then owns it and must set its wait result and either hand off to it or
/// enqueue it.
pub fn claim(t: &Thread) -> bool {
    if !t.transition(ThreadState::Blocked, ThreadState::Runnable) {
        return false;
    }
    t.decay_usage(super::clock::ticks());
    true
}

/// Gives the CPU from the running thread, which the caller has marked
/// Blocked (and queued where its wakeup will find it), to `next`, which the
/// caller claimed (it is Runnable and on no queue).
///
/// Policy: `next` takes the CPU directly, touching no run queue (Mach's
/// handoff, L4's direct switch), when its priority is not worse than any
/// thread waiting in this CPU's run queue, so a handoff never jumps a
/// better thread; ties go to the handoff, as in Mach. The quantum is not
/// renewed, so two threads ping-ponging still yield to their level when it
/// runs out. Otherwise (or if `next` was suspended meanwhile) `next` is
/// queued and the best thread runs; if it was halted meanwhile (its task
/// terminated), it is dropped.
///
/// With several CPUs, `next` may have marked itself Blocked on another CPU
/// and still be switching out there when it is claimed: before loading its
/// stack this must wait until that CPU has saved it (an on-CPU flag that
/// switch_context clears, as Mach's TH_RUN and seL4's scheduler guard).
/// One CPU runs today, so the claim is always of a thread switched out.
pub fn handoff_or_schedule(next: Arc<Thread>) {
    let id = this_cpu();
    let (save, load) = {
        let mut s = SCHED[id].lock();
        let best = s.runq.best_priority();
        if best.is_some_and(|b| next.priority() > b) || next.suspend_count() > 0 {
            drop(s);
            enqueue(next);
            schedule();
            return;
        }
        if !next.transition(ThreadState::Runnable, ThreadState::Running) {
            drop(s);
            schedule();
            return;
        }
        let cur = s.current.take().expect("scheduler initialised");
        install_cpu_state(id, &next);
        next.activate_address_space(&cur);
        let save = cur.saved_rsp_slot();
        let load = next.saved_rsp();
        s.current = Some(next);
        // `cur` is blocked: its wait queue holds it.
        (save, load)
    };
    // SAFETY: as in schedule: `save` belongs to a thread its wait queue
    // keeps alive, and `load` was saved by a switch or prepared at creation.
    unsafe { switch::switch(save, load) };
    reap();
}

/// Frees the halted thread this CPU has just switched away from. Every
/// switched-to thread does this on its way on (schedule, handoff, and a
/// thread's first run), so the slot is empty whenever a thread runs and a
/// dead thread's stack, task and pmap go at once.
fn reap() {
    let reaped = SCHED[this_cpu()].lock().reap.take();
    drop(reaped);
}

/// A thread's first run, from the start stubs of arch's switch.
#[unsafe(no_mangle)]
extern "C" fn sched_first_run() {
    reap();
}

/// Takes a thread off the run queues (it is being halted).
pub fn dequeue(t: &Arc<Thread>) {
    SCHED[this_cpu()].lock().runq.remove_where(|x| Arc::ptr_eq(x, t));
}

/// Makes a thread whose halt was requested run once more, whatever it
/// was doing: a blocked one is woken (its call sees the abort), a parked
/// (suspended) one queued; a queued one is already on its way.
pub fn run_to_halt(t: &Arc<Thread>) {
    if !wakeup_with(t, THREAD_AWAKENED) && t.set_parked(false) {
        enqueue(t.clone());
    }
}

/// Gives up the CPU to the best runnable thread. The current thread goes
/// back on the queue if it is still Running, stays off if it blocked, and
/// is freed after the switch if it halted.
pub fn schedule() {
    let id = this_cpu();
    let (save, load) = {
        let mut s = SCHED[id].lock();
        let cur = s.current.take().expect("scheduler initialised");
        let is_idle = s.idle.as_ref().is_some_and(|i| Arc::ptr_eq(i, &cur));
        if !is_idle && cur.transition(ThreadState::Running, ThreadState::Runnable) {
            if cur.suspend_count() > 0 && !cur.halt_requested() {
                cur.set_parked(true);
            } else {
                let p = cur.priority();
                s.runq.enqueue(cur.clone(), p);
            }
        }
        let next = match s.runq.dequeue() {
            Some(n) => n,
            None if is_idle => {
                s.current = Some(cur);
                return;
            }
            None => s.idle.clone().expect("idle thread"),
        };
        next.set_state(ThreadState::Running);
        s.ticks_left = QUANTUM_TICKS;
        if Arc::ptr_eq(&next, &cur) {
            s.current = Some(cur);
            return;
        }
        install_cpu_state(id, &next);
        next.activate_address_space(&cur);
        let save = cur.saved_rsp_slot();
        let load = next.saved_rsp();
        s.current = Some(next);
        if cur.state() == ThreadState::Halted {
            s.reap = Some(cur);
        }
        // Blocked threads are held by whatever they wait on, runnable ones
        // by the run queue; `cur` itself is dropped here without freeing.
        (save, load)
    };
    // SAFETY: `save` is the slot of a thread kept alive by its holder (the
    // run queue, a wait structure, or the reap slot until the next thread
    // clears it), and `load` was saved by switch or prepared at creation.
    unsafe { switch::switch(save, load) };
    reap();
}

/// Ends the running thread; it never runs again.
pub fn exit_current() -> ! {
    current().set_state(ThreadState::Halted);
    schedule();
    unreachable!("a halted thread was scheduled");
}

/// Marks the running thread as waiting (Mach's assert_wait): from here a
/// wakeup makes it runnable again, even before it has given up the CPU.
/// The caller then switches away (schedule or handoff).
pub fn assert_wait(me: &Thread) {
    me.set_wait_result(THREAD_AWAKENED);
    me.set_state(ThreadState::Blocked);
}

/// Blocks the running thread until someone calls `wakeup` on it.
pub fn block_current() {
    current().set_state(ThreadState::Blocked);
    schedule();
}

/// Threads waiting for something (a message, room in a queue). The lock
/// is a leaf: nothing else is locked while it is held.
pub struct WaitQueue(Mutex<alloc::vec::Vec<Arc<Thread>>>);

impl WaitQueue {
    pub const fn new() -> Self {
        WaitQueue(Mutex::new(alloc::vec::Vec::new()))
    }
    pub fn add(&self, t: &Arc<Thread>) {
        self.0.lock().push(t.clone());
    }
    pub fn remove(&self, t: &Arc<Thread>) {
        self.0.lock().retain(|x| !Arc::ptr_eq(x, t));
    }
    /// The longest waiter, won (claimed) for the caller, if it is blocked
    /// with a receive buffer published; None otherwise (then the caller
    /// takes the general path, which keeps the queue's order).
    pub fn claim_first(&self) -> Option<Arc<Thread>> {
        let q = self.0.lock();
        let t = q.iter().find(|t| t.state() == ThreadState::Blocked)?;
        if t.rcv_buffer().is_none() || !claim(t) {
            return None;
        }
        Some(t.clone())
    }
    /// Wakes the longest waiter; it removes itself once it runs.
    pub fn wake_one(&self) {
        let first = self.0.lock().iter().find(|t| t.state() == ThreadState::Blocked).cloned();
        if let Some(t) = first {
            wakeup(&t);
        }
    }
    pub fn wake_all(&self) {
        let all: alloc::vec::Vec<_> = self.0.lock().clone();
        for t in &all {
            wakeup(t);
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.lock().is_empty()
    }
}

impl Default for WaitQueue {
    fn default() -> Self {
        Self::new()
    }
}

/// Threads sleeping with a deadline (in clock ticks), woken by the clock.
static TIMERS: Mutex<alloc::vec::Vec<(u64, Arc<Thread>)>> = Mutex::new(alloc::vec::Vec::new());

/// Blocks the running thread until someone wakes it or, with a deadline,
/// until the clock reaches it. The caller re-checks what it waits for:
/// wakeups may be early or spurious.
///
/// One CPU and a non-preemptible kernel make "register as a waiter, drop
/// the lock, block" race-free. With more CPUs the thread must be marked
/// Blocked while the lock that guards the condition is held (assert_wait,
/// as the fast path does), so that a wakeup in between makes it Runnable
/// instead of being lost; the wait result then says which waker won.
pub fn block_current_until(deadline: Option<u64>) {
    let me = current_arc();
    // Reset first: a caller reads it even when the deadline has passed
    // and nothing blocked.
    me.set_wait_result(THREAD_AWAKENED);
    if let Some(d) = deadline {
        if super::clock::ticks() >= d {
            return;
        }
        TIMERS.lock().push((d, me.clone()));
    }
    me.set_state(ThreadState::Blocked);
    schedule();
    if deadline.is_some() {
        TIMERS.lock().retain(|(_, t)| !Arc::ptr_eq(t, &me));
    }
}

/// Wakes the sleepers whose deadline has come (from the clock interrupt).
pub fn expire_timers(now: u64) {
    let due: alloc::vec::Vec<Arc<Thread>> = {
        let mut timers = TIMERS.lock();
        if timers.is_empty() {
            return;
        }
        let mut due = alloc::vec::Vec::new();
        timers.retain(|(d, t)| {
            if *d <= now {
                due.push(t.clone());
                false
            } else {
                true
            }
        });
        due
    };
    for t in &due {
        wakeup_with(t, THREAD_TIMED_OUT);
    }
}

/// Clock interrupt: charge the running thread and preempt it when its
/// quantum is spent (only from user mode: the kernel is not preemptible).
pub fn clock_tick(from_user: bool) {
    let preempt = {
        let mut s = SCHED[this_cpu()].lock();
        s.ticks_left = s.ticks_left.saturating_sub(1);
        let is_idle = match (&s.current, &s.idle) {
            (Some(c), Some(i)) => Arc::ptr_eq(c, i),
            _ => true,
        };
        if let (false, Some(c)) = (is_idle, &s.current) {
            c.charge_tick(super::clock::ticks());
        }
        let waiting = s.runq.best_priority();
        let mine = s.current.as_ref().map_or(u8::MAX, |c| c.priority());
        // Preempt on quantum end, or at once for a better-priority thread.
        from_user && waiting.is_some_and(|w| s.ticks_left == 0 || w < mine)
    };
    if preempt {
        schedule();
    }
}

/// Whether any thread besides idle wants this CPU.
pub fn has_runnable() -> bool {
    !SCHED[this_cpu()].lock().runq.is_empty()
}

/// The idle loop: run whatever is runnable, else halt until an interrupt.
pub fn idle_loop() -> ! {
    loop {
        if has_runnable() {
            schedule();
        } else {
            cpu::idle_wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_priority_first_then_fifo() {
        let mut q = RunQueue::new();
        q.enqueue("low-a", 20);
        q.enqueue("high", 3);
        q.enqueue("low-b", 20);
        q.enqueue("mid", 12);
        assert_eq!(q.best_priority(), Some(3));
        let order: std::vec::Vec<_> = std::iter::from_fn(|| q.dequeue()).collect();
        assert_eq!(order, ["high", "mid", "low-a", "low-b"]);
        assert!(q.is_empty());
        assert_eq!(q.best_priority(), None);
    }

    #[test]
    fn round_robin_within_a_level() {
        let mut q = RunQueue::new();
        for t in [1, 2, 3] {
            q.enqueue(t, 12);
        }
        let mut seen = std::vec::Vec::new();
        for _ in 0..6 {
            let t = q.dequeue().unwrap();
            seen.push(t);
            q.enqueue(t, 12);
        }
        assert_eq!(seen, [1, 2, 3, 1, 2, 3]);
    }

    #[test]
    fn remove_and_clamp() {
        let mut q = RunQueue::new();
        q.enqueue(1, 200);
        q.enqueue(2, 31);
        q.enqueue(3, 0);
        assert_eq!(q.remove_where(|&t| t == 3), 1);
        assert_eq!(q.len(), 2);
        assert_eq!(q.best_priority(), Some(31));
        assert_eq!(q.dequeue(), Some(1));
    }
}
