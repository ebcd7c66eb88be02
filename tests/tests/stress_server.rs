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

fn limits(mode: &str, checks: &[&str]) {
    let o = unix(&format!("/bin/stress_server_limits {}", mode), &[cprog("stress_server_limits"), cprog("hello")])
        .timeout(if long() { 600 } else { 120 })
        .run();
    for what in checks.iter().chain(&["a command still runs afterwards"]) {
        o.expect(&format!("limits: {} ok", what));
    }
    o.expect_not("FAILED").expect_status(0);
}

#[test]
fn bad_pointers_to_execve_chmod_and_utimensat_are_efault() {
    limits("bad fat", &[
        "execve with argv a bad pointer is EFAULT", "execve with argv[0] a bad pointer is EFAULT",
        "execve with envp a bad pointer is EFAULT", "execve with a bad path pointer is EFAULT", "a file to work on",
        "chmod with a bad path pointer is EFAULT", "chmod of a missing file is ENOENT", "chmod 0755 makes the file executable",
        "chmod 0644 takes the execute bits away", "a mode FAT cannot hold is EPERM, as on Linux's vfat",
        "chown to another owner is EPERM (nothing here is owned but by root)",
        "chown with a bad path pointer is EFAULT", "utimensat with a bad path pointer is EFAULT",
        "utimensat of a missing file is ENOENT", "utimensat with a bad times pointer is EFAULT",
        "utimensat of a file works", "utimensat sets the modification time",
        "utimensat with a bad tv_nsec is EINVAL", "fchmodat with a bad path pointer is EFAULT",
    ]);
}

#[test]
fn execve_with_too_many_argument_bytes_is_e2big_without_reading_them_all() {
    limits("args", &[
        "an argument of 128 KiB + 1 is E2BIG", "256 MiB of arguments is E2BIG",
        "and it says so without reading them all (under 2 s)", "2 MiB of arguments is E2BIG",
        "384 KiB of arguments runs",
    ]);
}

#[test]
fn two_thousand_zombies_are_made_and_reaped() {
    limits("zombies 2000", &["every fork made a zombie or said EAGAIN", "every zombie was reaped"]);
}

#[test]
fn opening_descriptors_until_emfile() {
    limits("fds", &["opening until the limit ends in EMFILE", "after closing them, open works again"]);
}

#[test]
fn a_pipe_writer_nobody_reads() {
    limits("pipe", &[
        "a pipe", "a non-blocking writer nobody reads gets EAGAIN", "a blocked writer dies of SIGTERM",
        "with the reader gone, the write is EPIPE",
    ]);
}

/// fat32 keeps a name index per directory, so each create, stat and
/// unlink costs the same however full the directory is: 1,000 files take
/// about 1 s here, 10,000 (STRESS_LONG) about 6 s (they took minutes when
/// every create scanned the directory).
#[test]
fn many_files_in_one_fat_directory() {
    let n = if long() { 10000 } else { 1000 };
    limits(&format!("dir {}", n), &[
        "every file was made", "the last one is there", "and they all unlink",
        "the directory is removed",
    ]);
}
