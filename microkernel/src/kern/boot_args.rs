//! The kernel command line.
//!
//! `log=LEVEL` sets the log level (error, warn, info, debug, trace);
//! `crash=panic` makes the kernel panic once it is up, to exercise the
//! failure path; `start=first` starts only the first boot module as a task
//! (the others are files for it), `start=all` (the default) every one.
//! Everything after the first `--` is the first task's argument line,
//! split into words as a shell would (`'...'`, `"..."` and `\` quote), so
//! `-- /sbin/init -- /bin/sh -c 'ls /; exit 3'` gives sh its script whole.
//! The boot loader prefixes the line with the kernel's file name, which is
//! skipped.

use super::log::Level;
use alloc::string::String;
use alloc::vec::Vec;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgError<'a> {
    UnknownOption(&'a str),
    BadLogLevel(&'a str),
    BadValue(&'a str),
    /// A quote opened in the task's argument line is never closed.
    UnclosedQuote,
}

#[derive(Debug)]
pub struct BootArgs<'a> {
    pub log_level: Level,
    pub crash: bool,
    pub first_only: bool,
    /// The first task's argument line (after `--`), not yet split.
    pub task_line: &'a str,
}

/// Parses the command line. Problems are reported through `on_error` and
/// the rest of the line is still honoured: a typo must not stop the boot.
pub fn parse<'a>(line: &'a str, mut on_error: impl FnMut(ArgError<'a>)) -> BootArgs<'a> {
    let mut args = BootArgs { log_level: Level::Info, crash: false, first_only: false, task_line: "" };
    let (options, task_line) = split_at_dashes(line);
    args.task_line = task_line;
    let mut words = options.split_ascii_whitespace();
    // The loader's prefix: the kernel file name (absent when the line
    // starts with an option already).
    let mut first = words.next();
    if first.is_some_and(|w| !w.contains('=')) {
        first = None;
    }
    for w in first.into_iter().chain(words) {
        option(&mut args, w, &mut on_error);
    }
    args
}

/// The options before the first `--` word, and what follows it.
fn split_at_dashes(line: &str) -> (&str, &str) {
    let mut at = 0;
    for w in line.split_ascii_whitespace() {
        // Word positions: find this word's offset after the previous one.
        let start = at + line[at..].find(w).unwrap_or(0);
        at = start + w.len();
        if w == "--" {
            return (&line[..start], line[at..].trim_start());
        }
    }
    (line, "")
}

fn option<'a>(args: &mut BootArgs<'a>, w: &'a str, on_error: &mut impl FnMut(ArgError<'a>)) {
    if let Some(v) = w.strip_prefix("log=") {
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

/// Splits an argument line into words as a POSIX shell would, without
/// expansions: whitespace separates, `'...'` quotes literally, `"..."`
/// quotes with `\"` and `\\` escapes, and `\` outside quotes escapes the
/// next character.
pub fn split_words(line: &str) -> Result<Vec<String>, ArgError<'static>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_ascii_whitespace() => {
                if in_word {
                    words.push(core::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err(ArgError::UnclosedQuote),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => cur.push(c),
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => return Err(ArgError::UnclosedQuote),
                        },
                        Some(c) => cur.push(c),
                        None => return Err(ArgError::UnclosedQuote),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    cur.push(c);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
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
        assert_eq!(split_words(a.task_line).unwrap(), ["hello", "world"]);
    }

    #[test]
    fn bad_options_are_reported_not_fatal() {
        let mut errs = std::vec::Vec::new();
        let a = parse("k log=loud bogus -- x", |e| errs.push(e));
        assert_eq!(errs, [ArgError::BadLogLevel("loud"), ArgError::UnknownOption("bogus")]);
        assert_eq!(a.log_level, Level::Info);
        assert_eq!(a.task_line, "x");
        assert!(!a.crash);
        assert!(parse("k crash=panic", |_| panic!()).crash);
        assert!(parse("k start=first", |_| panic!()).first_only);
        assert!(!parse("k start=all", |_| panic!()).first_only);
    }

    #[test]
    fn line_without_file_name_or_task_args() {
        let a = parse("log=warn", |_| panic!());
        assert_eq!(a.log_level, Level::Warn);
        assert_eq!(a.task_line, "");
        assert_eq!(parse("", |_| panic!()).task_line, "");
    }

    #[test]
    fn only_the_first_dashes_split_options_from_the_task_line() {
        let a = parse("k start=first -- /sbin/init -- /bin/sh -c 'ls /; exit 3'", |_| panic!());
        assert!(a.first_only);
        assert_eq!(a.task_line, "/sbin/init -- /bin/sh -c 'ls /; exit 3'");
        let w = split_words(a.task_line).unwrap();
        assert_eq!(w, ["/sbin/init", "--", "/bin/sh", "-c", "ls /; exit 3"]);
    }

    #[test]
    fn quoting_as_a_shell_does() {
        assert_eq!(split_words(r#"a "b c" d\ e 'f"g' "h\"i" j''k"#).unwrap(),
                   ["a", "b c", "d e", "f\"g", "h\"i", "jk"]);
        assert_eq!(split_words("''").unwrap(), [""]);
        assert_eq!(split_words("   ").unwrap(), std::vec::Vec::<String>::new());
        assert_eq!(split_words("'open"), Err(ArgError::UnclosedQuote));
        assert_eq!(split_words("\"open"), Err(ArgError::UnclosedQuote));
    }
}
