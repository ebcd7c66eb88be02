//! grep: print lines matching a regular expression.
//!   -i ignore case  -v invert  -n line numbers  -c count  -l file names
//!   -r recurse into directories  -q quiet  -E/-F extended/fixed strings
//! Exit: 0 if a line matched, 1 if none, 2 on error.
use regex::bytes::{Regex, RegexBuilder};
use std::io::Write;

struct Opts {
    invert: bool,
    number: bool,
    count: bool,
    list: bool,
    quiet: bool,
    names: bool,
}

const USAGE: &str = "[-ivnclqrEF] [-e] pattern [file...]";

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("ivnclqrsEFH", "e", USAGE);
    let mut args = o.args.clone();
    let pat = match o.value('e') {
        Some(p) => p.to_string(),
        None if !args.is_empty() => args.remove(0),
        None => userland::usage(USAGE),
    };
    let pat = if o.has('F') { regex::escape(&pat) } else { translate_bre(&pat, o.has('E')) };
    let re = match RegexBuilder::new(&pat).case_insensitive(o.has('i')).build() {
        Ok(r) => r,
        Err(e) => {
            userland::warn_msg(&format!("bad regular expression: {e}"));
            std::process::exit(2);
        }
    };
    let mut files = args;
    if files.is_empty() {
        files.push(if o.has('r') { ".".into() } else { "-".into() });
    }
    let opts = Opts {
        invert: o.has('v'),
        number: o.has('n'),
        count: o.has('c'),
        list: o.has('l'),
        quiet: o.has('q'),
        names: files.len() > 1 || o.has('r') || o.has('H'),
    };
    let (mut matched, mut error) = (false, false);
    for f in &files {
        walk(f, o.has('r'), &mut |path| match userland::read_all(path) {
            Ok(d) => matched |= grep(&re, &d, path, &opts),
            Err(e) => {
                if !o.has('s') {
                    userland::warn(path, &e);
                }
                error = true;
            }
        });
    }
    std::process::exit(if error && !(matched && opts.quiet) { 2 } else if matched { 0 } else { 1 });
}

/// Call `f` on the file, or with -r on every file below a directory.
fn walk(path: &str, recurse: bool, f: &mut dyn FnMut(&str)) {
    if recurse && std::path::Path::new(path).is_dir() {
        let Ok(rd) = std::fs::read_dir(path) else { return f(path) };
        let mut names: Vec<String> = rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        for n in names {
            let p = if path == "." { n } else { format!("{}/{}", path.trim_end_matches('/'), n) };
            walk(&p, true, f);
        }
    } else {
        f(path)
    }
}

/// Search one file's contents; returns whether any line was selected.
fn grep(re: &Regex, data: &[u8], name: &str, o: &Opts) -> bool {
    let mut out = std::io::stdout().lock();
    let mut n = 0;
    for (i, line) in userland::lines(data).into_iter().enumerate() {
        if re.is_match(line) == o.invert {
            continue;
        }
        n += 1;
        if o.quiet {
            return true;
        }
        if o.count || o.list {
            continue;
        }
        let mut text = Vec::new();
        if o.names {
            let _ = write!(text, "{name}:");
        }
        if o.number {
            let _ = write!(text, "{}:", i + 1);
        }
        text.extend_from_slice(line);
        text.push(b'\n');
        userland::out(&mut out, &text);
    }
    if o.count {
        let line = if o.names { format!("{name}:{n}\n") } else { format!("{n}\n") };
        userland::out(&mut out, line.as_bytes());
    } else if o.list && n > 0 {
        userland::out(&mut out, format!("{name}\n").as_bytes());
    }
    userland::flush(&mut out);
    n > 0
}

/// POSIX basic regular expressions make ( ) { } | + ? literal and \( \)
/// etc. special; the regex crate uses the extended syntax, so swap them.
fn translate_bre(p: &str, extended: bool) -> String {
    if extended {
        return p.to_string();
    }
    let mut out = String::new();
    let mut it = p.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some(n) if "(){}|+?".contains(n) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push_str("\\\\"),
            },
            '(' | ')' | '{' | '}' | '|' | '+' | '?' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}
