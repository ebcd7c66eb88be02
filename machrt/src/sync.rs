//! Sleeping locks for threads of a task.
//!
//! A waiter does not spin and does not merely yield: under the kernel's
//! priority scheduler a yielding waiter of better priority is picked again
//! at once, and a preempted holder of worse priority never runs to release
//! the lock (the UNIX server once wedged so, every worker spinning on its
//! process table). Instead a waiter blocks in the kernel, receiving on a
//! port the lock owns, and the releaser sends a wakeup message there only
//! when someone waits.
//!
//! The protocol is the three-state mutex of Drepper's "Futexes are
//! tricky": 0 free, 1 held, 2 held and maybe waited for. The port is a
//! counting semaphore (a message stays queued until a waiter takes it), so
//! a wakeup sent before its waiter reaches the receive is not lost; a
//! stale one only makes some later waiter look at the state once more.
//! The port is made on the first contention, so an uncontended lock costs
//! no kernel call and no port, and is destroyed with the lock.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering};
use mach::message::*;
use mach::port::*;

const FREE: u32 = 0;
const HELD: u32 = 1;
const WAITED: u32 = 2;

/// Rounds of spinning before sleeping: on a multiprocessor the holder may
/// be about to release; on one processor this is a few hundred cycles.
const SPINS: u32 = 64;
/// A sleeping waiter looks at the lock again after this many ms even with
/// no wakeup: a safety net, never the mechanism.
const SLEEP_MS: u32 = 100;

pub struct Mutex<T> {
    state: AtomicU32,
    /// The wakeup port's receive right (0: not made yet).
    port: AtomicU32,
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reached through a guard, and one guard exists
// at a time (the state word).
unsafe impl<T: Send> Sync for Mutex<T> {}
unsafe impl<T: Send> Send for Mutex<T> {}

pub struct MutexGuard<'a, T> {
    m: &'a Mutex<T>,
}

impl<T> Mutex<T> {
    pub const fn new(value: T) -> Self {
        Mutex { state: AtomicU32::new(FREE), port: AtomicU32::new(0), value: UnsafeCell::new(value) }
    }

    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.state
            .compare_exchange(FREE, HELD, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| MutexGuard { m: self })
    }

    pub fn lock(&self) -> MutexGuard<'_, T> {
        if let Some(g) = self.try_lock() {
            return g;
        }
        for _ in 0..SPINS {
            core::hint::spin_loop();
            if self.state.load(Ordering::Relaxed) == FREE {
                if let Some(g) = self.try_lock() {
                    return g;
                }
            }
        }
        // Announce a waiter (state 2) and sleep until the state was free
        // when we swapped: then we hold it, still marked as waited for, so
        // our release wakes the next one.
        while self.state.swap(WAITED, Ordering::Acquire) != FREE {
            self.sleep();
        }
        MutexGuard { m: self }
    }

    pub fn into_inner(self) -> T {
        let me = core::mem::ManuallyDrop::new(self);
        me.destroy_port();
        // SAFETY: `me` is never used or dropped again; the value is read once.
        unsafe { core::ptr::read(me.value.get()) }
    }

    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    fn unlock(&self) {
        if self.state.swap(FREE, Ordering::Release) == WAITED {
            self.wake();
        }
    }

    /// The wakeup port, made on first use; 0 when the kernel gave none.
    fn wait_port(&self) -> PortName {
        let p = self.port.load(Ordering::Acquire);
        if p != 0 {
            return p;
        }
        let mine = crate::trap::reply_port();
        if mine == MACH_PORT_NULL {
            return 0;
        }
        match self.port.compare_exchange(0, mine, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => mine,
            Err(theirs) => {
                let _ = crate::port::destroy(crate::trap::task_self(), mine);
                theirs
            }
        }
    }

    fn sleep(&self) {
        let port = self.wait_port();
        if port == 0 {
            crate::trap::yield_now();
            return;
        }
        let mut buf = crate::msg::Buffer::<64>::new();
        let _ = crate::msg::receive(&mut buf, port, MACH_RCV_TIMEOUT, SLEEP_MS);
    }

    fn wake(&self) {
        let port = self.port.load(Ordering::Acquire);
        if port == 0 {
            return; // the waiter found no port and polls by yielding
        }
        // A full queue means wakeups enough are already waiting: no timeout.
        let mut h = MsgHeader {
            bits: msgh_bits(MACH_MSG_TYPE_MAKE_SEND, 0),
            size: MSG_HEADER_SIZE as u32,
            remote_port: port,
            local_port: MACH_PORT_NULL,
            reserved: 0,
            id: 0,
        };
        let _ = crate::msg::send(&mut h, MACH_SEND_TIMEOUT, 0);
    }

    fn destroy_port(&self) {
        let p = self.port.swap(0, Ordering::AcqRel);
        if p != 0 {
            let _ = crate::port::destroy(crate::trap::task_self(), p);
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> Drop for Mutex<T> {
    fn drop(&mut self) {
        self.destroy_port();
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock.
        unsafe { &*self.m.value.get() }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock, so this is the only reference.
        unsafe { &mut *self.m.value.get() }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.m.unlock();
    }
}
