//! Rust std's process API on the UNIX personality: Command spawns (glibc's
//! posix_spawn: clone with CLONE_VM|CLONE_VFORK, then execve) and waits.
use std::process::Command;

fn main() {
    let st = Command::new("/bin/child").arg("6").status().expect("spawn /bin/child");
    println!("rspawn: child exited with {:?}", st.code());
    let missing = Command::new("/bin/nothere").status();
    println!("rspawn: missing program: {}", if missing.is_err() { "error" } else { "ran?" });
    std::process::exit(if st.code() == Some(6) { 0 } else { 1 });
}
