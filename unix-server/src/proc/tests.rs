use super::status::*;
use super::*;
use crate::fd::FileObject;
use crate::signal::{SigAction, SigSet};

struct F;
impl FileObject for F {
    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}

fn sys() -> ProcTable {
    let t = ProcTable::new();
    t.create_init(Credentials::root()).unwrap();
    t
}
fn info(sig: Signo) -> Siginfo {
    Siginfo::new(sig as i32, SI_USER)
}
fn child(info: WaitOutcome) -> WaitInfo {
    match info {
        WaitOutcome::Child(i) => i,
        WaitOutcome::WouldBlock => panic!("expected a child"),
    }
}

#[test]
fn status_encoding() {
    assert_eq!(exited(3), 0x300);
    assert!(wifexited(exited(3)) && wexitstatus(exited(3)) == 3);
    let s = signaled(SIGSEGV, true);
    assert!(wifsignaled(s) && wtermsig(s) == SIGSEGV && wcoredump(s) && !wifexited(s));
    assert_eq!(stopped(SIGTSTP), 0x147f);
    assert!(wifstopped(stopped(SIGTSTP)) && !wifsignaled(stopped(SIGTSTP)));
    assert!(wifcontinued(CONTINUED) && !wifexited(CONTINUED) && !wifsignaled(CONTINUED));
}

#[test]
fn init_and_fork_share_files_and_copy_state() {
    let t = sys();
    assert_eq!(t.create_init(Credentials::root()).err(), Some(Errno::EEXIST));
    let init = t.get(1).unwrap();
    let of = OpenFile::new(Arc::new(F), 0);
    init.fds.lock().install(of.clone(), false, 1024).unwrap();
    {
        let mut st = init.state.lock();
        st.cwd = "/home".into();
        st.signals.sigaction(SIGUSR1, Some(SigAction { handler: 0x1234, ..Default::default() })).unwrap();
        st.signals.sigprocmask(SIG_BLOCK, Some(SigSet::of(SIGUSR2))).unwrap();
        st.signals.post(SIGUSR2, info(SIGUSR2)).unwrap();
    }
    let c = t.fork(1).unwrap();
    assert_eq!(c.pid, 2);
    assert_eq!(t.getppid(2), Ok(1));
    assert_eq!(t.getpgid(2, 0), Ok(1));
    assert_eq!(t.getsid(2, 0), Ok(1));
    assert!(Arc::ptr_eq(&c.fds.lock().get(0).unwrap(), &of));
    let st = c.state.lock();
    assert_eq!(st.cwd, "/home");
    assert_eq!(st.signals.action(SIGUSR1).unwrap().handler, 0x1234);
    assert_eq!(st.signals.blocked(), SigSet::of(SIGUSR2));
    assert!(st.signals.pending().is_empty());
    assert_eq!(st.rlimit(RLIMIT_NOFILE as u32).unwrap(), Rlimit { rlim_cur: 1024, rlim_max: 4096 });
}

#[test]
fn exit_wait_reap_and_sigchld() {
    let t = sys();
    let c = t.fork(1).unwrap().pid;
    assert_eq!(t.wait4(1, -1, WNOHANG), Ok(WaitOutcome::WouldBlock));
    let fx = t.exit(c, exited(7)).unwrap();
    assert!(fx.wake.waiters.contains(&1) && fx.wake.signalled.contains(&1));
    assert!(t.get(c).is_none());
    assert_eq!(t.run_state(c), Some(RunState::Zombie(exited(7))));
    assert!(t.get(1).unwrap().state.lock().signals.pending().contains(SIGCHLD) == false, "SIGCHLD default-ignored is dropped");
    let w = child(t.wait4(1, c, 0).unwrap());
    assert_eq!((w.pid, w.status, w.code, w.si_status), (c, 0x700, CLD_EXITED, 7));
    assert_eq!(t.run_state(c), None, "reaped");
    assert_eq!(t.wait4(1, -1, 0), Err(Errno::ECHILD));
    assert_eq!(t.exit(1, 0).err(), Some(Errno::EPERM));
    assert_eq!(t.wait4(1, -1, 0x4), Err(Errno::EINVAL));
}

#[test]
fn sigchld_caught_carries_siginfo() {
    let t = sys();
    t.get(1).unwrap().state.lock().signals.sigaction(SIGCHLD, Some(SigAction { handler: 0x5000, ..Default::default() })).unwrap();
    let c = t.fork(1).unwrap().pid;
    t.exit(c, signaled(SIGKILL, false)).unwrap();
    let mut st = t.get(1).unwrap().state.lock().clone();
    let Some(crate::signal::Delivery::Handler { info, .. }) = st.signals.deliver() else { panic!() };
    assert_eq!((info.si_code, info.pid(), info.status()), (CLD_KILLED, c, SIGKILL as i32));
}

