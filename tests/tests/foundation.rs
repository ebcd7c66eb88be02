//! The foundation: boot, the first task, its arguments and exit status,
//! user faults, preemption, panics, and bad boot modules.

use mk_tests::Boot;

#[test]
fn boots_and_runs_the_first_task_with_arguments() {
    let o = Boot::new(&["hello"]).append("log=info -- alpha beta status=3").run();
    o.expect("Mach microkernel")
        .expect("hello from the first task: 4 args")
        .expect("argv[1] = alpha")
        .expect("argv[3] = status=3")
        .expect("no tasks left; powering off with status 3")
        .expect_status(3);
    let t = o.time_of("hello from the first task").expect("first task output seen");
    println!("wall time from QEMU start to the first task's output: {:?}", t);
}

#[test]
fn user_faults_are_reported_and_only_end_their_task() {
    let o = Boot::new(&["hello", "fault badaddr", "fault priv", "fault ud", "fault unix", "fault kernaddr"]).run();
    o.expect("page fault at 0xdeadb000 (write data, not present)")
        .expect("general protection fault (vector 13)")
        .expect("invalid opcode (vector 6)")
        .expect("UNIX system call 39 with no emulation library")
        .expect("page fault at 0xffffffff80100000 (read data, protection violation)")
        .expect("rip 0x")
        .expect("rax 0x")
        .expect_not("still alive, which is wrong")
        .expect_not("panic")
        .expect("no tasks left; powering off with status 0")
        .expect_status(0);
    assert_eq!(o.lines_with("killed by").len(), 5, "{}", o.output);
}

#[test]
fn the_clock_preempts_a_spinning_task() {
    // The spinner is first in line and never yields; only a timer
    // interrupt lets the second task run and power the machine off. (On a
    // loaded host the clock may take the spinner off before it has even
    // printed its line, so the line is not required.)
    let o = Boot::new(&["spin", "hello poweroff status=5"]).timeout(30).run();
    o.expect("hello from the first task").expect_status(5);
}

#[test]
fn a_kernel_panic_reports_and_fails() {
    let o = Boot::new(&["hello"]).append("crash=panic").run();
    o.expect("panic at microkernel/src/kern/startup.rs")
        .expect("crash=panic on the command line")
        .expect_not("hello from the first task")
        .expect_status(0x7f);
}

#[test]
fn modules_that_are_not_programs_are_refused() {
    let junk = std::env::temp_dir().join("mk-not-an-elf.txt");
    std::fs::write(&junk, "this is not an executable\n").unwrap();
    let o = Boot::new(&["hello status=9", &format!("@{}", junk.display())]).run();
    o.expect("module 1 (mk-not-an-elf.txt): not started: Elf(Malformed)")
        .expect("hello from the first task")
        .expect_status(9);
}

#[test]
fn bad_command_line_options_do_not_stop_the_boot() {
    let o = Boot::new(&["hello"]).append("log=loud frobnicate").run();
    o.expect("command line: BadLogLevel(\"loud\")")
        .expect("command line: UnknownOption(\"frobnicate\")")
        .expect("hello from the first task")
        .expect_status(0);
}
