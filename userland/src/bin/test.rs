//! test / [: evaluate an expression; exit 0 if true, 1 if false, 2 on
//! error. Run as `[` (a link to this binary) it wants a closing `]`.
//! The grammar is `userland::test_expr` (the shell's builtin uses it too).

fn main() {
    userland::default_sigpipe();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if userland::prog() == "[" {
        if args.last().map(|s| s.as_str()) != Some("]") {
            userland::warn_msg("missing ']'");
            std::process::exit(2);
        }
        args.pop();
    }
    match userland::test_expr::eval(&args) {
        Ok(v) => std::process::exit(if v { 0 } else { 1 }),
        Err(m) => {
            userland::warn_msg(&m);
            std::process::exit(2)
        }
    }
}
