//! Running parsed commands: fork/execve, pipes, redirections, job
//! control with process groups, and the job table.
//!
//! Syscalls used: fork, execve, wait4 (waitpid), pipe2, dup2, fcntl
//! (F_DUPFD_CLOEXEC), setpgid, getpgrp, tcsetpgrp, kill, sigaction,
//! open, close, chdir, getcwd.

use crate::expand::{expand, expand_one, Env};
use crate::parse::{AndOr, Cmd, List, Op, Part, Pipeline, RKind, Redir, Simple};
use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::io::Write;

pub struct Job {
    pub id: usize,
    pub pgid: i32,
    /// Each process and, once it has ended, its wait status.
    pub procs: Vec<(i32, Option<i32>)>,
    pub text: String,
    pub stopped: bool,
}

impl Job {
    fn done(&self) -> bool {
        self.procs.iter().all(|p| p.1.is_some())
    }
    /// State for `jobs`: Running, Stopped, Done, Exit N or the signal.
    fn state(&self) -> String {
        if !self.done() {
            return if self.stopped { "Stopped" } else { "Running" }.into();
        }
        let st = self.procs.last().and_then(|p| p.1).unwrap_or(0);
        if libc::WIFSIGNALED(st) {
            let sig = libc::WTERMSIG(st);
            let name = userland::SIGNALS.iter().find(|(n, _)| *n == sig).map(|(_, s)| *s).unwrap_or("?");
            format!("Killed (SIG{name})")
        } else {
            match libc::WEXITSTATUS(st) {
                0 => "Done".into(),
                n => format!("Exit {n}"),
            }
        }
    }

    /// Exit status of the job: that of its last process.
    fn status(&self) -> i32 {
        self.procs.last().and_then(|p| p.1).map(status_code).unwrap_or(0)
    }
}

pub struct Shell {
    pub vars: HashMap<String, String>,
    pub exported: HashSet<String>,
    pub status: i32,
    /// $0, $1, ...
    pub args: Vec<String>,
    /// Job control on: jobs get their own process groups and the tty.
    pub interactive: bool,
    pub jobs: Vec<Job>,
    pub last_bg: Option<i32>,
    pub shell_pid: i32,
    pub shell_pgid: i32,
    /// Set by `exit`: the shell should end with this status.
    pub exit_req: Option<i32>,
    /// Set by `break N` / `continue N`: loops still to leave.
    pub loop_ctl: Option<(LoopCtl, usize)>,
    /// How many loops we are inside (break outside a loop is a no-op).
    pub loop_depth: usize,
    /// Status of the last $(...), for a command with no name (POSIX).
    pub subst_status: Option<i32>,
    /// Set by `exec` without a command: keep its redirections.
    pub keep_redirs: bool,
    /// Shell functions by name.
    pub funcs: HashMap<String, Cmd>,
    /// Set by `return`: unwind to the function call.
    pub returning: bool,
    /// A foreground job died of ^C: abandon the rest of the command line
    /// (loops included), as if the shell had been interrupted itself.
    pub interrupted: bool,
    /// `set -e`: exit when a command fails outside a condition.
    pub errexit: bool,
    /// `set -x`: print each command before running it.
    pub xtrace: bool,
    /// Inside an if/while condition or a `!`: -e does not apply.
    pub cond_depth: usize,
    /// `alias name=value`.
    pub aliases: HashMap<String, String>,
    /// $LINENO: the input line the command being run starts on.
    pub lineno: usize,
    /// $RANDOM's generator state (xorshift); `RANDOM=n` seeds it.
    pub rng: std::cell::Cell<u64>,
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum LoopCtl {
    Break,
    Continue,
}

/// Wait status to shell status: exit code, or 128 + signal.
pub fn status_code(st: i32) -> i32 {
    if libc::WIFEXITED(st) {
        libc::WEXITSTATUS(st)
    } else if libc::WIFSIGNALED(st) {
        128 + libc::WTERMSIG(st)
    } else if libc::WIFSTOPPED(st) {
        128 + libc::WSTOPSIG(st)
    } else {
        1
    }
}

/// Install a signal disposition with sigaction.
pub fn set_signal(sig: i32, handler: libc::sighandler_t) {
    // SAFETY: a zeroed sigaction with SIG_IGN/SIG_DFL is valid.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(sig, &sa, std::ptr::null_mut());
    }
}

