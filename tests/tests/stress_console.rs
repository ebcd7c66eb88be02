//! The console as a person uses it: the root image's login shell on the
//! serial console, keys typed one step at a time (each after the shell
//! is back in its line editor: typed ahead, ^W and ^U would go to the
//! tty's canonical mode instead), and the screen checked. Every expected
//! line is one only running the command produces (the editor echoes the
//! typed text, so results are computed: `$((2+3))` typed, `5` checked).

use mk_tests::{root_image, unix};

/// A line of the output exactly (the prompt line holds the echo).
fn has_line(out: &str, want: &str) -> bool {
    out.lines().any(|l| l.trim_end_matches('\r') == want)
}

#[test]
fn editing_completion_builtins_and_size_on_the_console() {
    let img = root_image();
    assert!(img.exists(), "the root image (make image) at {}", img.display());
    let long = "L".repeat(100);
    let steps: Vec<(u64, Vec<u8>)> = vec![
        // Typed at once, read by the first prompt whatever mode it is in.
        (0, b"echo boot-$((6*7))\n".to_vec()),
        // The boot, /etc/profile and the motd: then the editor's keys.
        (10_000, b"ech\t$((1+1))tab\n".to_vec()),
        (1_500, b"ls /etc/mot\t\n".to_vec()),
        (1_500, b"/bin/p\t\t\x15\n".to_vec()),
        (1_500, b"cho ae-$((2+3))\x01e\x05x\n".to_vec()),
        (1_500, b"echo w-1 junk\x17w-2\n".to_vec()),
        (1_500, b"echo k-ok junk\x01\x06\x06\x06\x06\x06\x06\x06\x06\x06\x0b\n".to_vec()),
        (1_500, b"cho home-$((3*3))\x1b[1~e\x1b[4~\n".to_vec()),
        (1_500, b"echo del-xy\x1b[D\x1b[3~\n".to_vec()),
        (1_500, b"echo r-$((5+5))\n".to_vec()),
        (1_500, b"\x12r-$\n".to_vec()),
        (1_500, format!("echo {long}\x01\x05\n").into_bytes()),
        (1_500, b"stty rows 40 cols 120; stty size; echo cols-$(stty size)\n".to_vec()),
        (1_500, b"type echo [ ll; command -v ls; alias ll; command -v nosuch || echo none-$((1))\n".to_vec()),
        // The pid counter around a 1,000-turn loop of `[`: each
        // `$(sh -c 'echo $$')` costs the same pids, so the difference
        // with the empty case is what the loop forked. /bin/[ in a
        // 10-turn loop shows the measure sees forks.
        (1_500, b"t1=$(date +%s); b1=$(sh -c 'echo $$'); b2=$(sh -c 'echo $$'); n=0; while [ $n -lt 1000 ]; do n=$((n+1)); done; b3=$(sh -c 'echo $$'); t2=$(date +%s); echo loop-$n-forks-$((b3-b2-(b2-b1)))-secs-$((t2-t1))\n".to_vec()),
        (8_000, b"c1=$(sh -c 'echo $$'); c2=$(sh -c 'echo $$'); n=0; while /bin/[ $n -lt 10 ]; do n=$((n+1)); done; c3=$(sh -c 'echo $$'); echo ext-$n-forks-$((c3-c2-(c2-c1)))\n".to_vec()),
        (5_000, b"poweroff\n".to_vec()),
    ];
    let mut boot = unix("/sbin/init", &[]).disk_snapshot(&img).timeout(240);
    for (ms, b) in &steps {
        boot = boot.then_type(*ms, b);
    }
    let o = boot.run();
    let out = &o.output;
    println!("{out}");
    println!("the motd was on the console after {:?}, the run took {:?}", o.time_of("Welcome to the Mach"), o.elapsed);
    o.expect("Welcome to the Mach microkernel");
    let lines = [
        "boot-42",
        "2tab",        // Tab completed `ech` to the builtin `echo `
        "/etc/motd",   // a path
        "ae-5x",       // ^A, ^E
        "w-1 w-2",     // ^W
        "k-ok",        // ^K after ^A and ^F
        "home-9",      // ESC[1~ (Home) and ESC[4~ (End) as tmux and the Linux console send
        "del-x",       // ESC[3~ (Delete)
        "40 120",      // stty rows/cols stuck (TIOCSWINSZ)
        "cols-40 120",
        "echo is a shell builtin",
        "[ is a shell builtin",
        "ll is an alias for ls -l", // /etc/profile's alias
        "/bin/ls",
        "alias ll='ls -l'",
        "none-1",
        long.as_str(),
    ];
    for l in lines {
        assert!(has_line(out, l), "no line {l:?} in the console output:\n{out}");
    }
    // A second Tab listed the candidates under the line.
    assert!(out.lines().any(|l| l.contains("poweroff") && l.contains("printf") && l.contains("pwd") && !l.contains('$')),
            "a listing of /bin/p*:\n{out}");
    // ^R found `echo r-$((5+5))` and ran it again.
    assert_eq!(out.lines().filter(|l| l.trim_end_matches('\r') == "r-10").count(), 2, "^R reran the line:\n{out}");
    assert!(out.contains("(reverse-i-search)`r-$': echo r-$((5+5))"), "the search prompt:\n{out}");
    // The long line (prompt + 105 columns on an 80-column tty) spans two
    // rows: ^A goes up one row, not a fresh copy from a bare CR.
    assert!(out.contains("\x1b[1A\r"), "the cursor moved up the rows of a wide line:\n{out:?}");
    let loop_line = out.lines().find(|l| l.starts_with("loop-1000-forks-")).unwrap_or_else(|| panic!("the loop's line:\n{out}"));
    println!("{loop_line}");
    assert!(loop_line.starts_with("loop-1000-forks-0-"), "a `[` loop forks nothing: {loop_line}");
    let ext = out.lines().find(|l| l.starts_with("ext-10-forks-")).unwrap_or_else(|| panic!("the /bin/[ loop's line:\n{out}"));
    assert_eq!(ext.trim_end_matches('\r'), "ext-10-forks-11", "the measure counts forks");
    assert!(o.status.is_some(), "poweroff ended the machine:\n{out}");
}

