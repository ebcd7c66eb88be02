//! The UNIX personality: the UNIX server as the first task, emulib in
//! every process, static Linux binaries (musl C and Rust std) running on
//! the trampoline.

use mk_tests::{cprog, rsprog, unix};

#[test]
fn a_musl_hello_prints_and_its_status_powers_off_the_machine() {
    let o = unix("/bin/hello one", &[cprog("hello")]).run();
    o.expect("hello from musl, pid 1, argc 2, argv[0] /bin/hello").expect_status(42);
}

#[test]
fn a_rust_std_hello_runs_as_static_pie() {
    let o = unix("/bin/rhello x", &[rsprog("rhello")]).run();
    o.expect("hello from Rust std, args [\"/bin/rhello\", \"x\"]")
        .expect("rhello: heap sum 500500")
        .expect("rhello: pid 1")
        .expect("rhello: env and String: hej x007")
        .expect("rhello: current_exe Some(\"/bin/rhello\")")
        .expect("rhello: maps has the stack: true")
        .expect_status(7);
}

#[test]
fn fork_exec_and_wait_chains_with_statuses_and_memory_growth() {
    let notelf = mk_tests::workspace().join("tests/cprogs/notelf");
    let o = unix("/bin/forkexec", &[cprog("forkexec"), cprog("child"), notelf]).run();
    for what in [
        "fork then wait4 gives the child's status 3", "fork, execve, wait4 gives 5", "a second exec chain gives 17",
        "execve of a missing file is ENOENT", "execve of a non-ELF file is ENOEXEC",
        "a grandchild's exec status comes back up the chain", "WNOHANG on a live child returns 0",
        "the middle process exits", "the orphan went to init and init reaped it", "no children left: ECHILD",
        "brk grows by 16 MiB", "every page of the brk area keeps its byte", "mmap of 48 MiB anonymous memory",
        "touched all of it and unmapped it", "malloc of 20 MiB", "and it holds what was written",
    ] {
        o.expect(&format!("forkexec: {} ok", what));
    }
    o.expect("child: argv[0] child argv[1] 5 env MARK=exec ppid ").expect_status(0);
}

#[test]
fn signals_handlers_masks_default_actions_and_faults() {
    let o = unix("/bin/signals", &[cprog("signals")]).run();
    for what in [
        "sigaction installs a handler", "the handler ran with signal and sender pid", "a blocked signal waits",
        "unblocking delivers it", "the handler's mask was undone by sigreturn",
        "SIGTERM's default action kills, and wait4 says so", "an ignored SIGTERM leaves the child alive",
        "SIGKILL cannot be ignored", "the child exits", "its parent got SIGCHLD",
        "a fault became SIGSEGV with its address, caught", "and again after siglongjmp restored the mask",
        "a handler interrupts a child that makes no calls, which then carries on",
        "an unhandled fault kills with SIGSEGV, seen by wait4",
        "without SA_RESTART it fails with EINTR", "with SA_RESTART a blocked read goes on after the handler",
        "sigaltstack sets and reports the stack", "an SA_ONSTACK handler runs on the alternate stack",
        "without SA_ONSTACK it runs on the program's stack", "a too small alternate stack is ENOMEM",
        "a stack overflow is caught on the alternate stack",
        "SIGTSTP stops a child and wait4 with WUNTRACED says so", "a stopped child makes no progress",
        "SIGCONT continues it, seen with WCONTINUED", "continued, it runs again", "SIGSTOP stops it",
        "SIGKILL ends a stopped child",
    ] {
        o.expect(&format!("signals: {} ok", what));
    }
    o.expect_status(0);
}

#[test]
fn registers_vectors_and_the_red_zone_survive_system_calls() {
    let o = unix("/bin/regs", &[cprog("regs")]).run();
    for what in [
        "getpid (emulib fast path)", "gettid (emulib fast path)", "getuid (emulib, from the process page)",
        "sched_yield (RPC)", "write (RPC)", "uname (RPC, server writes memory)", "clock_gettime (RPC)",
        "rt_sigprocmask (RPC)", "an unknown call (ENOSYS)", "kill with a handler run on the way out",
    ] {
        assert_eq!(o.lines_with(&format!("regs: {} (returned", what)).iter().filter(|l| l.ends_with(" ok")).count(), 1,
                   "{}:\n{}", what, o.output);
    }
    o.expect("regs: write through the server").expect("regs: 0 failures").expect_status(0);
    o.expect("system call ? (400) not implemented: ENOSYS");
}

