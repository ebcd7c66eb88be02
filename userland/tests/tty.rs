//! The interactive shell on a pseudo-terminal: line editing, history on
//! the arrow keys, ^C stopping the foreground job but not the shell.
mod common;
use common::*;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

struct Pty {
    master: std::fs::File,
    seen: String,
}

impl Pty {
    /// Read until `want` has appeared `times` times in the output.
    fn expect(&mut self, want: &str, times: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.seen.matches(want).count() < times {
            assert!(Instant::now() < deadline, "timed out waiting for {want:?} x{times}; got {:?}", self.seen);
            let mut buf = [0u8; 4096];
            match self.master.read(&mut buf) {
                Ok(n) if n > 0 => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
    fn send(&mut self, s: &str) {
        self.master.write_all(s.as_bytes()).unwrap();
    }
}

#[test]
fn line_editing_history_and_ctrl_c() {
    let t = Tmp::new();
    let (mut m, mut s) = (0, 0);
    // SAFETY: openpty fills two descriptors we then own.
    let r = unsafe { libc::openpty(&mut m, &mut s, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(r, 0, "openpty");
    // SAFETY: m and s are fresh descriptors owned from here on.
    let (master, slave) = unsafe { (std::fs::File::from_raw_fd(m), OwnedFd::from_raw_fd(s)) };
    let mut c = cmd("sh", &t.0);
    c.env("TERM", "xterm");
    c.stdin(slave.try_clone().unwrap()).stdout(slave.try_clone().unwrap()).stderr(slave);
    // SAFETY: setsid and ioctl are async-signal-safe.
    unsafe {
        c.pre_exec(|| {
            libc::setsid();
            libc::ioctl(0, libc::TIOCSCTTY, 0);
            Ok(())
        });
    }
    let mut child = c.spawn().unwrap();
    // SAFETY: non-blocking reads on our master end.
    unsafe { libc::fcntl(m, libc::F_SETFL, libc::O_NONBLOCK) };
    let mut p = Pty { master, seen: String::new() };
    p.expect(if unsafe { libc::geteuid() } == 0 { "# " } else { "$ " }, 1);
    p.send("echo one\r");
    p.expect("\r\none\r\n", 1);
    // Up arrow brings the line back; left arrow and insert edit it.
    p.send("\x1b[A\r");
    p.expect("\r\none\r\n", 2);
    p.send("echo ac\x1b[Db\r");
    p.expect("\r\nabc\r\n", 1);
    // ^C ends the foreground job, the shell survives and reports 130.
    p.send("sleep 30\r");
    std::thread::sleep(Duration::from_millis(500));
    p.send("\x03");
    p.send("echo st=$?\r");
    p.expect("st=130", 1);
    // ^C in a loop ends the whole loop, not just the current command.
    p.send("while true; do sleep 30; done; echo loop-end\r");
    std::thread::sleep(Duration::from_millis(500));
    p.send("\x03");
    p.send("echo after-loop\r");
    p.expect("\r\nafter-loop\r\n", 1);
    assert!(!p.seen.contains("\r\nloop-end"), "{:?}", p.seen);
    // ^Z stops the job; jobs shows it; fg resumes it in the foreground.
    p.send("sleep 30\r");
    std::thread::sleep(Duration::from_millis(500));
    p.send("\x1a");
    p.expect("Stopped  sleep 30", 1);
    p.send("jobs\r");
    p.expect("[1]  Stopped  sleep 30", 1);
    p.send("fg\r");
    p.expect("\r\nsleep 30\r\n", 1);
    std::thread::sleep(Duration::from_millis(300));
    p.send("\x03");
    p.send("echo fg=$?\r");
    p.expect("fg=130", 1);
    // ls lays names out in columns on a terminal.
    for f in ["aa", "bb", "cc"] {
        t.write(f, "");
    }
    p.send("ls\r");
    p.expect("aa  bb  cc\r\n", 1);
    // PS1's escapes: \w with ~ for HOME, \$.
    p.send("PS1='[\\w]\\$ '; cd /\r");
    p.expect(&format!("[/]{} ", if unsafe { libc::geteuid() } == 0 { '#' } else { '$' }), 1);
    p.send("cd\r");
    p.expect("[~]", 1);
    p.send("exit 7\r");
    let st = child.wait().unwrap();
    assert_eq!(st.code(), Some(7));
}

/// TERM=dumb: the prompt and plain lines (the tty's own editing), no
/// editor and so no escape sequence.
#[test]
fn a_dumb_terminal_gets_plain_lines() {
    let t = Tmp::new();
    let (mut m, mut s) = (0, 0);
    // SAFETY: openpty fills two descriptors we then own.
    let r = unsafe { libc::openpty(&mut m, &mut s, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(r, 0, "openpty");
    // SAFETY: m and s are fresh descriptors owned from here on.
    let (master, slave) = unsafe { (std::fs::File::from_raw_fd(m), OwnedFd::from_raw_fd(s)) };
    let mut c = cmd("sh", &t.0);
    c.env("TERM", "dumb").env("PS1", "P> ");
    c.stdin(slave.try_clone().unwrap()).stdout(slave.try_clone().unwrap()).stderr(slave);
    // SAFETY: setsid and ioctl are async-signal-safe.
    unsafe {
        c.pre_exec(|| {
            libc::setsid();
            libc::ioctl(0, libc::TIOCSCTTY, 0);
            Ok(())
        });
    }
    let mut child = c.spawn().unwrap();
    // SAFETY: non-blocking reads on our master end.
    unsafe { libc::fcntl(m, libc::F_SETFL, libc::O_NONBLOCK) };
    let mut p = Pty { master, seen: String::new() };
    p.expect("P> ", 1);
    p.send("echo $((20+22))\r");
    p.expect("\r\n42\r\n", 1);
    p.expect("P> ", 2);
    p.send("exit 3\r");
    assert_eq!(child.wait().unwrap().code(), Some(3));
    assert!(!p.seen.contains('\x1b'), "{:?}", p.seen);
}
