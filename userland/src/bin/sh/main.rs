//! sh: a small POSIX-style shell.
//!
//!   sh                  interactive if stdin is a terminal, else reads
//!                       commands from stdin
//!   sh -c 'cmds' [name [args...]]
//!   sh file [args...]   run a script
//!   sh -i               force interactive (prompt, job control)
//!   sh -e / -x          exit on error / trace commands (also `set -e -x`)
//!
//! Supports pipelines, redirections (< > >> N> N>> N>&M), ; && || &,
//! ( subshells ), quoting, $VAR ${VAR} $? $$ $! $# $0-$9 $@, ~, globbing,
//! if/while/until/for/case, { groups }, functions, $(...), $((...)),
//! ${V:-w}-style parameters, here-documents, and the builtins cd pwd exit
//! export unset set shift read exec kill jobs fg bg wait break continue
//! return true false : . source.

/// println! for builtin output: a failed write (closed pipe, full disk)
/// is reported instead of panicking, and the shell goes on.
macro_rules! out {
    ($($t:tt)*) => { $crate::put(&format!($($t)*)) };
}

mod alias;
mod arith;
mod builtins;
mod edit;
mod exec;
mod expand;
mod parse;

use exec::Shell;

/// Write one line of builtin output straight to fd 1: no buffer that
/// could keep failed output and send it later to a restored stdout.
pub fn put(s: &str) {
    write_out("", format!("{s}\n").as_bytes());
}

/// Builtin output with no newline added, straight to fd 1. A write
/// error is reported (as busybox's echo does, naming `who` if given) and
/// gives status 1.
pub fn write_out(who: &str, data: &[u8]) -> i32 {
    let mut b = data;
    while !b.is_empty() {
        // SAFETY: writes from a live buffer.
        let n = unsafe { libc::write(1, b.as_ptr().cast(), b.len()) };
        if n < 0 {
            let e = userland::last_err();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            let sep = if who.is_empty() { "" } else { ": " };
            eprintln!("sh: {who}{sep}write error: {}", userland::strerror(&e));
            return 1;
        }
        b = &b[n as usize..];
    }
    0
}

/// Where command lines come from.
pub trait Lines {
    fn next_line(&mut self, sh: &Shell, prompt: &str) -> Option<String>;
}

impl Lines for edit::Input {
    fn next_line(&mut self, sh: &Shell, prompt: &str) -> Option<String> {
        self.line(prompt, sh, sh.lookup("TERM").as_deref())
    }
}

impl Lines for std::vec::IntoIter<String> {
    fn next_line(&mut self, _: &Shell, _: &str) -> Option<String> {
        self.next()
    }
}

/// Tab completion of command names: builtins, functions and PATH.
impl userland::edit::Complete for Shell {
    fn commands(&self, prefix: &str) -> Vec<String> {
        let mut v: Vec<String> = builtins::names().filter(|b| b.starts_with(prefix)).map(String::from).collect();
        v.extend(self.funcs.keys().filter(|f| f.starts_with(prefix)).cloned());
        v.extend(userland::edit::path_commands(&self.lookup("PATH").unwrap_or_default(), prefix));
        v
    }
    fn home(&self) -> Option<String> {
        self.lookup("HOME")
    }
}

/// The prompt: PS1 with its backslash escapes (\u user, \h \H host,
/// \w \W directory with ~ for $HOME, \$ # for root, \n, \\, \[ \]
/// for non-printing parts) and $NAME / ${NAME} expanded; without PS1,
/// "cwd $ ".
fn prompt(sh: &Shell) -> String {
    let ps1 = sh.lookup("PS1").unwrap_or_else(|| "\\w \\$ ".into());
    expand_prompt(sh, &ps1)
}