/// The console on a pipe (scripts/boot passes tty=0x0): the shell reads
/// plain lines, so no redraw sequence reaches the output; `exit` ends in
/// a new login shell (a line says so, the motd comes again).
#[test]
fn a_console_on_a_pipe_and_a_new_login_shell_after_exit() {
    let o = unix("/sbin/init", &[]).append("log=warn start=first -- tty=0x0 /sbin/init").disk_snapshot(&root_image()).timeout(120)
        .input(b"stty size; echo term-$TERM\nexit 3\necho after-$((1+1))\npoweroff\n").run();
    let out = &o.output;
    println!("{out}");
    // Plain reading: the prompt stays on the line of what was typed
    // ahead (the tty echoed all of it at once, before the shell ran).
    assert!(out.lines().any(|l| l.ends_with("# 0 0")), "the size of no terminal:\n{out}");
    assert!(has_line(out, "term-dumb"), "/etc/profile's TERM for a pipe:\n{out}");
    o.expect("init: the console shell ended (status 3); starting a new login shell");
    assert_eq!(out.matches("Welcome to the Mach microkernel").count(), 2, "the motd at each login:\n{out}");
    assert!(out.lines().any(|l| l.ends_with("# after-2")), "the new shell runs commands:\n{out}");
    assert!(!out.contains('\x1b'), "no escape sequences on a pipe:\n{out:?}");
    assert!(o.status.is_some(), "poweroff ended the machine:\n{out}");
}

/// tty=COLSxROWS on the boot line is the terminal's size from the start.
#[test]
fn the_boot_line_gives_the_terminal_size() {
    let o = unix("/sbin/init", &[]).append("log=warn start=first -- tty=132x43 /sbin/init -- /bin/sh -c 'stty size; exec ls /bin'").disk_snapshot(&root_image()).timeout(120).run();
    let out = &o.output;
    println!("{out}");
    assert!(has_line(out, "43 132"), "stty size:\n{out}");
    // ls lays /bin out across 132 columns: some line is wider than 80.
    assert!(out.lines().any(|l| l.len() > 80 && l.contains("busybox")), "ls uses the width:\n{out}");
    o.expect_status(0);
}
