//! Line input: the line editor (`userland::edit`) in raw mode when stdin
//! is a terminal's, plain line reading otherwise.

use std::io;
use userland::edit::{Complete, Editor, Term};

pub struct Input {
    tty: bool,
    pub editor: Editor,
    eof: bool,
}

fn read_byte() -> Option<u8> {
    let mut b = [0u8; 1];
    loop {
        // SAFETY: reads one byte into our buffer.
        let n = unsafe { libc::read(0, b.as_mut_ptr().cast(), 1) };
        if n == 1 {
            return Some(b[0]);
        }
        if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        return None;
    }
}

/// The terminal on fds 0 (keys) and 2 (drawing), output gathered and
/// written once per key: one write, not dozens, on a serial console.
struct Tty {
    out: Vec<u8>,
}

impl Term for Tty {
    fn read_byte(&mut self) -> Option<u8> {
        read_byte()
    }
    fn write(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }
    fn flush(&mut self) {
        let mut b = &self.out[..];
        while !b.is_empty() {
            // SAFETY: writes from a live buffer.
            let n = unsafe { libc::write(2, b.as_ptr().cast(), b.len()) };
            if n <= 0 {
                if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                break;
            }
            b = &b[n as usize..];
        }
        self.out.clear();
    }
    fn width(&mut self) -> usize {
        winsize().map(|(_, c)| c).filter(|&c| c > 0).unwrap_or(80)
    }
}

/// The terminal's (rows, columns).
pub fn winsize() -> Option<(usize, usize)> {
    // SAFETY: TIOCGWINSZ fills a winsize struct we own.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        (libc::ioctl(0, libc::TIOCGWINSZ, &mut ws) == 0).then_some((ws.ws_row as usize, ws.ws_col as usize))
    }
}

/// Does the terminal want the editor? Not a `TERM=dumb` one, and without
/// TERM not one of size 0x0: the system's console when its other end is
/// a pipe (the boot script says so), where redraw sequences would only be
/// noise.
fn smart_terminal(term: Option<&str>) -> bool {
    match term {
        Some(t) => t != "dumb",
        None => winsize().is_none_or(|(r, c)| r > 0 || c > 0),
    }
}

/// Puts the terminal in raw mode and restores it when dropped.
struct Raw(libc::termios);

impl Raw {
    fn enter() -> Option<Raw> {
        // SAFETY: tcgetattr/tcsetattr on fd 0 with termios structs we own.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return None;
            }
            let saved = t;
            t.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG | libc::IEXTEN);
            t.c_iflag &= !(libc::ICRNL | libc::IXON);
            t.c_cc[libc::VMIN] = 1;
            t.c_cc[libc::VTIME] = 0;
            libc::tcsetattr(0, libc::TCSADRAIN, &t);
            Some(Raw(saved))
        }
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        // SAFETY: restores the attributes saved in enter().
        unsafe { libc::tcsetattr(0, libc::TCSADRAIN, &self.0) };
    }
}

impl Input {
    pub fn new(tty: bool) -> Input {
        Input { tty, editor: Editor::new(), eof: false }
    }

    /// Read one line (without its newline); None at end of input.
    pub fn line(&mut self, prompt: &str, c: &dyn Complete, term: Option<&str>) -> Option<String> {
        if self.tty {
            if smart_terminal(term) {
                if let Some(raw) = Raw::enter() {
                    let l = self.editor.read_line(&mut Tty { out: Vec::new() }, prompt, c);
                    drop(raw);
                    return l;
                }
            }
            eprint!("{prompt}");
        }
        self.plain()
    }

    /// Lines from a pipe or file, read a byte at a time (as POSIX asks)
    /// so that commands run from the script find the rest of stdin
    /// unread, e.g. `read` or `head -1` in a script fed through a pipe.
    fn plain(&mut self) -> Option<String> {
        if self.eof {
            return None;
        }
        let mut line = Vec::new();
        loop {
            match read_byte() {
                Some(b'\n') => break,
                Some(b) => line.push(b),
                None => {
                    self.eof = true;
                    if line.is_empty() {
                        return None;
                    }
                    break;
                }
            }
        }
        Some(String::from_utf8_lossy(&line).into_owned())
    }
}
