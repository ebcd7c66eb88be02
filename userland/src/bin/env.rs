//! env: print the environment, or run a command in a changed one.
//!   env [-i] [-u NAME] [NAME=value...] [command [arg...]]
use std::os::unix::process::CommandExt;

fn main() {
    userland::default_sigpipe();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    while let Some(a) = args.first().cloned() {
        if a == "-i" || a == "-" {
            vars.clear();
        } else if a == "-u" {
            let Some(n) = args.get(1).cloned() else { userland::usage("[-i] [-u name] [name=value...] [command [arg...]]") };
            vars.retain(|(k, _)| *k != n);
            args.remove(0);
        } else if let Some((k, v)) = a.split_once('=').filter(|(k, _)| !k.is_empty()) {
            vars.retain(|(n, _)| n != k);
            vars.push((k.to_string(), v.to_string()));
        } else {
            break;
        }
        args.remove(0);
    }
    if args.is_empty() {
        for (k, v) in vars {
            userland::say!("{k}={v}");
        }
        return;
    }
    // exec() replaces this process directly (execvp), no fork or spawn.
    let err = std::process::Command::new(&args[0]).args(&args[1..]).env_clear().envs(vars).exec();
    userland::warn(&args[0], &err);
    std::process::exit(if err.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 });
}