pub const JOB_SIGNALS: [i32; 5] = [libc::SIGINT, libc::SIGQUIT, libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU];

fn cstr(s: &str) -> CString {
    CString::new(s.replace('\0', "")).unwrap_or_default()
}

fn flush_stdio() {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
}

impl Shell {
    pub fn new(args: Vec<String>) -> Shell {
        let mut sh = Shell {
            vars: HashMap::new(),
            exported: HashSet::new(),
            status: 0,
            args,
            interactive: false,
            jobs: Vec::new(),
            last_bg: None,
            // SAFETY: getpid/getpgrp cannot fail.
            shell_pid: unsafe { libc::getpid() },
            shell_pgid: unsafe { libc::getpgrp() },
            exit_req: None,
            loop_ctl: None,
            loop_depth: 0,
            subst_status: None,
            keep_redirs: false,
            funcs: HashMap::new(),
            returning: false,
            interrupted: false,
            errexit: false,
            xtrace: false,
            cond_depth: 0,
            aliases: HashMap::new(),
            lineno: 0,
            rng: std::cell::Cell::new(0),
        };
        // SAFETY: getpid/getppid cannot fail.
        let (pid, ppid) = unsafe { (libc::getpid(), libc::getppid()) };
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1);
        sh.rng.set(t ^ ((pid as u64) << 32) | 1);
        for (k, v) in std::env::vars_os() {
            let (k, v) = (k.to_string_lossy().into_owned(), v.to_string_lossy().into_owned());
            sh.exported.insert(k.clone());
            sh.vars.insert(k, v);
        }
        sh.vars.insert("PPID".into(), ppid.to_string());
        sh
    }

    /// The next $RANDOM: 0..=32767.
    fn random(&self) -> u64 {
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.set(x);
        (x >> 33) & 0x7fff
    }

    /// Value of a parameter, special or named.
    pub fn lookup(&self, name: &str) -> Option<String> {
        match name {
            "?" => Some(self.status.to_string()),
            "$" => Some(self.shell_pid.to_string()),
            "!" => self.last_bg.map(|p| p.to_string()),
            "#" => Some(self.args.len().saturating_sub(1).to_string()),
            "@" | "*" => Some(self.args.iter().skip(1).cloned().collect::<Vec<_>>().join(" ")),
            "-" => Some(self.flags()),
            "RANDOM" => Some(self.random().to_string()),
            "LINENO" => Some(self.lineno.to_string()),
            _ if name.chars().all(|c| c.is_ascii_digit()) => name.parse::<usize>().ok().and_then(|i| self.args.get(i).cloned()),
            _ => self.vars.get(name).cloned(),
        }
    }

    /// `$-`: the option letters in force.
    fn flags(&self) -> String {
        [(self.errexit, 'e'), (self.interactive, 'i'), (self.xtrace, 'x')].iter().filter(|f| f.0).map(|f| f.1).collect()
    }

    /// `set -x` output: the expanded command on stderr.
    fn trace(&self, words: &[String]) {
        if self.xtrace && !words.is_empty() {
            eprintln!("+ {}", words.join(" "));
        }
    }

    /// `$(src)`: run it in a forked copy of the shell, read its stdout.
    pub fn command_output(&mut self, src: &str) -> String {
        let list = match crate::parse::parse(src) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("sh: syntax error in command substitution: {e:?}");
                self.status = 2;
                return String::new();
            }
        };
        flush_stdio();
        let mut fds = [-1, -1];
        // SAFETY: pipe2 fills our array; fork then only runs our code.
        let pid = unsafe {
            if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) < 0 {
                eprintln!("sh: pipe: {}", userland::strerror(&userland::last_err()));
                return String::new();
            }
            libc::fork()
        };
        if pid == 0 {
            userland::default_sigpipe();
            // SAFETY: in the child: stdout becomes the pipe.
            unsafe {
                libc::dup2(fds[1], 1);
                libc::close(fds[0]);
                libc::close(fds[1]);
                if self.interactive {
                    for s in JOB_SIGNALS {
                        set_signal(s, libc::SIG_DFL);
                    }
                }
            }
            self.interactive = false;
            self.jobs.clear();
            self.run_list(&list);
            flush_stdio();
            // SAFETY: end the child without the parent's cleanup.
            unsafe { libc::_exit(self.exit_req.unwrap_or(self.status)) };
        }
        // SAFETY: the parent keeps only the read end.
        unsafe { libc::close(fds[1]) };
        let mut out = Vec::new();
        // SAFETY: from_raw_fd takes ownership of the read end and closes it.
        let mut f = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fds[0]) };
        let _ = std::io::Read::read_to_end(&mut f, &mut out);
        drop(f);
        if pid > 0 {
            self.subst_status = Some(wait_pid(pid, 0).map(status_code).unwrap_or(1));
        }
        let s = String::from_utf8_lossy(&out).into_owned();
        s.trim_end_matches('\n').to_string()
    }

    pub fn set_var(&mut self, k: &str, v: &str) {
        if k == "RANDOM" {
            self.rng.set(v.parse::<u64>().unwrap_or(0).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            return;
        }
        if k == "PATH" || k == "HOME" || k == "PWD" {
            self.exported.insert(k.to_string());
        }
        self.vars.insert(k.to_string(), v.to_string());
    }

    pub fn run_list(&mut self, list: &List) {
        for (ao, bg) in list {
            if self.exit_req.is_some() || self.loop_ctl.is_some() || self.returning || self.interrupted {
                return;
            }
            self.reap();
            if *bg {
                self.run_background(ao);
            } else {
                let (st, failed_last) = self.run_and_or(ao);
                self.status = st;
                if self.errexit && failed_last && self.cond_depth == 0 && st != 0 {
                    self.exit_req = Some(st);
                }
            }
        }
    }

    /// Run a condition list: `set -e` ignores failures in it.
    fn run_condition(&mut self, list: &List) {
        self.cond_depth += 1;
        self.run_list(list);
        self.cond_depth -= 1;
    }

    /// Returns the status and whether it came from the last pipeline
    /// (only such a failure triggers `set -e`).
    fn run_and_or(&mut self, ao: &AndOr) -> (i32, bool) {
        let mut st = self.run_pipeline(&ao.first, false, &ao.text);
        let mut last = ao.rest.is_empty() && !ao.first.bang;
        for (n, (op, p)) in ao.rest.iter().enumerate() {
            if self.exit_req.is_some() || self.loop_ctl.is_some() || self.returning || self.interrupted {
                break;
            }
            let run = match op {
                Op::And => st == 0,
                Op::Or => st != 0,
            };
            if run {
                self.status = st;
                st = self.run_pipeline(p, false, &ao.text);
                last = n + 1 == ao.rest.len() && !p.bang;
            }
        }
        (st, last)
    }

    /// `cmd &`: a single pipeline becomes the job itself; a longer
    /// and-or list runs in a forked subshell that is the job.
    fn run_background(&mut self, ao: &AndOr) {
        if ao.rest.is_empty() {
            self.run_pipeline(&ao.first, true, &ao.text);
        } else {
            let sub = Pipeline { bang: false, cmds: vec![Cmd::Sub(vec![(ao.clone(), false)], Vec::new())] };
            self.run_pipeline(&sub, true, &ao.text);
        }
        self.status = 0;
    }

    fn run_pipeline(&mut self, p: &Pipeline, bg: bool, text: &str) -> i32 {
        let st = if !bg && p.cmds.len() == 1 && self.runs_in_shell(&p.cmds[0]) {
            match &p.cmds[0] {
                Cmd::Simple(s) => self.run_in_shell(s),
                c => self.run_compound(c),
            }
        } else {
            self.fork_pipeline(p, bg, text)
        };
        if p.bang {
            (st == 0) as i32
        } else {
            st
        }
    }

    /// Builtins and bare assignments run in the shell process itself.
    fn runs_in_shell(&mut self, c: &Cmd) -> bool {
        match c {
            Cmd::Simple(s) => match s.words.first() {
                None => true,
                // A name made by $(...) is never a builtin: expanding it
                // here would run the substitution twice.
                Some(w) if w.iter().any(|p| matches!(p, Part::Cmd(..))) => false,
                Some(w) => {
                    let name = expand_one(w, self);
                    if name == "command" {
                        // `command prog` forks like prog; -v, -V and
                        // builtins run here.
                        return match s.words.get(1) {
                            Some(w) if !w.iter().any(|p| matches!(p, Part::Cmd(..))) => {
                                let arg = expand_one(w, self);
                                arg == "-v" || arg == "-V" || crate::builtins::is_builtin(&arg)
                            }
                            Some(_) => false,
                            None => true,
                        };
                    }
                    crate::builtins::is_builtin(&name) || self.funcs.contains_key(&name)
                }
            },
            Cmd::Sub(..) => false,
            _ => true,
        }
    }

    /// if / while / until / for, run in the current shell.
    pub fn run_compound(&mut self, c: &Cmd) -> i32 {
        match c {
            Cmd::If(arms, otherwise) => {
                for (cond, body) in arms {
                    self.run_condition(cond);
                    if self.status == 0 {
                        self.run_list(body);
                        return self.status;
                    }
                }
                match otherwise {
                    Some(e) => {
                        self.run_list(e);
                        self.status
                    }
                    None => 0,
                }
            }
            Cmd::While(cond, body, until) => self.run_while(cond, body, *until),
            Cmd::Group(list) => {
                self.run_list(list);
                self.status
            }
            Cmd::Case(word, arms) => self.run_case(word, arms),
            Cmd::Func(name, body) => {
                self.funcs.insert(name.clone(), (**body).clone());
                0
            }
            Cmd::Redirected(inner, redirs) => {
                let Ok(saved) = self.redirect_saving(redirs) else { return 1 };
                let st = self.run_compound(inner);
                flush_stdio();
                restore(saved);
                st
            }
            Cmd::For(name, words, body) => {
                let items: Vec<String> = match words {
                    Some(ws) => ws.iter().flat_map(|w| expand(w, self)).collect(),
                    None => self.args.iter().skip(1).cloned().collect(),
                };
                let mut st = 0;
                self.loop_depth += 1;
                for v in items {
                    self.set_var(name, &v);
                    self.run_list(body);
                    st = self.status;
                    if self.end_of_iteration() {
                        break;
                    }
                }
                self.loop_depth -= 1;
                st
            }
            _ => 1,
        }
    }

    /// Run the first arm whose pattern matches the word.
    fn run_case(&mut self, word: &crate::parse::Word, arms: &[(Vec<crate::parse::Word>, List)]) -> i32 {
        let value: Vec<char> = expand_one(word, self).chars().collect();
        for (pats, body) in arms {
            for p in pats {
                let pat = crate::expand::pattern(p, self);
                if crate::expand::fnmatch(&pat, &value) {
                    self.run_list(body);
                    return if body.is_empty() { 0 } else { self.status };
                }
            }
        }
        0
    }

    /// Call a shell function: its arguments become $1..., `return`
    /// unwinds to here.
    pub fn call_function(&mut self, words: &[String]) -> i32 {
        let Some(body) = self.funcs.get(&words[0]).cloned() else { return 127 };
        let zero = self.args.first().cloned().unwrap_or_default();
        let saved = std::mem::replace(&mut self.args, std::iter::once(zero).chain(words[1..].iter().cloned()).collect());
        let depth = std::mem::replace(&mut self.loop_depth, 0);
        let p = Pipeline { bang: false, cmds: vec![body] };
        let mut st = self.run_pipeline(&p, false, &words[0]);
        if std::mem::take(&mut self.returning) {
            st = self.status;
        }
        self.loop_depth = depth;
        self.args = saved;
        st
    }

    fn run_while(&mut self, cond: &List, body: &List, until: bool) -> i32 {
        let mut st = 0;
        self.loop_depth += 1;
        loop {
            self.run_condition(cond);
            if self.exit_req.is_some() || (self.status == 0) == until || self.end_of_iteration() {
                break;
            }
            self.run_list(body);
            st = self.status;
            if self.end_of_iteration() {
                break;
            }
        }
        self.loop_depth -= 1;
        st
    }

    /// After a loop body: true if the loop must stop (exit, break);
    /// consumes one level of break/continue.
    fn end_of_iteration(&mut self) -> bool {
        if self.exit_req.is_some() || self.returning || self.interrupted {
            return true;
        }
        match self.loop_ctl.take() {
            None => false,
            Some((ctl, n)) => {
                if n > 1 {
                    self.loop_ctl = Some((ctl, n - 1));
                    return true;
                }
                ctl == LoopCtl::Break
            }
        }
    }

    fn run_in_shell(&mut self, s: &Simple) -> i32 {
        self.subst_status = None;
        let words: Vec<String> = s.words.iter().flat_map(|w| expand(w, self)).collect();
        for (k, w) in &s.assigns {
            let v = expand_one(w, self);
            self.set_var(k, &v);
        }
        let saved = match self.redirect_saving(&s.redirs) {
            Ok(saved) => saved,
            Err(()) => return 1,
        };
        self.trace(&words);
        let st = if words.is_empty() {
            self.subst_status.unwrap_or(0)
        } else if self.funcs.contains_key(&words[0]) {
            self.call_function(&words)
        } else {
            crate::builtins::run(self, &words)
        };
        flush_stdio();
        if std::mem::take(&mut self.keep_redirs) {
            for (_, copy) in saved {
                // SAFETY: drop the saved copies: the new fds stay.
                unsafe { libc::close(copy) };
            }
        } else {
            restore(saved);
        }
        st
    }

    /// Apply redirections, keeping copies of the old descriptors.
    fn redirect_saving(&mut self, rs: &[Redir]) -> Result<Vec<(i32, i32)>, ()> {
        let mut saved = Vec::new();
        for r in rs {
            // SAFETY: F_DUPFD_CLOEXEC duplicates into a fresh fd >= 10.
            let copy = unsafe { libc::fcntl(r.fd, libc::F_DUPFD_CLOEXEC, 10) };
            saved.push((r.fd, copy));
            if self.redirect(r).is_err() {
                restore(saved);
                return Err(());
            }
        }
        Ok(saved)
    }

    /// Apply one redirection to this process's descriptors.
    fn redirect(&mut self, r: &Redir) -> Result<(), ()> {
        let target = expand_one(&r.target, self);
        let fd = match r.kind {
            RKind::Dup => {
                if target == "-" {
                    // SAFETY: closing a descriptor number.
                    unsafe { libc::close(r.fd) };
                    return Ok(());
                }
                match target.parse::<i32>() {
                    Ok(n) => n,
                    Err(_) => {
                        eprintln!("sh: {target}: bad file descriptor");
                        return Err(());
                    }
                }
            }
            RKind::Here => here_pipe(&target)?,
            _ => {
                let flags = match r.kind {
                    RKind::In => libc::O_RDONLY,
                    RKind::Out => libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC,
                    _ => libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND,
                };
                // SAFETY: open with a valid C string.
                let fd = unsafe { libc::open(cstr(&target).as_ptr(), flags | libc::O_CLOEXEC, 0o666) };
                if fd < 0 {
                    eprintln!("sh: {}: {}", target, userland::strerror(&userland::last_err()));
                    return Err(());
                }
                fd
            }
        };
        // SAFETY: dup2 between descriptor numbers.
        if unsafe { libc::dup2(fd, r.fd) } < 0 {
            eprintln!("sh: {}: {}", fd, userland::strerror(&userland::last_err()));
            return Err(());
        }
        if r.kind != RKind::Dup && fd != r.fd {
            // SAFETY: closing the temporary descriptor we opened.
            unsafe { libc::close(fd) };
        }
        Ok(())
    }

    /// Fork one process per command, connected by pipes.
    fn fork_pipeline(&mut self, p: &Pipeline, bg: bool, text: &str) -> i32 {
        // A lone simple command's words are expanded here, in the shell,
        // so that ${X:=v} and $(...) side effects stay (as in other shells).
        let mut pre = match p.cmds.as_slice() {
            [Cmd::Simple(s)] => Some(s.words.iter().flat_map(|w| expand(w, self)).collect::<Vec<String>>()),
            _ => None,
        };
        flush_stdio();
        let mut pgid = 0;
        let mut procs = Vec::new();
        let mut prev_read = -1;
        for (i, cmd) in p.cmds.iter().enumerate() {
            let last = i + 1 == p.cmds.len();
            let mut fds = [-1, -1];
            // SAFETY: pipe2 fills the array we own.
            if !last && unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
                eprintln!("sh: pipe: {}", userland::strerror(&userland::last_err()));
                break;
            }
            // SAFETY: fork; the child only runs this shell's own code.
            let pid = unsafe { libc::fork() };
            if pid < 0 {
                eprintln!("sh: fork: {}", userland::strerror(&userland::last_err()));
                break;
            }
            if pid == 0 {
                self.child(cmd, pre.take(), pgid, bg, [prev_read, fds[1]], fds[0]);
            }
            if pgid == 0 {
                pgid = pid;
            }
            if self.interactive {
                // Also done in the child: whichever runs first wins the race.
                // SAFETY: setpgid on our own child.
                unsafe { libc::setpgid(pid, pgid) };
            }
            // SAFETY: closing the parent's copies of the pipe ends.
            unsafe {
                if prev_read >= 0 {
                    libc::close(prev_read);
                }
                if fds[1] >= 0 {
                    libc::close(fds[1]);
                }
            }
            prev_read = fds[0];
            procs.push((pid, None));
        }
        if procs.is_empty() {
            return 1;
        }
        let id = self.jobs.iter().map(|j| j.id).max().unwrap_or(0) + 1;
        let job = Job { id, pgid, procs, text: text.to_string(), stopped: false };
        if bg {
            self.last_bg = job.procs.last().map(|p| p.0);
            if self.interactive {
                eprintln!("[{}] {}", job.id, job.procs.last().map(|p| p.0).unwrap_or(0));
            }
            self.jobs.push(job);
            return 0;
        }
        self.foreground(job)
    }

    /// Child side of a fork: wire up, then run the command; never returns.
    fn child(&mut self, cmd: &Cmd, words: Option<Vec<String>>, pgid: i32, bg: bool, io: [i32; 2], unused: i32) -> ! {
        userland::default_sigpipe();
        // SAFETY: all calls below act on this new process only.
        unsafe {
            if self.interactive {
                libc::setpgid(0, pgid);
                if !bg {
                    libc::tcsetpgrp(0, if pgid == 0 { libc::getpid() } else { pgid });
                }
                for s in JOB_SIGNALS {
                    set_signal(s, libc::SIG_DFL);
                }
            } else if bg {
                // Without job control, background jobs must not read the
                // terminal or die of the terminal's ^C (POSIX).
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
                if null >= 0 {
                    libc::dup2(null, 0);
                    libc::close(null);
                }
                set_signal(libc::SIGINT, libc::SIG_IGN);
                set_signal(libc::SIGQUIT, libc::SIG_IGN);
            }
            if io[0] >= 0 {
                libc::dup2(io[0], 0);
                libc::close(io[0]);
            }
            if io[1] >= 0 {
                libc::dup2(io[1], 1);
                libc::close(io[1]);
            }
            if unused >= 0 {
                libc::close(unused);
            }
        }
        self.interactive = false;
        self.jobs.clear();
        let st = match cmd {
            Cmd::Simple(s) => self.exec_simple(s, words),
            Cmd::Sub(list, redirs) => {
                if self.redirect_saving(redirs).is_ok() {
                    self.run_list(list);
                    self.exit_req.unwrap_or(self.status)
                } else {
                    1
                }
            }
            c => {
                let st = self.run_compound(c);
                self.exit_req.unwrap_or(st)
            }
        };
        flush_stdio();
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(st) }
    }

    /// In a child: expand, redirect, then run a builtin or execve.
    fn exec_simple(&mut self, s: &Simple, words: Option<Vec<String>>) -> i32 {
        let words = match words {
            Some(w) => w,
            None => s.words.iter().flat_map(|w| expand(w, self)).collect(),
        };
        for (k, w) in &s.assigns {
            let v = expand_one(w, self);
            self.set_var(k, &v);
            self.exported.insert(k.clone());
        }
        for r in &s.redirs {
            if self.redirect(r).is_err() {
                return 1;
            }
        }
        self.trace(&words);
        let Some(name) = words.first() else { return 0 };
        if self.funcs.contains_key(name) {
            let st = self.call_function(&words);
            return self.exit_req.unwrap_or(st);
        }
        if crate::builtins::is_builtin(name) {
            let st = crate::builtins::run(self, &words);
            return self.exit_req.unwrap_or(st);
        }
        self.exec(&words)
    }

    /// execve the command, searching PATH; returns only on failure.
    pub fn exec(&mut self, words: &[String]) -> i32 {
        let name = &words[0];
        let argv: Vec<CString> = words.iter().map(|w| cstr(w)).collect();
        let mut argp: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
        argp.push(std::ptr::null());
        let env: Vec<CString> = self.exported.iter().filter_map(|k| self.vars.get(k).map(|v| cstr(&format!("{k}={v}")))).collect();
        let mut envp: Vec<*const libc::c_char> = env.iter().map(|a| a.as_ptr()).collect();
        envp.push(std::ptr::null());
        let candidates: Vec<String> = if name.contains('/') {
            vec![name.clone()]
        } else {
            let path = self.vars.get("PATH").cloned().unwrap_or_else(|| "/bin:/usr/bin".into());
            path.split(':').map(|d| format!("{}/{}", if d.is_empty() { "." } else { d }, name)).collect()
        };
        let mut err = libc::ENOENT;
        for c in &candidates {
            let cp = cstr(c);
            // SAFETY: argv and envp are NULL-terminated arrays of C strings.
            unsafe { libc::execve(cp.as_ptr(), argp.as_ptr(), envp.as_ptr()) };
            let e = userland::last_err().raw_os_error().unwrap_or(libc::ENOENT);
            if e == libc::ENOEXEC {
                // No #! line: run it as a shell script, as POSIX asks.
                return crate::run_file(self, c, words[1..].to_vec());
            }
            if e != libc::ENOENT && e != libc::ENOTDIR {
                err = e;
            }
        }
        if err == libc::ENOENT {
            eprintln!("sh: {name}: not found");
            127
        } else {
            eprintln!("sh: {}: {}", name, userland::errno_text(err));
            126
        }
    }

    /// Give a job the terminal, wait for it, take the terminal back.
    pub fn foreground(&mut self, mut job: Job) -> i32 {
        if self.interactive {
            // SAFETY: hands the tty to the job's process group.
            unsafe { libc::tcsetpgrp(0, job.pgid) };
        }
        job.stopped = false;
        let flags = if self.interactive { libc::WUNTRACED } else { 0 };
        for i in 0..job.procs.len() {
            if job.procs[i].1.is_some() {
                continue;
            }
            match wait_pid(job.procs[i].0, flags) {
                Some(st) if libc::WIFSTOPPED(st) => {
                    job.stopped = true;
                    break;
                }
                Some(st) => job.procs[i].1 = Some(st),
                None => job.procs[i].1 = Some(0),
            }
        }
        if self.interactive {
            // SAFETY: takes the tty back for the shell's group.
            unsafe { libc::tcsetpgrp(0, self.shell_pgid) };
        }
        if job.stopped {
            eprintln!("\n[{}]+  Stopped  {}", job.id, job.text);
            self.jobs.retain(|j| j.id != job.id);
            self.jobs.push(job);
            return 128 + libc::SIGTSTP;
        }
        let st = job.status();
        if self.interactive && st == 128 + libc::SIGINT {
            eprintln!();
            self.interrupted = true;
        }
        self.jobs.retain(|j| j.id != job.id);
        st
    }

    /// Collect finished background processes without blocking.
    pub fn reap(&mut self) {
        loop {
            let mut st = 0;
            // SAFETY: waitpid with WNOHANG on any child.
            let pid = unsafe { libc::waitpid(-1, &mut st, libc::WNOHANG | libc::WUNTRACED) };
            if pid <= 0 {
                return;
            }
            for j in &mut self.jobs {
                for p in &mut j.procs {
                    if p.0 == pid {
                        if libc::WIFSTOPPED(st) {
                            j.stopped = true;
                        } else {
                            p.1 = Some(st);
                        }
                    }
                }
            }
        }
    }

    /// Before a prompt: report and forget jobs that have finished.
    pub fn notify(&mut self) {
        self.reap();
        for j in self.jobs.iter().filter(|j| j.done()) {
            eprintln!("[{}]+  {}  {}", j.id, j.state(), j.text);
        }
        self.jobs.retain(|j| !j.done());
    }

    /// Print the job table (the `jobs` builtin); finished jobs go away.
    pub fn list_jobs(&mut self) {
        self.reap();
        for j in &self.jobs {
            out!("[{}]  {}  {}", j.id, j.state(), j.text);
        }
        self.jobs.retain(|j| !j.done());
    }

    /// Find a job by `%n`, a pid, or (None) the most recent one.
    pub fn find_job(&self, spec: Option<&str>) -> Option<usize> {
        match spec {
            None => self.jobs.len().checked_sub(1),
            Some(s) if s.starts_with('%') => {
                let n: usize = s[1..].parse().ok()?;
                self.jobs.iter().position(|j| j.id == n)
            }
            Some(s) => {
                let pid: i32 = s.parse().ok()?;
                self.jobs.iter().position(|j| j.procs.iter().any(|p| p.0 == pid))
            }
        }
    }

    /// Block until every process of job `i` ends; returns its status.
    pub fn wait_job(&mut self, i: usize) -> i32 {
        let mut job = self.jobs.remove(i);
        for p in &mut job.procs {
            if p.1.is_none() {
                p.1 = Some(wait_pid(p.0, 0).unwrap_or(0));
            }
        }
        job.status()
    }

    /// Send SIGCONT to each process of a job.
    pub fn continue_job(&mut self, i: usize) {
        self.jobs[i].stopped = false;
        for p in &self.jobs[i].procs {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(p.0, libc::SIGCONT) };
        }
    }
}

