//! The UNIX server under stress: storms of signals, forks and exits that
//! once wedged it, resource exhaustion that must end in an errno (never a
//! hung or dead server), hostile exec images. Each test also checks that a
//! command still runs afterwards. Longer versions run with STRESS_LONG=1.

use mk_tests::{cprog, unix};

fn long() -> bool {
    std::env::var_os("STRESS_LONG").is_some()
}

/// Three processes, each with a raiser thread and a main thread that polls
/// and reaps. One raiser per process: with two, musl's internal locks
/// deadlock in user space (this system keeps one signal mask per process,
/// so a handler can run on a thread that holds a lock the handler's fork
/// needs); the server itself stays up, which the watchdog lines show.
#[test]
fn a_handler_that_forks_under_a_raise_storm_leaves_the_server_serving() {
    let n = if long() { 20000 } else { 1000 };
    let o = unix(&format!("/bin/stress_server_forkraise {} 3 1", n), &[cprog("stress_server_forkraise"), cprog("hello")])
        .timeout(if long() { 600 } else { 120 })
        .run();
    for what in [
        "the raiser threads start", "the handler ran", "every handler's fork succeeded",
        "every child was reaped with status 7", "no storm hung for 40 s", "every storming process succeeded", "a fork after the storm", "and its exec'd child exits 42",
    ] {
        o.expect(&format!("forkraise: {} ok", what));
    }
    o.expect_not("FAILED").expect_status(0);
}

#[test]
fn exit_never_returns_and_a_task_dead_behind_the_servers_back_is_reaped_as_sigkill() {
    let o = unix("/bin/stress_server_death", &[cprog("stress_server_death"), cprog("hello")]).timeout(120).run();
    for what in [
        "exit_group(3) ends the process with status 3", "a task ended by a Mach trap is reaped as killed by SIGKILL",
        "and one with a child of its own", "fifty of them, each reaped", "a command still runs afterwards",
    ] {
        o.expect(&format!("death: {} ok", what));
    }
    o.expect_not("FAILED").expect_status(0);
}

#[test]
fn no_program_call_maps_unmaps_or_protects_emulibs_range() {
    let o = unix("/bin/stress_server_mmap", &[cprog("stress_server_mmap"), cprog("hello")]).timeout(120).run();
    for what in [
        "a hint just below the range gives memory outside it", "a hint inside the range gives memory outside it",
        "so do 64 more near it", "MAP_FIXED over the range is EINVAL", "munmap of the range is EINVAL",
        "munmap across its start is EINVAL", "mprotect of it is EINVAL", "MAP_FIXED just below it works",
        "mremap growing into it moves elsewhere, outside it", "and keeps the bytes", "a file to map",
        "a file mapping hinted inside it lands outside it", "a thread still starts (emulib's thread area is whole)",
        "a command still runs afterwards",
    ] {
        o.expect(&format!("mmap: {} ok", what));
    }
    o.expect_not("FAILED").expect_status(0);
}

#[test]
fn hostile_executables_fail_before_the_point_of_no_return_and_the_caller_lives() {
    let o = unix("/bin/stress_server_elf", &[cprog("stress_server_elf")]).timeout(120).run();
    for (what, n) in [
        ("a tiny valid ELF (exits 42)", 42), ("a 0-byte file", 8), ("a directory", 13),
        ("a file cut inside the ELF header", 8), ("a file cut inside the program headers", 8),
        ("ELF magic then garbage", 8), ("phnum 65535", 8), ("overlapping segments", 8),
        ("an entry outside every segment", 8), ("a segment in the kernel half", 8),
        ("a segment across the user top", 8), ("a segment over emulib's range", 8), ("a PT_INTERP", 8),
        ("a PT_LOAD of memsz 2^46", 12), ("a filesz past the end of the file", 8),
        ("and the valid one still runs", 42),
    ] {
        let lines = o.lines_with(&format!("elf: {} gives {}", what, n));
        assert!(lines.iter().any(|l| l.ends_with(" ok")), "{}:\n{}", what, o.output);
    }
    o.expect_not("FAILED").expect_status(0);
}
