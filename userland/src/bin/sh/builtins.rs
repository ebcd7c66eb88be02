//! Commands the shell runs itself, because they change its state.

use crate::exec::{LoopCtl, Shell};
use crate::write_out;

const BUILTINS: [&str; 34] = [
    "cd", "pwd", "exit", "export", "unset", "jobs", "fg", "bg", "wait", ":", ".", "source", "set", "break", "continue", "read",
    "kill", "exec", "return", "shift", "true", "false", "test", "[", "echo", "printf", "alias", "unalias", "type", "command",
    "which", "hash", "umask", "eval",
];

/// The shell's reserved words (for `type` and `command -v`).
pub const KEYWORDS: [&str; 16] =
    ["if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for", "in", "{", "}", "!"];

pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().copied()
}

pub fn is_builtin(name: &str) -> bool {
    BUILTINS.contains(&name)
}

/// Run builtin `w[0]`; returns its exit status.
pub fn run(sh: &mut Shell, w: &[String]) -> i32 {
    let args = &w[1..];
    match w[0].as_str() {
        "cd" => cd(sh, args),
        "pwd" => pwd(),
        "exit" => exit(sh, args),
        "export" => export(sh, args),
        "unset" => {
            for a in args {
                sh.vars.remove(a);
                sh.exported.remove(a);
            }
            0
        }
        "jobs" => {
            sh.list_jobs();
            0
        }
        "fg" => fg(sh, args),
        "bg" => bg(sh, args),
        "wait" => wait(sh, args),
        "." | "source" => match args.first() {
            Some(f) => crate::run_file(sh, f, args[1..].to_vec()),
            None => {
                eprintln!("sh: .: usage: . file");
                2
            }
        },
        "set" => set(sh, args),
        "break" => loop_ctl(sh, LoopCtl::Break, args),
        "continue" => loop_ctl(sh, LoopCtl::Continue, args),
        "read" => read(sh, args),
        "kill" => kill(sh, args),
        "exec" => exec(sh, args),
        "return" => {
            let st = args.first().and_then(|a| a.parse::<i32>().ok()).unwrap_or(sh.status);
            sh.status = st & 0xff;
            sh.returning = true;
            sh.status
        }
        "shift" => shift(sh, args),
        "true" => 0,
        "false" => 1,
        "test" => test(args, "test"),
        "[" => match args.split_last() {
            Some((last, expr)) if last == "]" => test(expr, "["),
            _ => {
                eprintln!("sh: [: missing ']'");
                2
            }
        },
        "echo" => echo(args),
        "printf" => printf(args),
        "alias" => alias(sh, args),
        "unalias" => unalias(sh, args),
        "type" => type_(sh, args),
        "command" => command(sh, args),
        "which" => which(sh, args),
        "hash" => 0, // nothing is remembered: every lookup searches PATH
        "umask" => umask(args),
        "eval" => {
            let text = args.join(" ");
            let lines: Vec<String> = text.lines().map(String::from).collect();
            sh.status = 0;
            crate::run_lines(sh, &mut lines.into_iter());
            sh.status
        }
        _ => 0, // ":"
    }
}

fn cd(sh: &mut Shell, args: &[String]) -> i32 {
    let dir = match args.first().map(|s| s.as_str()) {
        None => sh.lookup("HOME").unwrap_or_else(|| "/".into()),
        Some("-") => sh.lookup("OLDPWD").unwrap_or_else(|| ".".into()),
        Some(d) => d.to_string(),
    };
    if let Err(e) = std::env::set_current_dir(&dir) {
        eprintln!("sh: cd: {}: {}", dir, userland::strerror(&e));
        return 1;
    }
    let old = sh.lookup("PWD").unwrap_or_default();
    sh.set_var("OLDPWD", &old);
    let new = std::env::current_dir().map(|p| p.to_string_lossy().into_owned()).unwrap_or(dir);
    sh.set_var("PWD", &new);
    if args.first().map(|s| s.as_str()) == Some("-") {
        out!("{new}");
    }
    0
}

