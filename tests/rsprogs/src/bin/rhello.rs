//! Rust std on the UNIX personality: println through stdout, args, an
//! environment variable, a heap, and an exit status.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("hello from Rust std, args {:?}", args);
    let v: Vec<u64> = (1..=1000).collect();
    println!("rhello: heap sum {}", v.iter().sum::<u64>());
    println!("rhello: pid {}", std::process::id());
    std::process::exit(7);
}
