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
    let line = format!("{s}\n");
    let mut b = line.as_bytes();
    while !b.is_empty() {
        // SAFETY: writes from a live buffer.
        let n = unsafe { libc::write(1, b.as_ptr().cast(), b.len()) };
        if n < 0 {
            let e = userland::last_err();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            eprintln!("sh: write error: {}", userland::strerror(&e));
            return;
        }
        b = &b[n as usize..];
    }
}

/// Where command lines come from.
trait Lines {
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

fn prompt(sh: &Shell) -> String {
    let cwd = std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_else(|_| "?".into());
    // SAFETY: geteuid cannot fail.
    let mark = if unsafe { libc::geteuid() } == 0 { '#' } else { '$' };
    let _ = sh;
    format!("{cwd} {mark} ")
}

/// Read, parse and run commands until end of input or `exit`.
fn run_lines(sh: &mut Shell, src: &mut dyn Lines) {
    loop {
        if sh.interactive {
            sh.notify();
        }
        let p = if sh.interactive { prompt(sh) } else { String::new() };
        let Some(mut text) = src.next_line(sh, &p) else { return };
        sh.interrupted = false;
        loop {
            match parse::parse(&text) {
                Ok(list) => {
                    sh.run_list(&list);
                    break;
                }
                Err(parse::Error::Incomplete) => match src.next_line(sh, "> ") {
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
    run_lines(sh, &mut lines.into_iter());
    sh.args = saved;
    sh.exit_req.unwrap_or(sh.status)
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
    let mut i = 1;
    // Leading option words: -i, -e, -x (combinable, e.g. -ex).
    while let Some(a) = argv.get(i).filter(|a| a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| "iex".contains(c))) {
        force_interactive |= a.contains('i');
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
            run_lines(&mut sh, &mut vec![cmd.clone()].into_iter());
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
            let mut input = edit::Input::new(userland::isatty(0));
            run_lines(&mut sh, &mut input);
            sh.exit_req.unwrap_or(sh.status)
        }
    };
    let _ = std::io::Write::flush(&mut std::io::stdout());
    std::process::exit(code);
}