fn expand_prompt(sh: &Shell, ps: &str) -> String {
    let cwd = std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_else(|_| "?".into());
    let home = sh.lookup("HOME").filter(|h| h.len() > 1);
    let tilde = match &home {
        Some(h) if cwd == *h => "~".to_string(),
        Some(h) if cwd.starts_with(&format!("{h}/")) => format!("~{}", &cwd[h.len()..]),
        _ => cwd.clone(),
    };
    // SAFETY: geteuid cannot fail.
    let uid = unsafe { libc::geteuid() };
    let mut out = String::new();
    let mut it = ps.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some('u') => out.push_str(&userland::fmt::id_name("/etc/passwd", uid)),
                Some('h') => out.push_str(hostname().split('.').next().unwrap_or("")),
                Some('H') => out.push_str(&hostname()),
                Some('w') => out.push_str(&tilde),
                Some('W') => out.push_str(if tilde == "/" || tilde == "~" { &tilde } else { tilde.rsplit('/').next().unwrap_or("") }),
                Some('$') => out.push(if uid == 0 { '#' } else { '$' }),
                Some('n') => out.push('\n'),
                Some('e') => out.push('\x1b'),
                Some('[') | Some(']') => {}
                Some(o) => {
                    out.push('\\');
                    out.push(o);
                }
                None => out.push('\\'),
            },
            '$' => {
                let braced = it.peek() == Some(&'{');
                if braced {
                    it.next();
                }
                let mut name = String::new();
                while let Some(&n) = it.peek() {
                    if !(n.is_ascii_alphanumeric() || n == '_') {
                        break;
                    }
                    name.push(n);
                    it.next();
                }
                if braced && it.peek() == Some(&'}') {
                    it.next();
                }
                if name.is_empty() {
                    out.push('$');
                } else {
                    out.push_str(&sh.lookup(&name).unwrap_or_default());
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn hostname() -> String {
    // SAFETY: uname fills a struct we own.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return "localhost".into();
        }
        std::ffi::CStr::from_ptr(u.nodename.as_ptr()).to_string_lossy().into_owned()
    }
}

/// Read, parse and run commands until end of input or `exit`.
pub fn run_lines(sh: &mut Shell, src: &mut dyn Lines) {
    loop {
        if sh.interactive {
            sh.notify();
        }
        let p = if sh.interactive { prompt(sh) } else { String::new() };
        let Some(mut text) = src.next_line(sh, &p) else { return };
        sh.lineno += 1;
        let first_line = sh.lineno;
        sh.interrupted = false;
        loop {
            let expanded = alias::expand(&text, &sh.aliases);
            match parse::parse(&expanded) {
                Ok(list) => {
                    sh.lineno = first_line;
                    sh.run_list(&list);
                    sh.lineno = sh.lineno.max(first_line + text.matches('\n').count());
                    break;
                }
                Err(parse::Error::Incomplete) => match src.next_line(sh, &if sh.interactive { expand_prompt(sh, &sh.lookup("PS2").unwrap_or_else(|| "> ".into())) } else { String::new() }) {
                    Some(more) => {
                        text.push('\n');
                        text.push_str(&more);
                    }
                    None => {
                        syntax_error(sh, "unexpected end of file");
                        break;
                    }
                },
                Err(parse::Error::Syntax(m)) => {
                    syntax_error(sh, &m);
                    break;
                }
            }
        }
        if sh.exit_req.is_some() {
            return;
        }
    }
}

/// A syntax error ends a non-interactive shell with status 2 (POSIX).
fn syntax_error(sh: &mut Shell, msg: &str) {
    eprintln!("sh: syntax error: {msg}");
    sh.status = 2;
    if !sh.interactive {
        sh.exit_req = Some(2);
    }
}

/// Run a script file with its own positional parameters (`sh file`, `.`).
pub fn run_file(sh: &mut Shell, path: &str, args: Vec<String>) -> i32 {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("sh: {}: {}", path, userland::strerror(&e));
            return 127;
        }
    };
    let saved = std::mem::replace(&mut sh.args, std::iter::once(path.to_string()).chain(args).collect());
    let lines: Vec<String> = text.lines().map(String::from).collect();
    let line = std::mem::replace(&mut sh.lineno, 0);
    run_lines(sh, &mut lines.into_iter());
    sh.lineno = line;
    sh.args = saved;
    sh.exit_req.unwrap_or(sh.status)
}

