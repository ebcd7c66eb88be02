//! printf: formatted output (`userland::printf`, shared with the shell's
//! builtin).

fn main() {
    userland::default_sigpipe();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(format) = args.first() else { userland::usage("format [argument...]") };
    let (out, status) = userland::printf::printf(format, &args[1..]);
    let mut o = std::io::stdout().lock();
    userland::out(&mut o, out.as_bytes());
    userland::flush(&mut o);
    std::process::exit(status);
}
