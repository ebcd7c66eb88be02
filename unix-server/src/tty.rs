//! The terminal line discipline: what typed bytes become (lines edited
//! with erase and kill, echo, signals for the foreground process group)
//! and what a read gets, in canonical and in raw mode. Pure state: the
//! server feeds it the console's input and parks the readers.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use linux_abi::structs::{Termios, NCCS};

pub use linux_abi::consts::termios::*;
use linux_abi::consts::signal::{SIGINT, SIGQUIT, SIGTSTP};


/// Linux's defaults for a fresh terminal (`stty sane`).
pub fn default_termios() -> Termios {
    let mut cc = [0u8; NCCS];
    cc[VINTR] = 3;
    cc[VQUIT] = 0x1c;
    cc[VERASE] = 0x7f;
    cc[VKILL] = 0x15;
    cc[VEOF] = 4;
    cc[VMIN] = 1;
    cc[VSUSP] = 0x1a;
    cc[VWERASE] = 0x17;
    Termios {
        c_iflag: ICRNL | IXON,
        c_oflag: 0o1 | 0o4,
        c_cflag: 0o17 | 0o60 | 0o200,
        c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
        c_line: 0,
        c_cc: cc,
    }
}

pub struct Ldisc {
    pub termios: Termios,
    /// The line being edited (canonical mode).
    line: Vec<u8>,
    /// Input a read may take: whole lines in canonical mode (an empty
    /// one is an end of file from ^D), chunks in raw mode.
    ready: VecDeque<Vec<u8>>,
    /// The foreground process group and the session (0: none yet).
    pub fg_pgrp: i32,
    pub session: i32,
}

impl Default for Ldisc {
    fn default() -> Self {
        Self::new()
    }
}

impl Ldisc {
    pub fn new() -> Self {
        Ldisc { termios: default_termios(), line: Vec::new(), ready: VecDeque::new(), fg_pgrp: 0, session: 0 }
    }

    fn lflag(&self, f: u32) -> bool {
        self.termios.c_lflag & f != 0
    }

    pub fn canonical(&self) -> bool {
        self.lflag(ICANON)
    }

    /// One typed byte: what to echo goes to `echo`; a signal for the
    /// foreground group is returned.
    pub fn input(&mut self, mut b: u8, echo: &mut Vec<u8>) -> Option<u32> {
        let cc = self.termios.c_cc;
        if b == b'\r' && self.termios.c_iflag & ICRNL != 0 {
            b = b'\n';
        }
        if self.lflag(ISIG) {
            let sig = if b == cc[VINTR] { SIGINT } else if b == cc[VQUIT] { SIGQUIT } else if b == cc[VSUSP] { SIGTSTP } else { 0 };
            if sig != 0 {
                if !self.lflag(NOFLSH) {
                    self.line.clear();
                    self.ready.clear();
                }
                if self.lflag(ECHO) {
                    echo.extend_from_slice(&[b'^', b ^ 0x40, b'\n']);
                }
                return Some(sig);
            }
        }
        if !self.canonical() {
            self.echo_char(b, echo);
            match self.ready.back_mut() {
                Some(last) => last.push(b),
                None => self.ready.push_back(alloc::vec![b]),
            }
            return None;
        }
        self.edit(b, echo);
        None
    }

    fn echo_char(&self, b: u8, echo: &mut Vec<u8>) {
        if !self.lflag(ECHO) {
            if b == b'\n' && self.lflag(ECHONL) {
                echo.push(b);
            }
            return;
        }
        if b < 0x20 && b != b'\n' && b != b'\t' && self.lflag(ECHOCTL) {
            echo.extend_from_slice(&[b'^', b ^ 0x40]);
        } else {
            echo.push(b);
        }
    }

