//! uniq: collapse adjacent equal lines; -c prefixes counts, -d shows
//! only repeated lines, -u only unique ones.
use std::io::Write;

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("cdu", "", "[-cdu] [input [output]]");
    let input = o.args.first().map(|s| s.as_str()).unwrap_or("-");
    let data = userland::read_all(input).unwrap_or_else(|e| {
        userland::warn(input, &e);
        std::process::exit(1)
    });
    let mut groups: Vec<(&[u8], usize)> = Vec::new();
    for l in userland::lines(&data) {
        match groups.last_mut() {
            Some((prev, n)) if *prev == l => *n += 1,
            _ => groups.push((l, 1)),
        }
    }
    let mut text = Vec::new();
    for (l, n) in groups {
        if (o.has('d') && n < 2) || (o.has('u') && n > 1) {
            continue;
        }
        if o.has('c') {
            let _ = write!(text, "{n:>7} ");
        }
        text.extend_from_slice(l);
        text.push(b'\n');
    }
    if let Some(outp) = o.args.get(1) {
        if let Err(e) = std::fs::write(outp, &text) {
            userland::warn(outp, &e);
            std::process::exit(1);
        }
        return;
    }
    let mut out = std::io::stdout().lock();
    userland::out(&mut out, &text);
    userland::flush(&mut out);
}