#[test]
fn sigchld_ignored_means_no_zombie() {
    let t = sys();
    let c = t.fork(1).unwrap().pid;
    t.get(1).unwrap().state.lock().signals.sigaction(SIGCHLD, Some(SigAction { handler: SIG_IGN, ..Default::default() })).unwrap();
    let fx = t.exit(c, 0).unwrap();
    assert!(fx.auto_reaped);
    assert_eq!(t.run_state(c), None);
    assert_eq!(t.wait4(1, -1, 0), Err(Errno::ECHILD));
}

#[test]
fn orphans_go_to_init() {
    let t = sys();
    let a = t.fork(1).unwrap().pid;
    let b = t.fork(a).unwrap().pid;
    let z = t.fork(a).unwrap().pid;
    t.exit(z, 0).unwrap();
    let fx = t.exit(a, 0).unwrap();
    assert_eq!(t.getppid(b), Ok(1));
    assert_eq!(t.getppid(z), Ok(1));
    assert!(fx.wake.waiters.contains(&1));
    // init reaps both the exited parent and the inherited zombie.
    let mut got = alloc::vec![child(t.wait4(1, -1, 0).unwrap()).pid, child(t.wait4(1, -1, 0).unwrap()).pid];
    got.sort();
    assert_eq!(got, [a, z]);
    assert_eq!(t.wait4(1, -1, WNOHANG), Ok(WaitOutcome::WouldBlock));
}

#[test]
fn wait_selection_by_pid_and_group() {
    let t = sys();
    let a = t.fork(1).unwrap().pid;
    let b = t.fork(1).unwrap().pid;
    t.setpgid(1, b, 0).unwrap();
    t.exit(a, 0).unwrap();
    t.exit(b, exited(2)).unwrap();
    assert_eq!(t.wait4(1, 99, 0), Err(Errno::ECHILD));
    assert_eq!(child(t.wait4(1, -b, 0).unwrap()).pid, b);
    assert_eq!(t.wait4(1, -b, 0), Err(Errno::ECHILD));
    assert_eq!(child(t.wait4(1, 0, 0).unwrap()).pid, a, "pid 0: caller's group (1)");
    assert_eq!(t.wait4(1, i32::MIN, 0), Err(Errno::ESRCH));
}

#[test]
fn stopped_and_continued_reported_once() {
    let t = sys();
    let c = t.fork(1).unwrap().pid;
    t.stop(c, SIGTSTP).unwrap();
    assert_eq!(t.wait4(1, c, WNOHANG), Ok(WaitOutcome::WouldBlock), "no WUNTRACED");
    let w = child(t.wait4(1, c, WUNTRACED).unwrap());
    assert_eq!(w.status, stopped(SIGTSTP));
    assert_eq!(t.wait4(1, c, WUNTRACED | WNOHANG), Ok(WaitOutcome::WouldBlock), "only once");
    let wake = t.kill(1, c, SIGCONT, info(SIGCONT)).unwrap();
    assert!(wake.waiters.contains(&1));
    assert_eq!(t.run_state(c), Some(RunState::Running));
    assert_eq!(child(t.wait4(1, c, WCONTINUED).unwrap()).status, CONTINUED);
    assert_eq!(t.wait4(1, c, WCONTINUED | WNOHANG), Ok(WaitOutcome::WouldBlock));
    // waitid with WNOWAIT leaves it waitable.
    t.stop(c, SIGSTOP).unwrap();
    let w = child(t.waitid(1, P_PID, c as u32, WSTOPPED | WNOWAIT).unwrap());
    assert_eq!((w.code, w.si_status), (CLD_STOPPED, SIGSTOP as i32));
    assert_eq!(w.siginfo().si_code, CLD_STOPPED);
    assert!(matches!(t.waitid(1, P_PID, c as u32, WSTOPPED), Ok(WaitOutcome::Child(_))));
    assert_eq!(t.waitid(1, P_ALL, 0, WNOHANG), Err(Errno::EINVAL));
    // SIGKILL resumes a stopped process so it can die.
    t.kill(1, c, SIGKILL, info(SIGKILL)).unwrap();
    assert_eq!(t.run_state(c), Some(RunState::Running));
}

