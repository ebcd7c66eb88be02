//! pwd: print the working directory (getcwd).
fn main() {
    let _ = userland::parse_or_usage("LP", "", "[-L|-P]");
    match std::env::current_dir() {
        Ok(p) => println!("{}", p.display()),
        Err(e) => {
            userland::warn("getcwd", &e);
            std::process::exit(1);
        }
    }
}
