//! Shared helpers for the shell and tools: option parsing, error
//! printing as `tool: path: strerror`, and a few formatting helpers.
//!
//! Everything here uses only plain POSIX calls (open, read, write, stat,
//! ioctl TIOCGWINSZ) so the tools run on the target's Linux-ABI emulation.

use std::ffi::CStr;
use std::io::{self, Read, Write};

pub mod edit;
pub mod fmt;
pub mod printf;
pub mod test_expr;

/// Name the tool was run as (basename of argv[0]), for messages.
pub fn prog() -> String {
    let a0 = std::env::args_os().next().unwrap_or_default();
    let s = a0.to_string_lossy().into_owned();
    s.rsplit('/').next().unwrap_or("?").to_string()
}

/// The C library's text for an errno, without Rust's "(os error N)" tail.
pub fn errno_text(code: i32) -> String {
    // SAFETY: strerror returns a pointer to a static or thread-local string.
    unsafe { CStr::from_ptr(libc::strerror(code)).to_string_lossy().into_owned() }
}

/// Text for an io::Error: the errno text if it has one.
pub fn strerror(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => errno_text(code),
        None => e.to_string(),
    }
}

/// The current errno, as an io::Error.
pub fn last_err() -> io::Error {
    io::Error::last_os_error()
}

/// Print `tool: what: strerror` on stderr.
pub fn warn(what: &str, e: &io::Error) {
    eprintln!("{}: {}: {}", prog(), what, strerror(e));
}

/// Print `tool: msg` on stderr.
pub fn warn_msg(msg: &str) {
    eprintln!("{}: {}", prog(), msg);
}

/// Print `tool: msg` and exit 1.
pub fn die(msg: &str) -> ! {
    warn_msg(msg);
    std::process::exit(1)
}

/// Print the usage line and exit 2, as most tools do for bad usage.
pub fn usage(text: &str) -> ! {
    eprintln!("usage: {} {}", prog(), text);
    std::process::exit(2)
}

/// Parsed command line: single-letter flags, their values, and operands.
#[derive(Default, Debug)]
pub struct Opts {
    flags: Vec<char>,
    values: Vec<(char, String)>,
    pub args: Vec<String>,
}

impl Opts {
    pub fn has(&self, c: char) -> bool {
        self.flags.contains(&c)
    }
    /// The last value given for option `c` (`-n 5` or `-n5`).
    pub fn value(&self, c: char) -> Option<&str> {
        self.values.iter().rev().find(|(k, _)| *k == c).map(|(_, v)| v.as_str())
    }
}

/// Parse argv[1..] getopt-style. `flags` lists options without a value,
/// `valued` those taking one. Options stop at `--` or the first operand.
/// Unknown options give Err(text) so the caller can print its usage.
pub fn parse(args: Vec<String>, flags: &str, valued: &str) -> Result<Opts, String> {
    let mut o = Opts::default();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        if a.len() < 2 || !a.starts_with('-') {
            o.args.push(a);
            break;
        }
        let chars: Vec<char> = a[1..].chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if valued.contains(c) {
                let rest: String = chars[i + 1..].iter().collect();
                let v = if !rest.is_empty() { rest } else { it.next().ok_or(format!("option requires an argument -- '{c}'"))? };
                o.values.push((c, v));
                break;
            } else if flags.contains(c) {
                o.flags.push(c);
            } else {
                return Err(format!("invalid option -- '{c}'"));
            }
            i += 1;
        }
    }
    o.args.extend(it);
    Ok(o)
}

/// Parse the command line or print `msg` and usage, exit 2.
pub fn parse_or_usage(flags: &str, valued: &str, usage_text: &str) -> Opts {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse(args, flags, valued) {
        Ok(o) => o,
        Err(m) => {
            warn_msg(&m);
            usage(usage_text)
        }
    }
}

