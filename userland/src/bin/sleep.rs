//! sleep: pause for the given number of seconds (fractions allowed).
fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("", "", "seconds");
    if o.args.len() != 1 {
        userland::usage("seconds");
    }
    match o.args[0].parse::<f64>() {
        Ok(s) if s >= 0.0 && s.is_finite() => std::thread::sleep(std::time::Duration::from_secs_f64(s)),
        _ => {
            userland::warn_msg(&format!("invalid time interval '{}'", o.args[0]));
            std::process::exit(2);
        }
    }
}
