//! Rust std on the UNIX personality: println through stdout, args, an
//! environment variable, a heap, /proc/self, and an exit status.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("hello from Rust std, args {:?}", args);
    let v: Vec<u64> = (1..=1000).collect();
    println!("rhello: heap sum {}", v.iter().sum::<u64>());
    println!("rhello: pid {}", std::process::id());
    // SAFETY: single-threaded here, so nobody reads the environment meanwhile.
    unsafe { std::env::set_var("RHELLO_GREETING", "hej") };
    let greeting = std::env::var("RHELLO_GREETING").unwrap_or_default();
    let mut s = String::from(greeting);
    s.push_str(&format!(" x{:03}", 7));
    println!("rhello: env and String: {}", s);
    // std finds its executable through /proc/self/exe.
    println!("rhello: current_exe {:?}", std::env::current_exe().ok());
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    println!("rhello: maps has the stack: {}", maps.lines().any(|l| l.ends_with("[stack]")));
    std::process::exit(7);
}