fn pwd() -> i32 {
    match std::env::current_dir() {
        Ok(p) => {
            out!("{}", p.display());
            0
        }
        Err(e) => {
            eprintln!("sh: pwd: {}", userland::strerror(&e));
            1
        }
    }
}

fn exit(sh: &mut Shell, args: &[String]) -> i32 {
    let code = match args.first() {
        None => sh.status,
        Some(a) => match a.parse::<i32>() {
            Ok(n) => n & 0xff,
            Err(_) => {
                eprintln!("sh: exit: {a}: numeric argument required");
                2
            }
        },
    };
    sh.exit_req = Some(code);
    code
}

fn export(sh: &mut Shell, args: &[String]) -> i32 {
    if args.is_empty() {
        let mut names: Vec<&String> = sh.exported.iter().collect();
        names.sort();
        for n in names {
            if let Some(v) = sh.vars.get(n) {
                out!("export {}='{}'", n, v.replace('\'', "'\\''"));
            }
        }
        return 0;
    }
    for a in args {
        let (name, value) = match a.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (a.clone(), None),
        };
        if let Some(v) = value {
            sh.set_var(&name, &v);
        }
        sh.exported.insert(name);
    }
    0
}

/// `set -- args` replaces the positional parameters; `set` lists vars.
fn set(sh: &mut Shell, args: &[String]) -> i32 {
    if args.is_empty() {
        let mut v: Vec<_> = sh.vars.iter().collect();
        v.sort();
        for (k, val) in v {
            out!("{k}='{val}'");
        }
        return 0;
    }
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let (on, letters) = match a.strip_prefix('-').map(|l| (true, l)).or_else(|| a.strip_prefix('+').map(|l| (false, l))) {
            Some((on, l)) if !l.is_empty() && a != "--" => (on, l),
            _ => break,
        };
        for c in letters.chars() {
            match c {
                'e' => sh.errexit = on,
                'x' => sh.xtrace = on,
                _ => {
                    eprintln!("sh: set: -{c}: invalid option");
                    return 2;
                }
            }
        }
        i += 1;
    }
    let args = &args[i..];
    if args.is_empty() {
        return 0;
    }
    let rest = if args[0] == "--" { &args[1..] } else { args };
    let zero = sh.args.first().cloned().unwrap_or_default();
    sh.args = std::iter::once(zero).chain(rest.iter().cloned()).collect();
    0
}

fn fg(sh: &mut Shell, args: &[String]) -> i32 {
    let Some(i) = sh.find_job(args.first().map(|s| s.as_str())) else {
        eprintln!("sh: fg: no such job");
        return 1;
    };
    out!("{}", sh.jobs[i].text);
    sh.continue_job(i);
    let job = sh.jobs.remove(i);
    sh.foreground(job)
}

fn bg(sh: &mut Shell, args: &[String]) -> i32 {
    let Some(i) = sh.find_job(args.first().map(|s| s.as_str())) else {
        eprintln!("sh: bg: no such job");
        return 1;
    };
    sh.continue_job(i);
    out!("[{}]+ {} &", sh.jobs[i].id, sh.jobs[i].text);
    0
}

/// `wait`: all jobs (status 0), or the named ones (status of the last).
fn wait(sh: &mut Shell, args: &[String]) -> i32 {
    if args.is_empty() {
        while !sh.jobs.is_empty() {
            sh.wait_job(0);
        }
        return 0;
    }
    let mut st = 0;
    for a in args {
        st = match sh.find_job(Some(a)) {
            Some(i) => sh.wait_job(i),
            None => {
                eprintln!("sh: wait: {a}: no such job");
                127
            }
        };
    }
    st
}

/// `break [n]` / `continue [n]`: leave or restart the n-th enclosing loop.
fn loop_ctl(sh: &mut Shell, ctl: LoopCtl, args: &[String]) -> i32 {
    let n = match args.first().map(|a| a.parse::<usize>()) {
        None => 1,
        Some(Ok(n)) if n > 0 => n,
        _ => {
            eprintln!("sh: break: bad loop count");
            return 1;
        }
    };
    if sh.loop_depth > 0 {
        sh.loop_ctl = Some((ctl, n.min(sh.loop_depth)));
    }
    0
}