/// A pipe whose read end yields `body`. Small bodies fit in the pipe
/// buffer (PIPE_BUF is at least 4096); larger ones are fed by a child.
fn here_pipe(body: &str) -> Result<i32, ()> {
    let mut fds = [-1, -1];
    // SAFETY: pipe2 fills our array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        eprintln!("sh: pipe: {}", userland::strerror(&userland::last_err()));
        return Err(());
    }
    let write_all = |fd: i32| {
        let mut b = body.as_bytes();
        while !b.is_empty() {
            // SAFETY: writes from a live slice.
            let n = unsafe { libc::write(fd, b.as_ptr().cast(), b.len()) };
            if n <= 0 {
                break;
            }
            b = &b[n as usize..];
        }
    };
    if body.len() <= 4096 {
        write_all(fds[1]);
    } else {
        flush_stdio();
        // SAFETY: the child only writes the body and exits.
        if unsafe { libc::fork() } == 0 {
            write_all(fds[1]);
            // SAFETY: ends the writer child.
            unsafe { libc::_exit(0) };
        }
    }
    // SAFETY: the write end is no longer needed here.
    unsafe { libc::close(fds[1]) };
    Ok(fds[0])
}

/// waitpid, retrying on EINTR; None if the child is gone.
fn wait_pid(pid: i32, flags: i32) -> Option<i32> {
    loop {
        let mut st = 0;
        // SAFETY: waitpid into our status word.
        let r = unsafe { libc::waitpid(pid, &mut st, flags) };
        if r == pid {
            return Some(st);
        }
        if r < 0 && userland::last_err().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        return None;
    }
}

/// Put saved descriptors back after an in-shell redirection.
fn restore(saved: Vec<(i32, i32)>) {
    for (fd, copy) in saved.into_iter().rev() {
        // SAFETY: dup2/close on descriptors we saved.
        unsafe {
            if copy >= 0 {
                libc::dup2(copy, fd);
                libc::close(copy);
            } else {
                libc::close(fd);
            }
        }
    }
}

impl Env for Shell {
    fn var(&self, name: &str) -> Option<String> {
        self.lookup(name)
    }
    fn subst(&mut self, src: &str) -> String {
        self.command_output(src)
    }
    fn assign(&mut self, name: &str, value: &str) {
        self.set_var(name, value);
    }
    fn positional(&self) -> Vec<String> {
        self.args.iter().skip(1).cloned().collect()
    }
    fn arith(&mut self, src: &str) -> String {
        match crate::arith::eval(src, &|n| self.lookup(n)) {
            Ok(v) => v.to_string(),
            Err(m) => {
                eprintln!("sh: arithmetic: {m}");
                self.status = 1;
                String::new()
            }
        }
    }
}
