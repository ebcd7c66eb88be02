//! ps: list processes from /proc/<pid>/stat and /proc/<pid>/cmdline
//! (the Linux formats, which the UNIX server serves too).
//! Columns: PID PPID S TIME COMMAND. -o is not supported.

fn main() {
    userland::default_sigpipe();
    let _ = userland::parse_or_usage("aefx", "", "[-aefx]");
    let Ok(rd) = std::fs::read_dir("/proc") else {
        userland::die("/proc: cannot read process list");
    };
    let mut pids: Vec<u32> = rd.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect();
    pids.sort();
    // SAFETY: sysconf has no side effects.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    let mut out = String::from("  PID  PPID S     TIME COMMAND\n");
    for pid in pids {
        if let Some(line) = row(pid, hz) {
            out.push_str(&line);
        }
    }
    let mut so = std::io::stdout().lock();
    userland::out(&mut so, out.as_bytes());
    userland::flush(&mut so);
}

/// One line for a process; None if it vanished meanwhile.
fn row(pid: u32, hz: u64) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ppid ...": comm may hold spaces, so split at the last ')'.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = &stat[open + 1..close];
    let f: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    let state = f.first()?;
    let ppid = f.get(1)?;
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    let secs = ticks / hz;
    let time = format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args: Vec<String> = cmdline.split(|&b| b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    let cmd = if args.is_empty() { format!("[{comm}]") } else { args.join(" ") };
    Some(format!("{pid:>5} {ppid:>5} {state} {time:>8} {cmd}\n"))
}
