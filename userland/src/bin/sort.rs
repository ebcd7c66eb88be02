//! sort: sort lines. -r reverse, -n numeric (leading number), -u
//! unique, -f fold case, -k N sort on the N-th blank-separated field.
use std::cmp::Ordering;

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("rnuf", "kt", "[-rnuf] [-k field] [-t sep] [file...]");
    let files = if o.args.is_empty() { vec!["-".to_string()] } else { o.args.clone() };
    let mut data = Vec::new();
    for f in &files {
        match userland::read_all(f) {
            Ok(mut d) => {
                if !d.is_empty() && !d.ends_with(b"\n") {
                    d.push(b'\n');
                }
                data.extend(d);
            }
            Err(e) => {
                userland::warn(f, &e);
                std::process::exit(2);
            }
        }
    }
    let field: usize = match o.value('k').map(|k| k.split([',', '.']).next().unwrap_or("").parse::<usize>()) {
        None => 0,
        Some(Ok(n)) if n > 0 => n,
        _ => userland::usage("[-rnuf] [-k field] [-t sep] [file...]"),
    };
    let sep = o.value('t').and_then(|t| t.chars().next());
    let key = |l: &[u8]| -> String {
        let s = String::from_utf8_lossy(l).into_owned();
        let s = if field == 0 { s } else { nth_field(&s, field, sep) };
        if o.has('f') { s.to_lowercase() } else { s }
    };
    let mut lines: Vec<&[u8]> = userland::lines(&data);
    let cmp = |a: &&[u8], b: &&[u8]| -> Ordering {
        let (ka, kb) = (key(a), key(b));
        let ord = if o.has('n') { num(&ka).partial_cmp(&num(&kb)).unwrap_or(Ordering::Equal) } else { ka.cmp(&kb) };
        ord.then_with(|| if o.has('n') || field > 0 { a.cmp(b) } else { Ordering::Equal })
    };
    lines.sort_by(cmp);
    if o.has('r') {
        lines.reverse();
    }
    if o.has('u') {
        lines.dedup_by(|a, b| {
            let (ka, kb) = (key(a), key(b));
            if o.has('n') { num(&ka) == num(&kb) } else { ka == kb }
        });
    }
    let mut out = std::io::stdout().lock();
    for l in lines {
        userland::out(&mut out, l);
        userland::out(&mut out, b"\n");
    }
    userland::flush(&mut out);
}

/// The n-th field (1-based) and the rest of the line after it.
fn nth_field(s: &str, n: usize, sep: Option<char>) -> String {
    let fields: Vec<&str> = match sep {
        Some(c) => s.split(c).collect(),
        None => s.split_whitespace().collect(),
    };
    fields.get(n - 1..).map(|f| f.join(" ")).unwrap_or_default()
}

/// Leading number of a line, 0 if none (as sort -n does).
fn num(s: &str) -> f64 {
    let t = s.trim_start();
    let end = t
        .char_indices()
        .take_while(|&(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && c == '-'))
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    t[..end].parse().unwrap_or(0.0)
}
