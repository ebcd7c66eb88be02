//! The whole system as `make run` boots it: the UNIX server, emulib, and
//! the root image built by `make image` as the disk, with /sbin/init from
//! it: a shell on the console, the tools, a ported C program, busybox.

use mk_tests::{root_image, unix};

fn image() -> std::path::PathBuf {
    let i = root_image();
    assert!(i.exists(), "no root image at {} (make image builds it)", i.display());
    i
}

#[test]
fn init_runs_a_command_from_the_image_and_reports_its_status() {
    let o = unix("/sbin/init -- /bin/sh -c 'ls /; echo done; exit 3'", &[])
        .disk_snapshot(&image())
        .timeout(120)
        .run();
    o.expect("bin").expect("etc").expect("sbin").expect("done").expect("init exited with status 3");
}

#[test]
fn boots_to_a_shell_that_runs_the_tools_lua_and_busybox() {
    // The shell echoes what is typed, so every expected line is one that
    // only running the command can produce.
    let typed = b"x=shell; echo \"hi from the $x\"\ncd /tmp && echo \"now in $(pwd)\"\n\
lua -e 'print(6*7)'\nbusybox printf 'from-%s\\n' busybox\necho abc > f && cat f f\n\
ls /bin | grep -c '^l'\npoweroff\n";
    let o = unix("/sbin/init", &[]).disk_snapshot(&image()).input(typed).timeout(180).run();
    o.expect("Welcome to the Mach microkernel")
        .expect("hi from the shell")
        .expect("now in /tmp")
        .expect("\n42\n")
        .expect("from-busybox")
        .expect("abc\nabc");
    println!("{}", o.output);
    assert!(o.status.is_some(), "poweroff ended the machine:\n{}", o.output);
}