/// Open an input operand; "-" means standard input.
pub fn open_input(path: &str) -> io::Result<Box<dyn Read>> {
    if path == "-" {
        Ok(Box::new(io::stdin()))
    } else {
        Ok(Box::new(std::fs::File::open(path)?))
    }
}

/// Read a whole input operand into memory.
pub fn read_all(path: &str) -> io::Result<Vec<u8>> {
    let mut v = Vec::new();
    open_input(path)?.read_to_end(&mut v)?;
    Ok(v)
}

/// Split bytes into lines, without their newlines.
pub fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if data.ends_with(b"\n") || data.is_empty() {
        v.pop();
    }
    v
}

/// Write bytes to stdout; a broken pipe ends the tool quietly.
pub fn out(w: &mut impl Write, data: &[u8]) {
    if let Err(e) = w.write_all(data) {
        exit_on_write_error(e);
    }
}

/// Handle a failed write to stdout: EPIPE ends quietly, others loudly.
pub fn exit_on_write_error(e: io::Error) -> ! {
    if e.kind() != io::ErrorKind::BrokenPipe {
        warn("write error", &e);
    }
    std::process::exit(1)
}

/// Flush stdout, reporting failure like a write error.
pub fn flush(w: &mut impl Write) {
    if let Err(e) = w.flush() {
        exit_on_write_error(e);
    }
}

/// Is this descriptor a terminal?
pub fn isatty(fd: i32) -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(fd) == 1 }
}

/// Terminal width for column output, 80 if unknown.
pub fn term_width() -> usize {
    // SAFETY: TIOCGWINSZ fills a winsize struct we own.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(1, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0 {
            return ws.ws_col as usize;
        }
    }
    80
}

/// Parse a signal name or number ("9", "KILL", "SIGKILL").
pub fn signal_number(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (0..65).contains(&n).then_some(n);
    }
    let name = s.strip_prefix("SIG").unwrap_or(s).to_ascii_uppercase();
    SIGNALS.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
}

/// Signal names in Linux numbering (the ABI the system implements).
pub const SIGNALS: &[(i32, &str)] = &[
    (1, "HUP"), (2, "INT"), (3, "QUIT"), (4, "ILL"), (5, "TRAP"), (6, "ABRT"),
    (7, "BUS"), (8, "FPE"), (9, "KILL"), (10, "USR1"), (11, "SEGV"), (12, "USR2"),
    (13, "PIPE"), (14, "ALRM"), (15, "TERM"), (16, "STKFLT"), (17, "CHLD"),
    (18, "CONT"), (19, "STOP"), (20, "TSTP"), (21, "TTIN"), (22, "TTOU"),
    (23, "URG"), (24, "XCPU"), (25, "XFSZ"), (26, "VTALRM"), (27, "PROF"),
    (28, "WINCH"), (29, "IO"), (30, "PWR"), (31, "SYS"),
];

/// sync, then reboot(2) with `cmd`; only returns (exit 1) on failure.
pub fn power(cmd: libc::c_int) -> ! {
    // SAFETY: sync and reboot take plain integers.
    unsafe {
        libc::sync();
        libc::reboot(cmd);
    }
    warn("reboot", &last_err());
    std::process::exit(1)
}

/// Write a line to stdout; a write error ends the tool (quietly for
/// EPIPE) instead of panicking as println! would.
pub fn say_str(s: &str) {
    let mut o = io::stdout().lock();
    if let Err(e) = o.write_all(s.as_bytes()).and_then(|_| o.write_all(b"\n")) {
        exit_on_write_error(e);
    }
}

/// println! that cannot panic: see say_str.
#[macro_export]
macro_rules! say {
    ($($t:tt)*) => { $crate::say_str(&format!($($t)*)) };
}

/// Give SIGPIPE back its default action. Rust's runtime ignores it, and
/// an ignored signal stays ignored across execve: children we exec must
/// die of SIGPIPE on a closed pipe, as every UNIX program expects.
pub fn default_sigpipe() {
    // SAFETY: setting a signal to its default action.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}
