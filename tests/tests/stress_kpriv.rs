//! The privilege line (issue #19, 7): an ordinary UNIX process holds no
//! device master port and no host privileged port, its debug traps are
//! refused and the privileged host routines fail on the host port it can
//! get; and it may still use Mach on its own rights (tests/cprogs/
//! stress_kpriv_priv.c, raw traps and hand-built messages).

use mk_tests::{cprog, unix};


#[test]
fn a_unix_process_cannot_reach_the_hardware_but_keeps_mach_on_its_own_rights() {
    let o = unix("/bin/stress_kpriv_priv", &[cprog("stress_kpriv_priv")]).run();
    for what in [
        "task_self, host_self and a reply port",
        // Refused.
        "no device master port", "device_open fails on every send right the process holds",
        "DEBUG_PRINT is refused", "DEBUG_POWEROFF is refused", "DEBUG_VM_STATS is refused",
        "TASK_HOST_PORT is the host_self trap's port", "host_reboot on the host port fails",
        "host_console_read with a timeout returns", "host_console_write on the host port fails",
        "host_get_boot_module on the host port fails", "host_info on the host port works",
        // Allowed.
        "mach_port_allocate of a receive right", "a message to itself comes back", "mach_port_destroy of it",
        "task_info on itself", "thread_self",
    ] {
        o.expect(&format!("kpriv: {} ok", what));
    }
    // Neither DEBUG_PRINT nor host_console_write reached the console, and
    // the machine ran on after DEBUG_POWEROFF and host_reboot.
    o.expect_not("KPRIV-LEAK").expect("kpriv: still running, 0 failed").expect_status(0);
}

