//! Line input: a small line editor with history when stdin is a tty
//! (raw mode through termios), plain line reading otherwise.

use std::io::{self, Write};

pub struct Input {
    tty: bool,
    pub history: Vec<String>,
    eof: bool,
}

enum Key {
    Char(char),
    Enter,
    Back,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    Intr,
    Eof,
    Kill,
    Other,
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

fn read_key() -> Option<Key> {
    let b = read_byte()?;
    Some(match b {
        b'\r' | b'\n' => Key::Enter,
        0x7f | 0x08 => Key::Back,
        0x03 => Key::Intr,
        0x04 => Key::Eof,
        0x15 => Key::Kill,
        0x01 => Key::Home,
        0x05 => Key::End,
        0x1b => escape(),
        0x20..=0x7e => Key::Char(b as char),
        0x80.. => utf8(b),
        _ => Key::Other,
    })
}

/// After ESC: arrow keys arrive as ESC [ A..D (or ESC O A..D).
fn escape() -> Key {
    match read_byte() {
        Some(b'[') | Some(b'O') => {}
        _ => return Key::Other,
    }
    match read_byte() {
        Some(b'A') => Key::Up,
        Some(b'B') => Key::Down,
        Some(b'C') => Key::Right,
        Some(b'D') => Key::Left,
        Some(b'H') => Key::Home,
        Some(b'F') => Key::End,
        Some(b'0'..=b'9') => {
            // e.g. ESC [ 3 ~ (delete): swallow up to the '~'.
            while !matches!(read_byte(), Some(b'~') | None) {}
            Key::Other
        }
        _ => Key::Other,
    }
}

fn utf8(first: u8) -> Key {
    let len = if first >= 0xf0 { 4 } else if first >= 0xe0 { 3 } else { 2 };
    let mut buf = vec![first];
    for _ in 1..len {
        buf.push(read_byte().unwrap_or(0));
    }
    String::from_utf8(buf).ok().and_then(|s| s.chars().next()).map(Key::Char).unwrap_or(Key::Other)
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
        Input { tty, history: Vec::new(), eof: false }
    }

    /// Read one line (without its newline); None at end of input.
    pub fn line(&mut self, prompt: &str) -> Option<String> {
        if self.tty {
            if let Some(raw) = Raw::enter() {
                let l = self.edit(prompt);
                drop(raw);
                return l;
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

    fn edit(&mut self, prompt: &str) -> Option<String> {
        let mut buf: Vec<char> = Vec::new();
        let mut pos = 0;
        let mut hist = self.history.len();
        let mut saved = String::new();
        redraw(prompt, &buf, pos);
        loop {
            let key = read_key()?;
            match key {
                Key::Enter => {
                    eprint!("\r\n");
                    let line: String = buf.iter().collect();
                    if !line.trim().is_empty() && self.history.last() != Some(&line) {
                        self.history.push(line.clone());
                    }
                    return Some(line);
                }
                Key::Char(c) => {
                    buf.insert(pos, c);
                    pos += 1;
                }
                Key::Back if pos > 0 => {
                    pos -= 1;
                    buf.remove(pos);
                }
                Key::Left if pos > 0 => pos -= 1,
                Key::Right if pos < buf.len() => pos += 1,
                Key::Home => pos = 0,
                Key::End => pos = buf.len(),
                Key::Kill => {
                    buf.clear();
                    pos = 0;
                }
                Key::Intr => {
                    // ^C abandons the line, as in other shells.
                    eprint!("^C\r\n");
                    buf.clear();
                    pos = 0;
                    hist = self.history.len();
                }
                Key::Eof if buf.is_empty() => {
                    eprint!("\r\n");
                    return None;
                }
                Key::Up if hist > 0 => {
                    if hist == self.history.len() {
                        saved = buf.iter().collect();
                    }
                    hist -= 1;
                    buf = self.history[hist].chars().collect();
                    pos = buf.len();
                }
                Key::Down if hist < self.history.len() => {
                    hist += 1;
                    let s = if hist == self.history.len() { &saved } else { &self.history[hist] };
                    buf = s.chars().collect();
                    pos = buf.len();
                }
                _ => {}
            }
            redraw(prompt, &buf, pos);
        }
    }
}

/// Rewrite the whole line: CR, prompt, text, clear to end, move back.
fn redraw(prompt: &str, buf: &[char], pos: usize) {
    let text: String = buf.iter().collect();
    let mut s = format!("\r{prompt}{text}\x1b[K");
    let back = buf.len() - pos;
    if back > 0 {
        s.push_str(&format!("\x1b[{back}D"));
    }
    let mut e = io::stderr();
    let _ = e.write_all(s.as_bytes());
    let _ = e.flush();
}
