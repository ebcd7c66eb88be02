//! echo: print the arguments. `-n` drops the newline; `-e` turns on
//! backslash escapes (\n \t \\ \c).
use std::io::Write;

fn main() {
    userland::default_sigpipe();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let (mut newline, mut escapes) = (true, false);
    while let Some(a) = args.first() {
        if a.len() < 2 || !a.starts_with('-') || !a[1..].chars().all(|c| "ne".contains(c)) {
            break;
        }
        newline &= !a.contains('n');
        escapes |= a.contains('e');
        args.remove(0);
    }
    let mut s = args.join(" ");
    if escapes {
        let (text, stop) = userland::fmt::unescape(&s);
        s = text;
        newline &= !stop;
    }
    if newline {
        s.push('\n');
    }
    let mut out = std::io::stdout().lock();
    userland::out(&mut out, s.as_bytes());
    userland::flush(&mut out);
    let _ = out.flush();
}
