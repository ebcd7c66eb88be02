//! Kernel messages on the console, with a level set on the command line.

use core::fmt;
use core::sync::atomic::{AtomicU8, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

impl Level {
    pub fn from_name(s: &str) -> Option<Level> {
        Some(match s {
            "error" => Level::Error,
            "warn" => Level::Warn,
            "info" => Level::Info,
            "debug" => Level::Debug,
            "trace" => Level::Trace,
            _ => return None,
        })
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);

pub fn set_level(l: Level) {
    LEVEL.store(l as u8, Ordering::Relaxed);
}

pub fn enabled(l: Level) -> bool {
    l as u8 <= LEVEL.load(Ordering::Relaxed)
}

/// Writes formatted text to the console, whole, under the console lock.
pub fn print(args: fmt::Arguments<'_>) {
    crate::device::cons::write_fmt(args);
}

fn log(l: Level, tag: &str, args: fmt::Arguments<'_>) {
    if enabled(l) {
        print(format_args!("{}: {}\n", tag, args));
    }
}

pub fn error(args: fmt::Arguments<'_>) {
    log(Level::Error, "error", args)
}
pub fn warn(args: fmt::Arguments<'_>) {
    log(Level::Warn, "warning", args)
}
pub fn info(args: fmt::Arguments<'_>) {
    log(Level::Info, "kernel", args)
}
pub fn debug(args: fmt::Arguments<'_>) {
    log(Level::Debug, "debug", args)
}

#[macro_export]
macro_rules! kprintln {
    ($($arg:tt)*) => { $crate::kern::log::print(format_args!("{}\n", format_args!($($arg)*))) };
}
#[macro_export]
macro_rules! kinfo {
    ($($arg:tt)*) => { $crate::kern::log::info(format_args!($($arg)*)) };
}
#[macro_export]
macro_rules! kdebug {
    ($($arg:tt)*) => { $crate::kern::log::debug(format_args!($($arg)*)) };
}
#[macro_export]
macro_rules! kwarn {
    ($($arg:tt)*) => { $crate::kern::log::warn(format_args!($($arg)*)) };
}
