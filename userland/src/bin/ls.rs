//! ls: list directory contents, sorted by name.
//!   -l long format   -a include dot files   -1 one per line
//!   -R recurse       -d list directories themselves
//! Several names per line in columns when stdout is a terminal.
use std::fs;
use std::os::unix::fs::MetadataExt;

struct Flags {
    long: bool,
    all: bool,
    one: bool,
    recurse: bool,
    dir: bool,
}

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("la1Rd", "", "[-la1Rd] [file...]");
    let f = Flags { long: o.has('l'), all: o.has('a'), one: o.has('1') || !userland::isatty(1), recurse: o.has('R'), dir: o.has('d') };
    let mut args = if o.args.is_empty() { vec![".".to_string()] } else { o.args.clone() };
    args.sort();
    let mut status = 0;
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    for a in &args {
        // Operands follow symlinks (except for -l and -d, which show the link).
        let follow = if f.long || f.dir { fs::symlink_metadata(a) } else { fs::metadata(a).or_else(|_| fs::symlink_metadata(a)) };
        match follow {
            Ok(m) if m.is_dir() && !f.dir => dirs.push(a.clone()),
            Ok(m) => files.push((a.clone(), a.clone(), m)),
            Err(e) => {
                userland::warn(&format!("cannot access '{a}'"), &e);
                status = 2;
            }
        }
    }
    let mut out = String::new();
    print_entries(&f, &files, &mut out);
    let header = args.len() > 1 || f.recurse;
    for (i, d) in dirs.iter().enumerate() {
        if i > 0 || !files.is_empty() {
            out.push('\n');
        }
        if list_dir(&f, d, header, &mut out).is_err() {
            status = status.max(1);
        }
    }
    emit(&mut out);
    std::process::exit(status);
}

/// Write and clear the text gathered so far.
fn emit(out: &mut String) {
    let mut so = std::io::stdout().lock();
    userland::out(&mut so, out.as_bytes());
    userland::flush(&mut so);
    out.clear();
}

/// List one directory (and, with -R, its subdirectories after it).
fn list_dir(f: &Flags, dir: &str, header: bool, out: &mut String) -> Result<(), ()> {
    let rd = fs::read_dir(dir).map_err(|e| userland::warn(&format!("cannot open directory '{dir}'"), &e))?;
    let mut names: Vec<String> = rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    if f.all {
        names.push(".".into());
        names.push("..".into());
    }
    names.retain(|n| f.all || !n.starts_with('.'));
    names.sort();
    let mut entries = Vec::new();
    for n in &names {
        let path = if dir.ends_with('/') { format!("{dir}{n}") } else { format!("{dir}/{n}") };
        match fs::symlink_metadata(&path) {
            Ok(m) => entries.push((n.clone(), path, m)),
            Err(e) => userland::warn(&path, &e),
        }
    }
    if header {
        out.push_str(&format!("{dir}:\n"));
    }
    if f.long {
        let blocks: u64 = entries.iter().map(|e| e.2.blocks()).sum();
        out.push_str(&format!("total {}\n", blocks / 2));
    }
    print_entries(f, &entries, out);
    // Write each directory as it is done: ls -R / must not pile up.
    emit(out);
    let mut ok = Ok(());
    if f.recurse {
        for (n, path, m) in &entries {
            if m.is_dir() && n != "." && n != ".." {
                out.push('\n');
                if list_dir(f, path, true, out).is_err() {
                    ok = Err(());
                }
            }
        }
    }
    ok
}

fn print_entries(f: &Flags, entries: &[(String, String, fs::Metadata)], out: &mut String) {
    if entries.is_empty() {
        return;
    }
    if f.long {
        for (n, path, m) in entries {
            out.push_str(&long_line(n, path, m));
        }
    } else if f.one {
        for (n, _, _) in entries {
            out.push_str(n);
            out.push('\n');
        }
    } else {
        let names: Vec<String> = entries.iter().map(|e| e.0.clone()).collect();
        out.push_str(&userland::fmt::columns(&names, userland::term_width()));
    }
}

/// `-rw-r--r-- 1 user group 123 Jan  1 12:00 name`
fn long_line(name: &str, path: &str, m: &fs::Metadata) -> String {
    use userland::fmt::{id_name, ls_date, mode_string};
    let size = if m.file_type().is_block_device() || m.file_type().is_char_device() {
        format!("{}, {}", libc::major(m.rdev()), libc::minor(m.rdev()))
    } else {
        m.size().to_string()
    };
    let mut line = format!(
        "{} {:>2} {:<8} {:<8} {:>8} {} {}",
        mode_string(m.mode()),
        m.nlink(),
        id_name("/etc/passwd", m.uid()),
        id_name("/etc/group", m.gid()),
        size,
        ls_date(m.mtime()),
        name
    );
    if m.file_type().is_symlink() {
        if let Ok(t) = fs::read_link(path) {
            line.push_str(&format!(" -> {}", t.display()));
        }
    }
    line.push('\n');
    line
}

use std::os::unix::fs::FileTypeExt;
