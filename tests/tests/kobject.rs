//! Tasks, threads and the host as kernel objects served through their
//! ports, and exceptions delivered as messages.

use mk_tests::Boot;

#[test]
fn task_thread_and_host_ports_serve_their_routines() {
    let o = Boot::new(&["kobj"]).run();
    for what in [
        "host_info", "host_get_boot_module gives this program's line and bytes",
        "host_get_boot_module past the end fails", "task_info on self", "thread created, state set and resumed",
        "task_threads counts 2 threads", "thread_suspend", "thread_info says stopped",
        "a suspended thread does not run", "thread_get_state of the stopped thread",
        "a resumed thread runs again", "resume of a running thread fails", "thread_terminate",
        "the terminated thread's port is dead", "task_threads counts 1 thread again",
        "an empty child has no threads and no memory", "vm_allocate in another task",
        "vm_write into another task", "vm_read gives back what vm_write put",
        "vm_region describes the child's region", "task_resume of a task not suspended fails",
        "task_suspend", "task_info counts the suspension", "task_resume", "task_terminate",
        "a terminated task's port answers no more",
    ] {
        o.expect(&format!("kobj: {} ok", what));
    }
    o.expect("kobj: all passed").expect_status(0);
}

#[test]
fn only_boot_tasks_are_privileged() {
    let o = Boot::new(&["kobj"]).run();
    for what in [
        "a child's host port is not host_priv", "host_info on host_self", "host_reboot on host_self fails",
        "host_console_write on host_self fails", "host_console_read on host_self fails",
        "host_get_boot_module on host_self fails", "a child has no device master port",
        "task_set_special_port(TASK_HOST_PORT, host_priv) grants the privilege",
        "task_set_special_port(TASK_HOST_PORT, host_self) takes it away",
        "any other port as TASK_HOST_PORT is refused",
        "a boot task holds host_priv and the device master port",
        "host_console_read times out (poll)", "host_console_read times out (50 ms)",
    ] {
        o.expect(&format!("kobj: {} ok", what));
    }
    o.expect("kobj: all passed").expect_status(0);
}

#[test]
fn exceptions_go_to_the_exception_port_and_the_reply_decides() {
    let o = Boot::new(&["kobj"]).run();
    o.expect("kobj: exception_raise carries EXC_BAD_ACCESS, the code and the address ok")
        .expect("kobj: faulting thread resumed at a new rip by its handler")
        .expect("kobj: the handler's new state took effect ok")
        .expect("kobj: the child's exception reached the inherited port ok")
        .expect("killed by page fault")
        .expect("kobj: a refused exception ends the child task ok")
        .expect_status(0);
    // The handled fault is not reported as a crash: only the refused one is.
    assert_eq!(o.lines_with("page fault at 0xdead0000").len(), 1, "{}", o.output);
}

#[test]
fn the_user_runtime_has_a_heap_threads_and_locks() {
    let o = Boot::new(&["rt one two"]).run();
    o.expect("rt: heap vec of 3334 sums to 16668333, args 'rt one two'")
        .expect("rt: 3 MiB vec ok: true")
        .expect("rt: 4 threads added 2000 under the lock (expected 2000)")
        .expect_status(0);
    assert_eq!(o.lines_with("rt: worker").len(), 4, "{}", o.output);
}
