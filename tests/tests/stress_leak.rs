//! Nothing outlives a process or a thread: after many short processes
//! (fork+exit+wait, fork+exec+wait, children that exit while three of
//! their threads are blocked in the server) and threads
//! (pthread_create+join), after a warm-up, free memory is back within 16 kB
//! (four pages: a page-table page and the odd heap page that the server or
//! the kernel takes at a new high-water mark) and the kernel's object counts
//! (/proc/machobjs: tasks, threads, kernel stacks, ports, VM objects,
//! page-table pages) are exactly where they were (VM objects within one more:
//! a server heap chunk at a new high-water mark; ports up to 8 more: the
//! server's sleeping locks make their wakeup port at first contention), its heap bytes within a
//! page (for threads: within 4 objects, the dead threads whose blocks a
//! later clone reuses). Before the fix each process left its task, thread, kernel stack,
//! ports and page tables behind (72 kB). The long form (STRESS_LONG=1) runs
//! 20,000 of each (5,000 of the children with threads).

use mk_tests::{cprog, unix};

fn long() -> bool {
    std::env::var("STRESS_LONG").is_ok_and(|v| v == "1")
}

#[test]
fn short_processes_leave_no_memory_and_no_kernel_objects_behind() {
    let (n, secs) = if long() { (20_000, 1200) } else { (2_000, 120) };
    let init = format!("/bin/stress_leak_procs {} /bin/stress_leak_true", n);
    let o = unix(&init, &[cprog("stress_leak_procs"), cprog("stress_leak_true")]).timeout(secs).run();
    eprintln!("{}", o.output);
    for (phase, times) in [("fork+exit+wait", n), ("fork+exec+wait", n), ("fork+3 blocked threads+exit+wait", n / 4),
                           ("pthread_create+join", n)] {
        o.expect(&format!("stress_leak: {}: all {} ran and ended well ok", phase, times));
        o.expect(&format!("stress_leak: {}: free memory comes back within 16 kB ok", phase));
        if phase == "pthread_create+join" {
            // Dead threads wait for a later clone to reuse their blocks: a few.
            o.expect("stress_leak: pthread_create+join: the kernel's object counts are back within 4 (heap bytes within 20480) ok");
        } else {
            o.expect(&format!("stress_leak: {}: the kernel's object counts are back where they were (heap bytes within 4096, VM objects 1, lock ports 8) ok", phase));
        }
        for count in ["tasks", "threads", "kernel_stacks", "ports", "vm_objects", "page_table_pages", "kernel_heap_bytes"] {
            let prefix = format!("stress_leak: {}: {} ", phase, count);
            let values = o.lines_with(&prefix).iter().filter(|l| l.strip_prefix(&prefix).is_some_and(|v| v.parse::<i64>().is_ok())).count();
            assert_eq!(values, 1, "{} is reported once:\n{}", prefix, o.output);
        }
    }
    o.expect("stress_leak: 0 failures").expect_status(0);
}