/// `read NAME...`: one line from stdin, split on blanks; the last name
/// gets the rest. Reads a byte at a time so no input is consumed past
/// the line (the rest belongs to whatever runs next). Status 1 at EOF.
fn read(sh: &mut Shell, args: &[String]) -> i32 {
    let mut line = Vec::new();
    let mut got_any = false;
    loop {
        let mut b = [0u8; 1];
        // SAFETY: reads one byte into our buffer.
        let n = unsafe { libc::read(0, b.as_mut_ptr().cast(), 1) };
        if n <= 0 || b[0] == b'\n' {
            got_any |= n > 0;
            break;
        }
        got_any = true;
        line.push(b[0]);
    }
    let text = String::from_utf8_lossy(&line).into_owned();
    // -r (raw) is what this read always does: backslashes are kept.
    let args: Vec<&String> = args.iter().filter(|a| a.as_str() != "-r").collect();
    let names: Vec<&str> = if args.is_empty() { vec!["REPLY"] } else { args.iter().map(|s| s.as_str()).collect() };
    let mut rest = text.trim_start_matches([' ', '\t']);
    for (i, name) in names.iter().enumerate() {
        if i + 1 == names.len() {
            sh.set_var(name, rest.trim_end_matches([' ', '\t']));
        } else {
            let end = rest.find([' ', '\t']).unwrap_or(rest.len());
            sh.set_var(name, &rest[..end]);
            rest = rest[end..].trim_start_matches([' ', '\t']);
        }
    }
    if got_any { 0 } else { 1 }
}

/// `kill` is built in so that it understands job numbers (`kill %1`);
/// otherwise it behaves like the kill tool.
fn kill(sh: &mut Shell, args: &[String]) -> i32 {
    let mut args = args.to_vec();
    if args.first().map(|s| s.as_str()) == Some("-l") {
        let names: Vec<&str> = userland::SIGNALS.iter().map(|(_, n)| *n).collect();
        out!("{}", names.join(" "));
        return 0;
    }
    let mut sig = libc::SIGTERM;
    if let Some(a) = args.first().cloned() {
        let spec = if a == "-s" && args.len() > 1 { args.remove(0); Some(args[0].clone()) } else { a.strip_prefix('-').map(String::from) };
        if let Some(spec) = spec {
            match userland::signal_number(&spec) {
                Some(n) => sig = n,
                None => {
                    eprintln!("sh: kill: {spec}: invalid signal specification");
                    return 2;
                }
            }
            args.remove(0);
        }
    }
    if args.is_empty() {
        eprintln!("usage: kill [-SIG | -s SIG] pid|%job...");
        return 2;
    }
    let mut status = 0;
    for a in &args {
        let pids: Vec<i32> = match (a.strip_prefix('%'), sh.find_job(Some(a))) {
            (Some(_), Some(i)) => sh.jobs[i].procs.iter().map(|p| p.0).collect(),
            (None, _) if a.parse::<i32>().is_ok() => vec![a.parse().unwrap_or(0)],
            _ => {
                eprintln!("sh: kill: {a}: no such job or process");
                status = 1;
                continue;
            }
        };
        for pid in pids {
            // SAFETY: kill with a pid and signal number.
            if unsafe { libc::kill(pid, sig) } != 0 {
                eprintln!("sh: kill: ({pid}): {}", userland::strerror(&userland::last_err()));
                status = 1;
            }
        }
    }
    status
}

/// `exec cmd args`: replace the shell; `exec` alone with redirections
/// makes them permanent (`exec > log`).
fn exec(sh: &mut Shell, args: &[String]) -> i32 {
    if args.is_empty() {
        sh.keep_redirs = true;
        return 0;
    }
    let _ = std::io::Write::flush(&mut std::io::stdout());
    userland::default_sigpipe();
    if sh.interactive {
        for s in crate::exec::JOB_SIGNALS {
            crate::exec::set_signal(s, libc::SIG_DFL);
        }
    }
    let st = sh.exec(args);
    // execve failed: a non-interactive shell exits (POSIX).
    if !sh.interactive {
        sh.exit_req = Some(st);
    }
    st
}

