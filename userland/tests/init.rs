//! init's boot-command mode. Always with -n or INIT_NO_POWEROFF=1: the
//! tests must never try to power off the host.
mod common;
use common::*;

fn init(dir: &std::path::Path, args: &[&str]) -> Run {
    let mut a = vec!["-n"];
    a.extend_from_slice(args);
    tool(dir, "init", &a, "")
}

#[test]
fn runs_command_and_reports_status_last() {
    let t = Tmp::new();
    t.write("x", "");
    let r = init(&t.0, &["--", "sh", "-c", "ls; exit 3"]);
    assert_eq!(r.out, "x\ninit exited with status 3\n");
    assert_eq!(r.code, 3);
}

#[test]
fn absolute_command_without_dashes_and_env_switch() {
    let t = Tmp::new();
    let sh = bin_dir().join("sh");
    let mut c = cmd("init", &t.0);
    c.env("INIT_NO_POWEROFF", "1").args([sh.to_str().unwrap(), "-c", "echo hi"]);
    let o = c.output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "hi\ninit exited with status 0\n");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn signal_death_is_128_plus_signal() {
    let t = Tmp::new();
    let r = init(&t.0, &["--", "sh", "-c", "kill -9 $$"]);
    assert_eq!(r.out.lines().last(), Some("init exited with status 137"));
}

#[test]
fn missing_command_is_127() {
    let t = Tmp::new();
    let r = init(&t.0, &["--", "/no/such/program"]);
    assert_eq!(r.out, "init exited with status 127\n");
    assert!(r.err.contains("/no/such/program: No such file or directory"), "{}", r.err);
}

#[test]
fn waits_for_command_not_its_orphans() {
    let t = Tmp::new();
    let start = std::time::Instant::now();
    let r = init(&t.0, &["--", "sh", "-c", "sleep 0.2 & echo parent done"]);
    assert_eq!(r.out, "parent done\ninit exited with status 0\n");
    assert!(start.elapsed().as_secs_f64() < 5.0);
}

#[test]
fn opens_console_fds_when_closed() {
    // With stdin closed, init must still find fds 0-2 open for its child.
    let t = Tmp::new();
    let mut c = cmd("init", &t.0);
    c.args(["-n", "--", "sh", "-c", "test -e /proc/self/fd/0 && echo fd0 open"]);
    use std::os::unix::process::CommandExt;
    // SAFETY: close(2) is async-signal-safe, fine between fork and exec.
    unsafe {
        c.pre_exec(|| {
            libc::close(0);
            Ok(())
        });
    }
    let o = c.output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "fd0 open\ninit exited with status 0\n");
}

#[test]
fn normal_boot_runs_rc_once_and_respawns_the_shell() {
    let t = Tmp::new();
    let log = t.path("log");
    t.write("rc", &format!("echo rc >> {}\n", log.display()));
    // The "console shell": runs its script argument (the rc file) if it
    // has one, else logs its start and exits at once.
    let script = format!("#!{}\nif test -n \"$1\"; then . \"$1\"; else echo shell >> {}; fi\n", bin_dir().join("sh").display(), log.display());
    t.write("fake-shell", &script);
    std::fs::set_permissions(t.path("fake-shell"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut c = cmd("init", &t.0);
    c.env("INIT_SHELL", t.path("fake-shell")).env("INIT_RC", t.path("rc")).env("INIT_NO_POWEROFF", "1");
    c.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null());
    let mut child = c.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    child.kill().unwrap();
    child.wait().unwrap();
    let text = t.read("log");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "rc", "{text}");
    assert!(lines[1..].iter().all(|l| *l == "shell"), "{text}");
    assert!(lines.len() >= 3, "shell respawned: {text}");
}
