//! The console: the serial line, shared by the kernel's messages and the
//! tasks' output. One lock keeps lines from interleaving between CPUs.

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
    serial::init();
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