/// `shift [n]`: drop the first n positional parameters.
fn shift(sh: &mut Shell, args: &[String]) -> i32 {
    let n = args.first().map(|a| a.parse::<usize>().unwrap_or(usize::MAX)).unwrap_or(1);
    if n >= sh.args.len() && n != 0 {
        eprintln!("sh: shift: can't shift that many");
        return 1;
    }
    sh.args.drain(1..1 + n);
    0
}

/// `test` and `[`: the grammar of the test tool (userland::test_expr).
fn test(args: &[String], who: &str) -> i32 {
    match userland::test_expr::eval(args) {
        Ok(v) => (!v) as i32,
        Err(m) => {
            eprintln!("sh: {who}: {m}");
            2
        }
    }
}

/// `echo [-neE] args`: as busybox ash's echo, options only while each
/// word is all of n, e, E; -e turns on \ escapes, \c stops output.
fn echo(args: &[String]) -> i32 {
    let (mut newline, mut escapes, mut i) = (true, false, 0);
    while let Some(a) = args.get(i) {
        if a.len() < 2 || !a.starts_with('-') || !a[1..].chars().all(|c| "neE".contains(c)) {
            break;
        }
        for c in a[1..].chars() {
            match c {
                'n' => newline = false,
                'e' => escapes = true,
                _ => escapes = false,
            }
        }
        i += 1;
    }
    let mut s = args[i..].join(" ");
    if escapes {
        let (text, stop) = userland::fmt::unescape(&s);
        s = text;
        newline &= !stop;
    }
    if newline {
        s.push('\n');
    }
    write_out("echo", s.as_bytes())
}

fn printf(args: &[String]) -> i32 {
    let Some(format) = args.first() else {
        eprintln!("usage: printf format [argument...]");
        return 2;
    };
    let (out, st) = userland::printf::printf(format, &args[1..]);
    write_out("printf", out.as_bytes()).max(st)
}

fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', "'\\''"))
}

/// `alias` lists, `alias name=value` defines, `alias name` shows one.
fn alias(sh: &mut Shell, args: &[String]) -> i32 {
    if args.is_empty() {
        let mut v: Vec<_> = sh.aliases.iter().collect();
        v.sort();
        for (k, val) in v {
            out!("alias {k}={}", quote(val));
        }
        return 0;
    }
    let mut st = 0;
    for a in args {
        match a.split_once('=') {
            Some((n, v)) if !n.is_empty() => {
                sh.aliases.insert(n.to_string(), v.to_string());
            }
            _ => match sh.aliases.get(a) {
                Some(v) => out!("alias {a}={}", quote(v)),
                None => {
                    eprintln!("sh: alias: {a}: not found");
                    st = 1;
                }
            },
        }
    }
    st
}

fn unalias(sh: &mut Shell, args: &[String]) -> i32 {
    if args.first().map(|s| s.as_str()) == Some("-a") {
        sh.aliases.clear();
        return 0;
    }
    if args.is_empty() {
        eprintln!("usage: unalias [-a] name...");
        return 2;
    }
    let mut st = 0;
    for a in args {
        if sh.aliases.remove(a).is_none() {
            eprintln!("sh: unalias: {a}: not found");
            st = 1;
        }
    }
    st
}

/// What a command name is, in the order the shell looks.
pub enum Kind {
    Alias(String),
    Keyword,
    Function,
    Builtin,
    File(String),
}