/// A login shell reads /etc/profile, then $HOME/.profile, if they exist.
/// SH_ETC_PROFILE replaces /etc/profile (host tests: the host's own is
/// for bash).
fn read_profiles(sh: &mut Shell) {
    let mut files = vec![std::env::var("SH_ETC_PROFILE").unwrap_or_else(|_| "/etc/profile".into())];
    if let Some(h) = sh.lookup("HOME") {
        files.push(format!("{}/.profile", h.trim_end_matches('/')));
    }
    for f in files {
        if std::path::Path::new(&f).is_file() {
            let args = sh.args[1..].to_vec();
            run_file(sh, &f, args);
            if sh.exit_req.is_some() {
                return;
            }
        }
    }
}

/// Take the terminal for job control: own process group, ignore the
/// job-control signals in the shell itself.
fn setup_job_control(sh: &mut Shell) {
    // SAFETY: process-group and signal calls on this process.
    unsafe {
        // Wait until we are in the foreground before taking over.
        while libc::tcgetpgrp(0) != libc::getpgrp() {
            libc::kill(-libc::getpgrp(), libc::SIGTTIN);
            if libc::tcgetpgrp(0) < 0 {
                break;
            }
        }
        for s in exec::JOB_SIGNALS {
            exec::set_signal(s, libc::SIG_IGN);
        }
        let pid = libc::getpid();
        libc::setpgid(pid, pid); // fails harmlessly for a session leader
        sh.shell_pgid = libc::getpgrp();
        libc::tcsetpgrp(0, sh.shell_pgid);
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let mut sh = Shell::new(vec![argv[0].clone()]);
    let mut force_interactive = false;
    // A login shell: argv[0] starting with '-' (as init, getty and login
    // start it) or -l.
    let mut login = argv[0].starts_with('-');
    let mut i = 1;
    // Leading option words: -i, -l, -e, -x (combinable, e.g. -ex).
    while let Some(a) = argv.get(i).filter(|a| a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| "ilex".contains(c))) {
        force_interactive |= a.contains('i');
        login |= a.contains('l');
        sh.errexit |= a.contains('e');
        sh.xtrace |= a.contains('x');
        i += 1;
    }
    if sh.lookup("PATH").is_none() {
        sh.set_var("PATH", "/bin:/usr/bin");
        sh.exported.insert("PATH".into());
    }
    if let Ok(cwd) = std::env::current_dir() {
        sh.set_var("PWD", &cwd.display().to_string());
    }
    let code = match argv.get(i).map(|s| s.as_str()) {
        Some("-c") => {
            let Some(cmd) = argv.get(i + 1) else {
                eprintln!("usage: sh [-i] [-c command [name [arg...]] | file [arg...]]");
                std::process::exit(2);
            };
            let rest = argv[(i + 2).min(argv.len())..].to_vec();
            sh.args = if rest.is_empty() { vec![argv[0].clone()] } else { rest };
            let lines: Vec<String> = cmd.lines().map(String::from).collect();
            run_lines(&mut sh, &mut lines.into_iter());
            sh.exit_req.unwrap_or(sh.status)
        }
        Some(file) => {
            let file = file.to_string();
            run_file(&mut sh, &file, argv[i + 1..].to_vec())
        }
        None => {
            sh.interactive = force_interactive || (userland::isatty(0) && userland::isatty(2));
            if sh.interactive {
                setup_job_control(&mut sh);
            }
            if login {
                read_profiles(&mut sh);
            }
            let mut input = edit::Input::new(userland::isatty(0));
            run_lines(&mut sh, &mut input);
            sh.exit_req.unwrap_or(sh.status)
        }
    };
    let _ = std::io::Write::flush(&mut std::io::stdout());
    std::process::exit(code);
}