/// The goal: under half of Linux's ~316 guest instructions for a raw getpid.
#[test]
fn getpid_costs_fewer_than_158_guest_instructions() {
    let o = unix("/bin/getpidbench", &[cprog("getpidbench")]).icount().run();
    o.expect_status(0);
    let line = o.lines_with("bench: getpid ").first().copied().unwrap_or_else(|| panic!("{}", o.output)).to_string();
    let n: u64 = line.split_whitespace().nth(2).and_then(|w| w.parse().ok()).unwrap();
    println!("{}", o.output);
    assert!(n < 158, "getpid took {} instructions:\n{}", n, o.output);
}

#[test]
fn console_input_reaches_a_blocking_read() {
    let o = unix("/bin/echo", &[cprog("echo")]).input(b"hello there\nsecond line\nquit\n").run();
    o.expect("echo: HELLO THERE").expect("echo: SECOND LINE").expect("echo: 2 lines").expect_status(2);
}

#[test]
fn the_server_survives_a_hostile_client() {
    let o = unix("/bin/hostile", &[cprog("hostile")]).run();
    for l in o.lines_with("hostile: ") {
        assert!(!l.ends_with("FAILED"), "{}\n{}", l, o.output);
    }
    o.expect("hostile: 20000 RPCs in a row are all answered ok")
        .expect("hostile: 60 processes forked and reaped ok")
        .expect("hostile: and the server still answers ok")
        .expect("hostile: 0 failures")
        .expect_status(0);
    // Each unknown call is named once, however often it comes.
    assert_eq!(o.lines_with("(450) not implemented").len(), 1, "{}", o.output);
}

#[test]
fn small_calls_ids_sessions_limits_clocks_and_parked_calls() {
    let o = unix("/bin/misc", &[cprog("misc")]).run();
    for l in o.lines_with("misc: ") {
        assert!(!l.ends_with("FAILED"), "{}\n{}", l, o.output);
    }
    o.expect("misc: eight processes parked in pause, calls still answered ok")
        .expect("misc: wait4 reports the child's user time and size ok").expect("misc: times() has the children's time ok")
        .expect("misc: sysinfo ok").expect("misc: mremap moves a block with its contents ok").expect("misc: 0 failures").expect_status(0);
}

#[test]
fn rust_std_command_spawns_and_waits() {
    let o = unix("/bin/rspawn", &[rsprog("rspawn"), cprog("child")]).run();
    o.expect("child: argv[0] /bin/child argv[1] 6").expect("rspawn: child exited with Some(6)").expect_status(0);
}

#[test]
fn posix_threads_share_the_task_and_futexes_wake_them() {
    let o = unix("/bin/threads", &[cprog("threads"), cprog("hello")]).run();
    o.expect_not("FAIL").expect("ok the contended mutex lost no increment")
        .expect("ok 200 condition-variable round trips").expect("threads done 0 failures").expect_status(0);
}

#[test]
fn rust_std_threads_spawn_join_lock_and_send() {
    let o = unix("/bin/rthreads", &[rsprog("rthreads")]).run();
    o.expect("rthreads: joined [0, 10, 20, 30], total 20000")
        .expect("rthreads: channel got 300 messages, sum 314850")
        .expect("rthreads: slept >= 30 ms: true")
        .expect("rthreads: scoped [10, 20, 30, 40]")
        .expect("rthreads: named thread Some(\"worker\")")
        .expect("rthreads done").expect_status(0);
}

#[test]
fn a_rust_stack_overflow_is_reported_from_the_alternate_stack() {
    let o = unix("/bin/roverflow", &[rsprog("roverflow")]).run();
    o.expect("roverflow: recursing").expect("thread 'main' (1) has overflowed its stack").expect_status(6); // 128 + SIGABRT, through QEMU's 8-bit exit code: (134 << 1 | 1) & 0xff >> 1
}