#[test]
fn setpgid_rules() {
    let t = sys();
    let sh = t.fork(1).unwrap().pid;
    assert_eq!(t.setsid(sh), Ok(sh));
    assert_eq!(t.setsid(sh), Err(Errno::EPERM), "already a group leader");
    assert_eq!(t.setpgid(sh, 0, 0), Err(Errno::EPERM), "session leader");
    let job = t.fork(sh).unwrap().pid;
    let job2 = t.fork(sh).unwrap().pid;
    t.setpgid(sh, job, job).unwrap();
    assert_eq!(t.getpgid(sh, job), Ok(job));
    t.setpgid(job2, 0, job).unwrap();
    assert_eq!(t.getpgid(0, job2), Ok(job));
    assert_eq!(t.setpgid(sh, job, -1), Err(Errno::EINVAL));
    assert_eq!(t.setpgid(sh, job2, 4000), Err(Errno::EPERM), "no such group in session");
    assert_eq!(t.setpgid(sh, 1, 0), Err(Errno::ESRCH), "not a child");
    assert_eq!(t.setpgid(1, 999, 0), Err(Errno::ESRCH));
    // A child in another session.
    let other = t.fork(sh).unwrap().pid;
    t.setsid(other).unwrap();
    assert_eq!(t.setpgid(sh, other, sh), Err(Errno::EPERM));
    // A child that has exec'd.
    t.exec(job2).unwrap();
    assert_eq!(t.setpgid(sh, job2, job2), Err(Errno::EACCES));
    assert_eq!(t.getsid(0, job), Ok(sh));
}

#[test]
fn pids_of_live_groups_are_not_reused() {
    let t = sys();
    let leader = t.fork(1).unwrap().pid;
    t.setpgid(leader, 0, 0).unwrap();
    let member = t.fork(leader).unwrap().pid;
    t.exit(leader, 0).unwrap();
    child(t.wait4(1, leader, 0).unwrap());
    assert_eq!(t.getpgid(0, member), Ok(leader));
    for _ in 0..50 {
        let p = t.fork(1).unwrap().pid;
        assert_ne!(p, leader);
    }
}

#[test]
fn kill_permissions_and_targets() {
    let t = sys();
    let alice = t.fork(1).unwrap();
    *alice.state.lock() = ProcState::new(Credentials::user(1000, 1000));
    let a2 = t.fork(alice.pid).unwrap().pid;
    let bob = t.fork(1).unwrap();
    *bob.state.lock() = ProcState::new(Credentials::user(1001, 1001));
    assert_eq!(t.kill(alice.pid, bob.pid, SIGTERM, info(SIGTERM)), Err(Errno::EPERM));
    assert_eq!(t.kill(alice.pid, 1, 0, info(0)), Err(Errno::EPERM));
    assert!(t.kill(alice.pid, a2, 0, info(0)).unwrap().signalled.is_empty());
    assert_eq!(t.kill(alice.pid, 4242, 0, info(0)), Err(Errno::ESRCH));
    assert_eq!(t.kill(alice.pid, a2, 65, info(0)), Err(Errno::EINVAL));
    // SIGCONT is allowed within the session regardless of uid.
    assert!(t.kill(alice.pid, bob.pid, SIGCONT, info(SIGCONT)).is_ok());
    // kill(-1): all permitted but init and the caller.
    let w = t.kill(alice.pid, -1, SIGUSR1, info(SIGUSR1)).unwrap();
    assert_eq!(w.signalled, [a2]);
    let w = t.kill(1, -1, SIGUSR1, info(SIGUSR1)).unwrap();
    assert_eq!(w.signalled, [alice.pid, a2, bob.pid]);
    // Groups.
    t.setpgid(alice.pid, 0, 0).unwrap();
    t.setpgid(alice.pid, a2, alice.pid).unwrap();
    assert_eq!(t.kill(1, -alice.pid, SIGUSR2, info(SIGUSR2)).unwrap().signalled, [alice.pid, a2]);
    assert_eq!(t.kill(1, -777, SIGUSR2, info(SIGUSR2)), Err(Errno::ESRCH));
    assert_eq!(t.kill(a2, 0, SIGUSR2, info(SIGUSR2)).unwrap().signalled, [alice.pid, a2]);
    assert!(alice.state.lock().signals.pending().contains(SIGUSR2));
}

#[test]
fn orphaned_stopped_group_gets_hup_and_cont() {
    let t = sys();
    let sh = t.fork(1).unwrap().pid;
    t.setsid(sh).unwrap();
    let job = t.fork(sh).unwrap().pid;
    t.setpgid(sh, job, job).unwrap();
    assert!(!t.is_orphaned_pgrp(job));
    t.stop(job, SIGTSTP).unwrap();
    let fx = t.exit(sh, 0).unwrap();
    assert!(t.is_orphaned_pgrp(job));
    assert!(fx.wake.signalled.contains(&job));
    assert_eq!(t.run_state(job), Some(RunState::Running));
    assert!(t.get(job).unwrap().state.lock().signals.pending().contains(SIGHUP));
}

