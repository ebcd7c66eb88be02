//! resize: ask the terminal on the other end of the console how big it
//! is (move the cursor to 999;999 and ask where it went, as xterm's
//! resize does), tell the tty (TIOCSWINSZ), and print the shell
//! commands that set COLUMNS and LINES. Fails after 2 s without an
//! answer (a pipe, or a terminal that does not answer ESC[6n).
//!
//! Syscalls: ioctl TCGETS TCSETSW TIOCSWINSZ, poll, read, write.

fn main() {
    userland::default_sigpipe();
    // SAFETY: termios calls on fd 0 with structs we own.
    let saved = unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(0, &mut t) != 0 {
            userland::die(&format!("standard input: {}", userland::strerror(&userland::last_err())));
        }
        let saved = t;
        t.c_lflag &= !(libc::ICANON | libc::ECHO);
        t.c_cc[libc::VMIN] = 1;
        t.c_cc[libc::VTIME] = 0;
        libc::tcsetattr(0, libc::TCSADRAIN, &t);
        saved
    };
    let ask = b"\x1b7\x1b[r\x1b[999;999H\x1b[6n\x1b8";
    // SAFETY: writes from a live buffer.
    unsafe { libc::write(2, ask.as_ptr().cast(), ask.len()) };
    let answer = read_answer();
    // SAFETY: restores the saved attributes.
    unsafe { libc::tcsetattr(0, libc::TCSADRAIN, &saved) };
    let Some((rows, cols)) = answer else {
        userland::die("no answer from the terminal");
    };
    let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCSWINSZ reads the struct we own.
    if unsafe { libc::ioctl(0, libc::TIOCSWINSZ, &ws) } != 0 {
        userland::die(&format!("TIOCSWINSZ: {}", userland::strerror(&userland::last_err())));
    }
    println!("COLUMNS={cols};\nLINES={rows};\nexport COLUMNS LINES;");
}

/// ESC [ rows ; cols R, within 2 s of the question.
fn read_answer() -> Option<(u16, u16)> {
    let mut got = Vec::new();
    while !got.ends_with(b"R") && got.len() < 32 {
        let mut p = libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 };
        // SAFETY: poll on one pollfd we own, then a one-byte read.
        unsafe {
            if libc::poll(&mut p, 1, 2000) <= 0 {
                return None;
            }
            let mut b = 0u8;
            if libc::read(0, (&mut b as *mut u8).cast(), 1) != 1 {
                return None;
            }
            got.push(b);
        }
    }
    let s = String::from_utf8_lossy(&got);
    let body = s.rsplit("\x1b[").next()?.strip_suffix('R')?;
    let (r, c) = body.split_once(';')?;
    Some((r.parse().ok()?, c.parse().ok()?))
}
