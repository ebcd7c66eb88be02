//! The console: the serial line, shared by the kernel's messages and the
//! tasks' output. One lock keeps lines from interleaving between CPUs.
//!
//! Input: the UART's receive interrupt (IRQ4) moves bytes into a small
//! ring; `read` parks its caller until there is at least one byte.

use crate::arch::serial;
use core::fmt::{self, Write};
use spin::Mutex;

struct Cons;

impl Write for Cons {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        serial::write_bytes(s.as_bytes());
        Ok(())
    }
}

static LOCK: Mutex<()> = Mutex::new(());

pub fn init() {
    if let Some(b) = serial::init() {
        push(b);
    }
}

pub fn write_fmt(args: fmt::Arguments<'_>) {
    let _g = LOCK.lock();
    let _ = Cons.write_fmt(args);
}

pub fn write_bytes(b: &[u8]) {
    let _g = LOCK.lock();
    serial::write_bytes(b);
}

/// For the panic path: write even if a CPU died holding the lock.
pub fn write_fmt_unlocked(args: fmt::Arguments<'_>) {
    let _ = Cons.write_fmt(args);
}

/// Bytes received and not yet read. When it is full the UART is left
/// unread: its holding register keeps the next byte and QEMU (or the
/// line) holds back the rest, so a burst of typed-ahead input waits
/// instead of being lost while the reader is slow.
struct Ring {
    buf: [u8; 4096],
    head: usize,
    len: usize,
}

static INPUT: Mutex<Ring> = Mutex::new(Ring { buf: [0; 4096], head: 0, len: 0 });
static READERS: crate::kern::sched::WaitQueue = crate::kern::sched::WaitQueue::new();

/// IRQ4: drain the UART into the ring and wake the readers.
pub fn input_interrupt() {
    let mut got = false;
    while has_room() {
        let Some(b) = serial::try_get_byte() else { break };
        push(b);
        got = true;
    }
    if got {
        READERS.wake_all();
    }
}

fn has_room() -> bool {
    let r = INPUT.lock();
    r.len < r.buf.len()
}

/// Appends a byte; the caller checked there is room.
fn push(b: u8) {
    let mut r = INPUT.lock();
    let cap = r.buf.len();
    if r.len < cap {
        let at = (r.head + r.len) % cap;
        r.buf[at] = b;
        r.len += 1;
    }
}

fn take(out: &mut [u8]) -> usize {
    let mut r = INPUT.lock();
    let n = r.len.min(out.len());
    for o in out.iter_mut().take(n) {
        *o = r.buf[r.head];
        r.head = (r.head + 1) % r.buf.len();
    }
    r.len -= n;
    n
}

/// Reads at least one byte, blocking until one arrives or the clock
/// reaches `deadline` (ticks): KERN_ABORTED when the wait was aborted
/// (thread_abort or termination), MACH_RCV_TIMED_OUT at the deadline.
pub fn read(out: &mut [u8], deadline: Option<u64>) -> Result<usize, mach::KernReturn> {
    use crate::kern::sched;
    if out.is_empty() {
        return Ok(0);
    }
    let me = sched::current();
    loop {
        // Bytes may have arrived while interrupts were off in the kernel.
        input_interrupt();
        let n = take(out);
        if n > 0 {
            return Ok(n);
        }
        if me.take_aborted() || me.halt_requested() {
            return Err(mach::kern_return::KERN_ABORTED);
        }
        if deadline.is_some_and(|d| crate::kern::clock::ticks() >= d) {
            return Err(mach::kern_return::MACH_RCV_TIMED_OUT);
        }
        READERS.add(&me);
        sched::block_current_until(deadline);
        READERS.remove(&me);
    }
}
