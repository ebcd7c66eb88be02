//! stty: the terminal's size and modes on stdin.
//!
//!   stty                 speed, rows, columns and the main modes
//!   stty -a              the same
//!   stty size            "ROWS COLS"
//!   stty rows N cols M   set the size (TIOCSWINSZ; `columns` too)
//!   stty raw | -raw | cooked | sane | [-]echo | [-]icanon | [-]isig | [-]icrnl | [-]ixon
//!
//! Syscalls: ioctl TCGETS TCSETSW TIOCGWINSZ TIOCSWINSZ.

fn main() {
    userland::default_sigpipe();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut t = termios().unwrap_or_else(|e| die(&e));
    let mut ws = winsize().unwrap_or_else(|e| die(&e));
    if args.is_empty() || args == ["-a"] {
        show(&t, &ws);
        return;
    }
    if args == ["size"] {
        println!("{} {}", ws.ws_row, ws.ws_col);
        return;
    }
    let (mut new_size, mut new_modes) = (false, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "rows" | "cols" | "columns" => {
                let n = it.next().and_then(|v| v.parse::<u16>().ok()).unwrap_or_else(|| usage(a));
                if a == "rows" {
                    ws.ws_row = n;
                } else {
                    ws.ws_col = n;
                }
                new_size = true;
            }
            _ => {
                mode(&mut t, a).unwrap_or_else(|| usage(a));
                new_modes = true;
            }
        }
    }
    // SAFETY: ioctls on fd 0 with structs we own.
    unsafe {
        if new_size && libc::ioctl(0, libc::TIOCSWINSZ, &ws) != 0 {
            die(&userland::last_err());
        }
        if new_modes && libc::tcsetattr(0, libc::TCSADRAIN, &t) != 0 {
            die(&userland::last_err());
        }
    }
}

fn die(e: &std::io::Error) -> ! {
    userland::die(&format!("standard input: {}", userland::strerror(e)))
}

fn usage(a: &str) -> ! {
    userland::warn_msg(&format!("invalid argument '{a}'"));
    userland::usage("[-a] | size | rows N | cols N | [-]raw | sane | [-]echo | [-]icanon | [-]isig | [-]icrnl | [-]ixon")
}

fn termios() -> std::io::Result<libc::termios> {
    // SAFETY: tcgetattr fills a struct we own.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(0, &mut t) != 0 {
            return Err(userland::last_err());
        }
        Ok(t)
    }
}

fn winsize() -> std::io::Result<libc::winsize> {
    // SAFETY: TIOCGWINSZ fills a struct we own.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(0, libc::TIOCGWINSZ, &mut ws) != 0 {
            return Err(userland::last_err());
        }
        Ok(ws)
    }
}

const LFLAGS: [(&str, libc::tcflag_t); 4] = [("icanon", libc::ICANON), ("echo", libc::ECHO), ("isig", libc::ISIG), ("iexten", libc::IEXTEN)];
const IFLAGS: [(&str, libc::tcflag_t); 2] = [("icrnl", libc::ICRNL), ("ixon", libc::IXON)];

fn show(t: &libc::termios, ws: &libc::winsize) {
    println!("speed 38400 baud; rows {}; columns {}; line = 0;", ws.ws_row, ws.ws_col);
    let flag = |name: &str, on: bool| format!("{}{name}", if on { "" } else { "-" });
    let l: Vec<String> = LFLAGS.iter().map(|(n, f)| flag(n, t.c_lflag & f != 0)).collect();
    let i: Vec<String> = IFLAGS.iter().map(|(n, f)| flag(n, t.c_iflag & f != 0)).collect();
    println!("{}", i.join(" "));
    println!("{}", l.join(" "));
}

/// Apply one mode word; None if it is not one.
fn mode(t: &mut libc::termios, a: &str) -> Option<()> {
    let (on, name) = match a.strip_prefix('-') {
        Some(n) => (false, n),
        None => (true, a),
    };
    let set = |f: &mut libc::tcflag_t, bit: libc::tcflag_t| if on { *f |= bit } else { *f &= !bit };
    match (name, on) {
        ("raw", true) => {
            t.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG | libc::IEXTEN);
            t.c_iflag &= !(libc::ICRNL | libc::IXON);
            t.c_cc[libc::VMIN] = 1;
            t.c_cc[libc::VTIME] = 0;
        }
        ("raw", false) | ("cooked", true) | ("sane", true) => {
            t.c_lflag |= libc::ICANON | libc::ECHO | libc::ISIG | libc::IEXTEN;
            t.c_iflag |= libc::ICRNL;
        }
        _ => {
            if let Some((_, bit)) = LFLAGS.iter().find(|(n, _)| *n == name) {
                set(&mut t.c_lflag, *bit);
            } else if let Some((_, bit)) = IFLAGS.iter().find(|(n, _)| *n == name) {
                set(&mut t.c_iflag, *bit);
            } else {
                return None;
            }
        }
    }
    Some(())
}