pub fn kind(sh: &Shell, name: &str, aliases: bool) -> Option<Kind> {
    if aliases {
        if let Some(v) = sh.aliases.get(name) {
            return Some(Kind::Alias(v.clone()));
        }
    }
    if KEYWORDS.contains(&name) {
        Some(Kind::Keyword)
    } else if sh.funcs.contains_key(name) {
        Some(Kind::Function)
    } else if is_builtin(name) {
        Some(Kind::Builtin)
    } else {
        find_in_path(sh, name).map(Kind::File)
    }
}

/// A command's file: `name` itself if it has a `/`, else the first
/// executable regular file of that name in PATH.
pub fn find_in_path(sh: &Shell, name: &str) -> Option<String> {
    let ok = |p: &str| {
        let Ok(c) = std::ffi::CString::new(p) else { return false };
        // SAFETY: access with a valid C string.
        std::fs::metadata(p).is_ok_and(|m| m.is_file()) && unsafe { libc::access(c.as_ptr(), libc::X_OK) } == 0
    };
    if name.contains('/') {
        return ok(name).then(|| name.to_string());
    }
    let path = sh.lookup("PATH").unwrap_or_else(|| "/bin:/usr/bin".into());
    path.split(':').map(|d| format!("{}/{name}", if d.is_empty() { "." } else { d })).find(|p| ok(p))
}

fn describe(name: &str, k: &Kind) -> String {
    match k {
        Kind::Alias(v) => format!("{name} is an alias for {v}"),
        Kind::Keyword => format!("{name} is a shell keyword"),
        Kind::Function => format!("{name} is a function"),
        Kind::Builtin => format!("{name} is a shell builtin"),
        Kind::File(p) => format!("{name} is {p}"),
    }
}

fn type_(sh: &Shell, args: &[String]) -> i32 {
    let mut st = 0;
    for a in args {
        match kind(sh, a, true) {
            Some(k) => out!("{}", describe(a, &k)),
            None => {
                eprintln!("sh: type: {a}: not found");
                st = 1;
            }
        }
    }
    st
}

/// `command -v|-V name...` says what runs; `command name args` runs the
/// builtin or program, skipping functions (and aliases, which are gone
/// by now). Outside a child process only builtins get here: a program
/// is forked (see Shell::runs_in_shell) and its execve happens here.
fn command(sh: &mut Shell, args: &[String]) -> i32 {
    let (verbose, names) = match args.first().map(|s| s.as_str()) {
        Some("-v") => (false, &args[1..]),
        Some("-V") => (true, &args[1..]),
        Some("--") => return command(sh, &args[1..]),
        None => return 0,
        _ => {
            if is_builtin(&args[0]) {
                return run(sh, args);
            }
            let _ = std::io::Write::flush(&mut std::io::stdout());
            return sh.exec(args);
        }
    };
    let mut st = 0;
    for a in names {
        match kind(sh, a, true) {
            Some(k) if verbose => out!("{}", describe(a, &k)),
            Some(Kind::Alias(v)) => out!("alias {a}={}", quote(&v)),
            Some(Kind::File(p)) => out!("{p}"),
            Some(_) => out!("{a}"),
            None => {
                if verbose {
                    eprintln!("sh: command: {a}: not found");
                }
                st = 1;
            }
        }
    }
    st
}

/// `which name...`: the file PATH finds for each name.
fn which(sh: &Shell, args: &[String]) -> i32 {
    let mut st = 0;
    for a in args {
        match find_in_path(sh, a) {
            Some(p) => out!("{p}"),
            None => st = 1,
        }
    }
    st
}

/// `umask [mode]`: show (octal) or set the file creation mask.
fn umask(args: &[String]) -> i32 {
    match args.first() {
        None => {
            // SAFETY: umask has no failure; set it back at once.
            let m = unsafe { libc::umask(0o022) };
            unsafe { libc::umask(m) };
            out!("{:04o}", m);
            0
        }
        Some(a) => match u32::from_str_radix(a, 8) {
            Ok(m) if m <= 0o777 => {
                // SAFETY: umask with a valid mask.
                unsafe { libc::umask(m as libc::mode_t) };
                0
            }
            _ => {
                eprintln!("sh: umask: {a}: invalid mode");
                1
            }
        },
    }
}
