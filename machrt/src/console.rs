//! `print!` and `println!` to the kernel console.

use core::fmt::{self, Write};

/// Collects formatted text and writes it with one trap per 256 bytes, so a
/// line from one task is not cut by another's.
struct Line {
    buf: [u8; 256],
    len: usize,
}

impl Line {
    fn flush(&mut self) {
        if self.len > 0 {
            crate::trap::debug_print(&self.buf[..self.len]);
            self.len = 0;
        }
    }
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

pub fn print(args: fmt::Arguments<'_>) {
    let mut l = Line { buf: [0; 256], len: 0 };
    let _ = l.write_fmt(args);
    l.flush();
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::console::print(format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => { $crate::console::print(format_args!("{}\n", format_args!($($arg)*))) };
}
