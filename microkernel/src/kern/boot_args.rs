//! The kernel command line.
//!
//! `log=LEVEL` sets the log level (error, warn, info, debug, trace);
//! `crash=panic` makes the kernel panic once it is up, to exercise the
//! failure path; `start=first` starts only the first boot module as a task
//! (the others are files for it), `start=all` (the default) every one; the words after `--` are passed to the first task as its
//! arguments. The boot
//! loader prefixes the line with the kernel's file name, which is skipped.

use super::log::Level;

pub const MAX_TASK_ARGS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgError<'a> {
    UnknownOption(&'a str),
    BadLogLevel(&'a str),
    BadValue(&'a str),
    TooManyArgs,
}

#[derive(Debug)]
pub struct BootArgs<'a> {
    pub log_level: Level,
    pub crash: bool,
    pub first_only: bool,
    pub task_args: [&'a str; MAX_TASK_ARGS],
    pub task_argc: usize,
}

impl<'a> BootArgs<'a> {
    pub fn first_task_args(&self) -> &[&'a str] {
        &self.task_args[..self.task_argc]
    }
}

/// Parses the command line. Problems are reported through `on_error` and
/// the rest of the line is still honoured: a typo must not stop the boot.
pub fn parse<'a>(line: &'a str, mut on_error: impl FnMut(ArgError<'a>)) -> BootArgs<'a> {
    let mut args = BootArgs { log_level: Level::Info, crash: false, first_only: false, task_args: [""; MAX_TASK_ARGS], task_argc: 0 };
    let mut words = line.split_ascii_whitespace();
    // The loader's prefix: the kernel file name (absent when the line is an
    // option already).
    let mut first = words.next();
    if let Some(w) = first {
        if !w.contains('=') && w != "--" {
            first = None;
        }
    }
    let mut passing = false;
    for w in first.into_iter().chain(words) {
        if passing {
            if args.task_argc == MAX_TASK_ARGS {
                on_error(ArgError::TooManyArgs);
                break;
            }
            args.task_args[args.task_argc] = w;
            args.task_argc += 1;
        } else if w == "--" {
            passing = true;
        } else if let Some(v) = w.strip_prefix("log=") {
            match Level::from_name(v) {
                Some(l) => args.log_level = l,
                None => on_error(ArgError::BadLogLevel(v)),
            }
        } else if let Some(v) = w.strip_prefix("start=") {
            match v {
                "first" => args.first_only = true,
                "all" => args.first_only = false,
                _ => on_error(ArgError::BadValue(w)),
            }
        } else if let Some(v) = w.strip_prefix("crash=") {
            match v {
                "panic" => args.crash = true,
                _ => on_error(ArgError::BadValue(w)),
            }
        } else {
            on_error(ArgError::UnknownOption(w));
        }
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_file_name_and_reads_options() {
        let mut errs = std::vec::Vec::new();
        let a = parse("/boot/kernel.elf log=debug -- hello world", |e| errs.push(e));
        assert!(errs.is_empty());
        assert_eq!(a.log_level, Level::Debug);
        assert_eq!(a.first_task_args(), &["hello", "world"]);
    }

    #[test]
    fn bad_options_are_reported_not_fatal() {
        let mut errs = std::vec::Vec::new();
        let a = parse("k log=loud bogus -- x", |e| errs.push(e));
        assert_eq!(errs, [ArgError::BadLogLevel("loud"), ArgError::UnknownOption("bogus")]);
        assert_eq!(a.log_level, Level::Info);
        assert_eq!(a.first_task_args(), &["x"]);
        assert!(!a.crash);
        assert!(parse("k crash=panic", |_| panic!()).crash);
        assert!(parse("k start=first", |_| panic!()).first_only);
        assert!(!parse("k start=all", |_| panic!()).first_only);
    }

    #[test]
    fn line_without_file_name() {
        let a = parse("log=warn", |_| panic!());
        assert_eq!(a.log_level, Level::Warn);
        assert_eq!(a.task_argc, 0);
        assert_eq!(parse("", |_| panic!()).task_argc, 0);
    }

    #[test]
    fn too_many_args_are_cut() {
        let line = "k -- a a a a a a a a a a a a a a a a a a";
        let mut errs = 0;
        let a = parse(line, |_| errs += 1);
        assert_eq!(a.task_argc, MAX_TASK_ARGS);
        assert_eq!(errs, 1);
    }
}
