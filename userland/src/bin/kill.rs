//! kill: send a signal to processes.
//!   kill [-SIG | -s SIG | -n NUM] pid...     kill -l [status]
fn main() {
    userland::default_sigpipe();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "[-SIG | -s SIG] pid... | -l [status]";
    if args.first().map(|s| s.as_str()) == Some("-l") {
        list(args.get(1));
        return;
    }
    let mut sig = libc::SIGTERM;
    if let Some(a) = args.first().cloned() {
        if a == "-s" || a == "-n" {
            let Some(s) = args.get(1) else { userland::usage(usage) };
            sig = userland::signal_number(s).unwrap_or_else(|| bad_signal(s));
            args.drain(..2);
        } else if a == "--" {
            args.remove(0);
        } else if let Some(s) = a.strip_prefix('-') {
            sig = userland::signal_number(s).unwrap_or_else(|| bad_signal(s));
            args.remove(0);
        }
    }
    if args.is_empty() {
        userland::usage(usage);
    }
    let mut status = 0;
    for a in &args {
        let Ok(pid) = a.parse::<i32>() else {
            userland::warn_msg(&format!("{a}: arguments must be process IDs"));
            status = 1;
            continue;
        };
        // SAFETY: kill with a pid and signal number.
        if unsafe { libc::kill(pid, sig) } != 0 {
            userland::warn(&format!("({pid})"), &userland::last_err());
            status = 1;
        }
    }
    std::process::exit(status);
}

fn bad_signal(s: &str) -> ! {
    userland::warn_msg(&format!("{s}: invalid signal specification"));
    std::process::exit(2)
}

/// `kill -l`: all names; `kill -l 137`: the name for an exit status.
fn list(status: Option<&String>) {
    if let Some(s) = status {
        let n = s.parse::<i32>().unwrap_or(-1);
        let n = if n > 128 { n - 128 } else { n };
        match userland::SIGNALS.iter().find(|(k, _)| *k == n) {
            Some((_, name)) => userland::say!("{name}"),
            None => bad_signal(s),
        }
        return;
    }
    let names: Vec<String> = userland::SIGNALS.iter().map(|(_, n)| n.to_string()).collect();
    userland::say!("{}", names.join(" "));
}
