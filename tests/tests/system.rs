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
    if let Some(t) = o.time_of("root@mach:") {
        println!("wall time from QEMU start to the shell prompt: {:?}", t);
    }
    o.expect("Welcome to the Mach microkernel")
        .expect("hi from the shell")
        .expect("now in /tmp")
        .expect("\n42\n")
        .expect("from-busybox")
        .expect("abc\nabc");
    println!("{}", o.output);
    assert!(o.status.is_some(), "poweroff ended the machine:\n{}", o.output);
}

#[test]
fn busybox_ps_and_cat_proc_self_maps_show_the_running_system() {
    // A background sleep to find in the listings; the shell prints its
    // pid and its own, so the checks compare against the real numbers.
    let o = unix("/sbin/init -- /bin/sh -c 'sleep 30 & echo ids $! $$; busybox ps -o pid,ppid,stat,comm,args; \
ps; echo maps-begin; cat /proc/self/maps; echo maps-end; kill $!'", &[])
        .disk_snapshot(&image())
        .timeout(120)
        .run();
    o.expect("init exited with status 0");
    let ids: Vec<u32> = o.lines_with("ids ").iter().find(|l| l.starts_with("ids "))
        .map(|l| l.split_whitespace().skip(1).filter_map(|w| w.parse().ok()).collect())
        .unwrap_or_default();
    let [bg, sh] = ids[..] else { panic!("no pids printed:\n{}", o.output) };
    // busybox: PID PPID STAT COMMAND COMMAND(args)
    let row = |pid: u32| o.output.lines().map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() >= 5 && f[0] == pid.to_string() && f[3] == f[4].rsplit('/').next().unwrap_or(""));
    let sleep = row(bg).unwrap_or_else(|| panic!("busybox ps shows no row for the sleep {}:\n{}", bg, o.output));
    assert_eq!((sleep[1], &sleep[2][..1], sleep[3], &sleep[4..].join(" ")[..]), (&*sh.to_string(), "S", "sleep", "sleep 30"),
               "the sleep's row: its parent is the shell, it sleeps, with its args:\n{}", o.output);
    let shell = row(sh).unwrap_or_else(|| panic!("busybox ps shows no row for the shell {}:\n{}", sh, o.output));
    assert_eq!(shell[1], "1", "the shell is init's child:\n{}", o.output);
    // The userland ps: PID PPID S TIME COMMAND.
    assert!(o.output.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() >= 6 && f[0] == bg.to_string() && f[1] == sh.to_string() && f[4..] == ["sleep", "30"]
    }), "ps lists the sleep:\n{}", o.output);
    let maps: Vec<&str> = o.output.split("maps-begin\n").nth(1).and_then(|m| m.split("maps-end").next())
        .map(|m| m.lines().collect()).unwrap_or_default();
    let well_formed = |l: &&str| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() >= 5 && f[0].split_once('-').is_some_and(|(a, b)| {
            u64::from_str_radix(a, 16).ok() < u64::from_str_radix(b, 16).ok()
        }) && f[1].len() == 4
    };
    assert!(!maps.is_empty() && maps.iter().all(well_formed), "maps lines: start-end perms offset dev inode [name]:\n{}", o.output);
    assert!(maps.iter().any(|l| l.contains(" r-xp ") && l.ends_with(" /bin/cat")), "cat's code is named:\n{}", o.output);
    assert!(maps.iter().any(|l| l.contains(" rw-p ") && l.ends_with(" [stack]")), "the stack:\n{}", o.output);
}

/// A writable copy of the root image for a session whose writes are
/// checked afterwards.
fn image_copy(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("mk-system-{}-{}.img", name, std::process::id()));
    std::fs::copy(image(), &p).expect("copy the root image");
    p
}

/// A file of the FAT image, read on the host.
fn read_back(img: &std::path::Path, path: &str) -> Option<Vec<u8>> {
    let dev = fat32::MemDevice::from_vec(std::fs::read(img).ok()?);
    let clock = Box::new(fat32::FixedClock(fat32::DateTime::new(2026, 1, 1, 0, 0, 0)));
    let mut fs = fat32::FileSystem::mount(dev, clock, fat32::MountOptions { read_only: true, update_atime: false }).ok()?;
    let ino = fs.resolve(path).ok()?;
    let size = fs.stat(ino).ok()?.size as usize;
    let mut buf = vec![0u8; size];
    let n = fs.read(ino, 0, &mut buf).ok()?;
    buf.truncate(n);
    Some(buf)
}

#[test]
fn a_shell_session_over_the_console() {
    let img = image_copy("session");
    // Each expected line is one only running the command produces: the
    // shell echoes what is typed. The ^C comes once `sleep 30` runs: a
    // ^C flushes typed-ahead input, as POSIX says.
    let o = unix("/sbin/init", &[]).disk(&img).timeout(240)
        .input(b"cd /home\n\
printf 'a x\\nb\\nc x\\n' > f; echo matches-$(cat f | grep x | wc -l)\n\
echo one > g; echo two >> g; echo lines-$(cat g | wc -l)\n\
printf 'for i in 1 2 3; do if [ $i = 2 ]; then echo is-two; else echo not-$i; fi; done\\n' > s.sh; sh s.sh\n\
sh -c 'sleep 1 & wait; echo waited-$?'\n\
printf 'print(string.rep(\"ab\", 3))\\n' > t.lua; lua t.lua\n\
ls -l /bin/lua\n\
echo xyz | busybox awk '{ print length($0) * 11 }'\n\
busybox find /etc -name motd\n\
echo kept-after-poweroff > note.txt\n")
        .then_type(8000, b"sleep 30\n")
        .then_type(2500, b"\x03")
        // ^Z stops a foreground job; fg continues it in the foreground.
        .then_type(1000, b"sleep 40\n")
        .then_type(2500, b"\x1a")
        .then_type(1500, b"jobs\nfg\n")
        .then_type(2500, b"\x03")
        .then_type(1000, b"echo back-after-$((40+2))\npoweroff\n")
        .run();
    o.expect("is-two").expect("not-1").expect("not-3")
        .expect("waited-0")
        .expect("ababab")
        .expect("-rwxr-xr-x")
        .expect("33")
        .expect("/etc/motd")
        .expect("Stopped  sleep 40")
        .expect("back-after-42");
    // wc pads its count, so the number may follow spaces.
    let counted = |tag: &str, n: &str| o.output.lines().any(|l| l.starts_with(tag) && l[tag.len()..].trim() == n);
    assert!(counted("matches-", "2"), "a pipeline cat | grep | wc:\n{}", o.output);
    assert!(counted("lines-", "2"), "> then >>:\n{}", o.output);
    assert!(o.status.is_some(), "poweroff ended the machine:\n{}", o.output);
    assert_eq!(read_back(&img, "/home/note.txt").as_deref(), Some(&b"kept-after-poweroff\n"[..]),
               "the session's file is in the image after power-off");
    assert_eq!(read_back(&img, "/home/g").as_deref(), Some(&b"one\ntwo\n"[..]));
    let _ = std::fs::remove_file(&img);
}