#[test]
fn exec_closes_cloexec_and_resets_handlers() {
    let t = sys();
    let p = t.fork(1).unwrap();
    p.fds.lock().install(OpenFile::new(Arc::new(F), 0), true, 1024).unwrap();
    p.fds.lock().install(OpenFile::new(Arc::new(F), 0), false, 1024).unwrap();
    p.state.lock().signals.sigaction(SIGINT, Some(SigAction { handler: 0x999, ..Default::default() })).unwrap();
    assert_eq!(t.exec(p.pid).unwrap().len(), 1);
    assert_eq!(p.fds.lock().count(), 1);
    assert_eq!(p.state.lock().signals.action(SIGINT).unwrap().handler, SIG_DFL);
}

#[test]
fn rlimits_and_credentials() {
    let mut st = ProcState::new(Credentials::user(5, 5));
    let r = |c, m| Rlimit { rlim_cur: c, rlim_max: m };
    assert_eq!(st.setrlimit(RLIMIT_NOFILE, r(10, 5)), Err(Errno::EINVAL));
    assert_eq!(st.setrlimit(RLIMIT_NOFILE, r(10, 5000)), Err(Errno::EPERM));
    st.setrlimit(RLIMIT_NOFILE, r(10, 20)).unwrap();
    assert_eq!(st.nofile(), 10);
    assert_eq!(st.setrlimit(99, r(0, 0)), Err(Errno::EINVAL));
    assert_eq!(st.rlimit(RLIMIT_STACK).unwrap().rlim_cur, 8 << 20);
    assert_eq!(st.set_umask(0o077), 0o022);
    let mut c = Credentials::user(5, 5);
    assert_eq!(c.setuid(0), Err(Errno::EPERM));
    let mut root = Credentials::root();
    root.setresuid(5, 6, 0).unwrap();
    assert_eq!((root.uid, root.euid, root.suid), (5, 6, 0));
    assert_eq!(root.setresuid(7, u32::MAX, u32::MAX), Err(Errno::EPERM));
    // Saved id 0 lets the effective id go back to 0.
    root.setuid(0).unwrap();
    assert!(root.privileged() && root.uid == 5);
    c.setgid(5).unwrap();
}

#[test]
fn nproc_limit() {
    let t = sys();
    let u = t.fork(1).unwrap();
    let mut st = ProcState::new(Credentials::user(9, 9));
    st.rlimits[RLIMIT_NPROC as usize] = Rlimit { rlim_cur: 2, rlim_max: 2 };
    *u.state.lock() = st;
    // u itself counts: u + a = 2 at the second fork's check.
    let a = t.fork(u.pid).unwrap().pid;
    assert_eq!(t.fork(u.pid).err(), Some(Errno::EAGAIN));
    t.exit(a, 0).unwrap();
    assert!(t.fork(u.pid).is_ok(), "zombies do not count");
}

#[test]
fn image_info_gives_cmdline_with_nuls_and_a_short_comm() {
    let i = ImageInfo::new("/bin/a-rather-long-program-name", &[b"prog", b"", b"x y"], 0x400000, 0x401000);
    assert_eq!(i.cmdline, b"prog\0\0x y\0");
    assert_eq!(i.comm(), "a-rather-long-p");
    assert_eq!(ImageInfo::new("/bin/sh", &[], 0, 0).cmdline, b"");
    assert_eq!(ImageInfo::new("/bin/sh", &[], 0, 0).comm(), "sh");
    // Never cut inside a character.
    assert_eq!(ImageInfo::new("/bin/ééééééééé", &[], 0, 0).comm(), "ééééééé");
}

#[test]
fn fork_keeps_the_image_and_info_shows_zombies() {
    let t = sys();
    t.get(INIT_PID).unwrap().state.lock().image = ImageInfo::new("/sbin/init", &[b"init"], 1, 2);
    let c = t.fork(INIT_PID).unwrap();
    assert_eq!(c.state.lock().image.exe, "/sbin/init");
    assert_eq!(t.pids(), [INIT_PID, c.pid]);
    let i = t.info(c.pid).unwrap();
    assert_eq!((i.ppid, i.pgid, i.sid, i.run), (INIT_PID, INIT_PID, INIT_PID, RunState::Running));
    t.exit(c.pid, exited(4)).unwrap();
    assert!(t.get(c.pid).is_none());
    assert_eq!(t.info(c.pid).unwrap().run, RunState::Zombie(exited(4)));
    assert!(t.info(999).is_none());
}
