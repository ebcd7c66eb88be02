//! pwd: print the working directory (getcwd).
fn main() {
    userland::default_sigpipe();
    let _ = userland::parse_or_usage("LP", "", "[-L|-P]");
    match std::env::current_dir() {
        Ok(p) => userland::say!("{}", p.display()),
        Err(e) => {
            userland::warn("getcwd", &e);
            std::process::exit(1);
        }
    }
}