    /// Canonical-mode editing of the current line.
    fn edit(&mut self, b: u8, echo: &mut Vec<u8>) {
        let cc = self.termios.c_cc;
        let erase = |n: usize, echo: &mut Vec<u8>| {
            for _ in 0..n {
                echo.extend_from_slice(b"\x08 \x08");
            }
        };
        if b == cc[VERASE] || b == 0x08 {
            if self.line.pop().is_some() && self.lflag(ECHO) {
                erase(1, echo);
            }
        } else if b == cc[VKILL] {
            let n = self.line.len();
            self.line.clear();
            if self.lflag(ECHO) {
                erase(n, echo);
            }
        } else if b == cc[VWERASE] && self.lflag(IEXTEN) {
            let mut n = 0;
            while self.line.last() == Some(&b' ') {
                self.line.pop();
                n += 1;
            }
            while self.line.last().is_some_and(|c| *c != b' ') {
                self.line.pop();
                n += 1;
            }
            if self.lflag(ECHO) {
                erase(n, echo);
            }
        } else if b == cc[VEOF] {
            self.ready.push_back(core::mem::take(&mut self.line));
        } else if b == b'\n' {
            self.echo_char(b, echo);
            self.line.push(b);
            self.ready.push_back(core::mem::take(&mut self.line));
        } else {
            self.echo_char(b, echo);
            self.line.push(b);
        }
    }

    /// Whether a read would return now (data or end of file).
    pub fn readable(&self) -> bool {
        !self.ready.is_empty() || (!self.canonical() && self.termios.c_cc[VMIN] == 0)
    }

    /// A read of at most `max` bytes: None when it must wait. Canonical
    /// reads end at a line's end; raw reads take what is there.
    pub fn read(&mut self, max: usize) -> Option<Vec<u8>> {
        if self.ready.is_empty() {
            return if self.readable() { Some(Vec::new()) } else { None };
        }
        if self.canonical() {
            let first = self.ready.front_mut()?;
            if first.len() <= max {
                return self.ready.pop_front();
            }
            let rest = first.split_off(max);
            return Some(core::mem::replace(first, rest));
        }
        let mut out = Vec::new();
        while out.len() < max {
            let Some(first) = self.ready.front_mut() else { break };
            let take = (max - out.len()).min(first.len());
            out.extend(first.drain(..take));
            if first.is_empty() {
                self.ready.pop_front();
            }
        }
        Some(out)
    }

    /// TCSETS: a new mode. Leaving canonical mode makes the half-typed
    /// line readable; TCSETSF also drops pending input.
    pub fn set(&mut self, t: Termios, flush: bool) {
        self.termios = t;
        if flush {
            self.line.clear();
            self.ready.clear();
        }
        if !self.canonical() && !self.line.is_empty() {
            self.ready.push_back(core::mem::take(&mut self.line));
        }
    }

    /// Bytes a read could take now (FIONREAD).
    pub fn pending(&self) -> usize {
        self.ready.iter().map(|l| l.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(l: &mut Ldisc, s: &[u8]) -> (Vec<u8>, Vec<u32>) {
        let (mut echo, mut sigs) = (Vec::new(), Vec::new());
        for &b in s {
            sigs.extend(l.input(b, &mut echo));
        }
        (echo, sigs)
    }

    #[test]
    fn canonical_editing() {
        let mut l = Ldisc::new();
        assert_eq!(l.read(10), None);
        let (echo, _) = feed(&mut l, b"helo\x7flo\n");
        assert_eq!(echo, b"helo\x08 \x08lo\n");
        assert_eq!(l.read(100), Some(b"hello\n".to_vec()));
        feed(&mut l, b"junk\x15ok\n");
        assert_eq!(l.read(2), Some(b"ok".to_vec()));
        assert_eq!(l.read(2), Some(b"\n".to_vec()));
        feed(&mut l, b"\x04");
        assert_eq!(l.read(5), Some(Vec::new()));
    }

    #[test]
    fn signals_and_raw() {
        let mut l = Ldisc::new();
        let (_, s) = feed(&mut l, b"ab\x03\x1a\x1c");
        assert_eq!(s, [2, 20, 3]);
        assert_eq!(l.read(10), None);
        let mut t = l.termios;
        t.c_lflag &= !(ICANON | ECHO);
        l.set(t, false);
        let (echo, _) = feed(&mut l, b"xy");
        assert!(echo.is_empty());
        assert_eq!(l.read(1), Some(b"x".to_vec()));
        assert_eq!(l.read(9), Some(b"y".to_vec()));
    }
}
