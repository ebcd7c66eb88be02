//! init: the first process.
//!
//! Argument convention (the boot line's `init=PATH ARGS...` arrive as
//! init's arguments):
//!
//!   init                   normal boot: make sure fds 0,1,2 are open on
//!                          /dev/console, run `/bin/sh /etc/rc` if /etc/rc
//!                          exists, then run /bin/sh on the console and
//!                          start it again whenever it exits.
//!   init [-n] -- CMD ARGS  run CMD ARGS (CMD searched in /bin:/sbin:/usr/bin
//!                          if it has no '/') instead of the console shell,
//!                          wait for it, print `init exited with status N`
//!                          as the last line, sync and power off. (As pid 1
//!                          it first SIGKILLs what is left, so no orphan
//!                          prints after that line.)
//!   init [-n] /PATH ARGS   the same without `--` when CMD is absolute.
//!
//! `-n` or the environment variable INIT_NO_POWEROFF=1 skip the power-off
//! and make init exit with N instead (host tests: reboot(2) needs
//! privilege). INIT_SHELL and INIT_RC replace /bin/sh and /etc/rc (so
//! the respawn loop can be tested on a host). In both modes init reaps
//! every orphan (wait in a loop). N is the exit status, or 128 + the
//! signal number if it was killed.
//!
//! Syscalls: fcntl, open, fork, execve, setsid, ioctl(TIOCSCTTY), wait4,
//! kill(-1), sync, reboot, nanosleep.

use std::ffi::CString;
use std::time::{Duration, Instant};

const SHELL: &str = "/bin/sh";
const RC: &str = "/etc/rc";

fn setting(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_string())
}
const PATH: &str = "/bin:/sbin:/usr/bin";

fn main() {
    console();
    if std::env::var_os("PATH").is_none() {
        std::env::set_var("PATH", PATH);
    }
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut poweroff = std::env::var("INIT_NO_POWEROFF").map(|v| v != "1").unwrap_or(true);
    while let Some(a) = args.first() {
        match a.as_str() {
            "-n" => poweroff = false,
            "--" => {
                args.remove(0);
                break;
            }
            _ if a.starts_with('/') => break,
            _ => {} // other boot words are ignored, as by other inits
        }
        args.remove(0);
    }
    if args.is_empty() {
        boot();
    }
    let status = run_command(&args);
    if poweroff && std::process::id() == 1 {
        // Orphans must not print after the status line: stop them all.
        // Only as the real init: kill(-1) anywhere else would hit
        // every process of the user.
        // SAFETY: kill with pid -1 signals every process but init.
        unsafe { libc::kill(-1, libc::SIGKILL) };
        while unsafe { libc::waitpid(-1, std::ptr::null_mut(), 0) } > 0 {}
    }
    println!("init exited with status {status}");
    if poweroff {
        userland::power(libc::LINUX_REBOOT_CMD_POWER_OFF);
    }
    std::process::exit(status);
}

/// Open /dev/console on whichever of fds 0, 1, 2 are closed. open(2)
/// returns the lowest free descriptor, so opening in order fills them.
fn console() {
    for fd in 0..3 {
        // SAFETY: F_GETFD only asks whether the descriptor is open.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0 {
            continue;
        }
        // SAFETY: open with constant C strings.
        let got = unsafe {
            let c = libc::open(c"/dev/console".as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
            if c >= 0 { c } else { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) }
        };
        if got >= 0 && got != fd {
            // SAFETY: move it to the wanted number.
            unsafe {
                libc::dup2(got, fd);
                libc::close(got);
            }
        }
    }
}

/// Normal boot: /etc/rc, then a console shell forever.
fn boot() -> ! {
    let (shell, rc) = (setting("INIT_SHELL", SHELL), setting("INIT_RC", RC));
    if std::path::Path::new(&rc).exists() {
        if let Some(pid) = spawn(&[shell.clone(), rc], false) {
            wait_for(pid);
        }
    }
    // A login shell, as getty and login would start it: "-sh" reads
    // /etc/profile (the environment, the motd).
    let login = format!("-{}", shell.rsplit('/').next().unwrap_or("sh"));
    loop {
        let started = Instant::now();
        match spawn_as(&shell, std::slice::from_ref(&login), true) {
            Some(pid) => {
                let st = wait_for(pid);
                println!("\ninit: the console shell ended (status {st}); starting a new login shell");
            }
            None => eprintln!("init: cannot start {shell}"),
        }
        // Don't spin if the shell dies at once (missing, broken tty).
        if started.elapsed() < Duration::from_secs(1) {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

/// Run the boot command and return its status.
fn run_command(args: &[String]) -> i32 {
    match spawn(args, true) {
        Some(pid) => wait_for(pid),
        None => 127,
    }
}

/// Reap children until `pid` ends (reaping orphans on the way);
/// returns its status as a shell would show it.
fn wait_for(pid: i32) -> i32 {
    loop {
        let mut st = 0;
        // SAFETY: wait for any child into our status word.
        let r = unsafe { libc::waitpid(-1, &mut st, 0) };
        if r == pid {
            return if libc::WIFEXITED(st) { libc::WEXITSTATUS(st) } else { 128 + libc::WTERMSIG(st) };
        }
        if r < 0 && userland::last_err().raw_os_error() == Some(libc::ECHILD) {
            return 127;
        }
    }
}

/// fork + execve. With `session`, the child gets its own session with
/// the console as controlling terminal, so job control and ^C work.
fn spawn(args: &[String], session: bool) -> Option<i32> {
    spawn_as(&args[0], args, session)
}

/// spawn with the program's path apart from its argv (argv[0] "-sh").
fn spawn_as(cmd: &str, args: &[String], session: bool) -> Option<i32> {
    let paths = candidates(cmd);
    let c_paths: Vec<CString> = paths.iter().filter_map(|p| CString::new(p.as_str()).ok()).collect();
    let c_args: Vec<CString> = args.iter().filter_map(|a| CString::new(a.as_str()).ok()).collect();
    let mut argv: Vec<*const libc::c_char> = c_args.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let env: Vec<CString> = std::env::vars().filter_map(|(k, v)| CString::new(format!("{k}={v}")).ok()).collect();
    let mut envp: Vec<*const libc::c_char> = env.iter().map(|e| e.as_ptr()).collect();
    envp.push(std::ptr::null());
    let _ = std::io::Write::flush(&mut std::io::stdout());
    // SAFETY: the child only calls async-signal-safe functions before execve.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        userland::warn("fork", &userland::last_err());
        return None;
    }
    if pid == 0 {
        // SAFETY: in the new child; all pointers stay valid until execve.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            if session {
                libc::setsid();
                libc::ioctl(0, libc::TIOCSCTTY, 0);
            }
            for p in &c_paths {
                libc::execve(p.as_ptr(), argv.as_ptr(), envp.as_ptr());
            }
            let msg = format!("init: {}: {}\n", args[0], userland::strerror(&userland::last_err()));
            libc::write(2, msg.as_ptr().cast(), msg.len());
            libc::_exit(127);
        }
    }
    Some(pid)
}

/// Where to look for a command: as given if it has a '/', else in PATH.
fn candidates(cmd: &str) -> Vec<String> {
    if cmd.contains('/') {
        return vec![cmd.to_string()];
    }
    let path = std::env::var("PATH").unwrap_or_else(|_| PATH.into());
    path.split(':').map(|d| format!("{d}/{cmd}")).collect()
}
