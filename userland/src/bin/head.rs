//! head: the first lines of files (-n N, default 10; also -N), or the
//! first bytes with -c N.
use std::io::{BufRead, BufReader, Write};

fn main() {
    userland::default_sigpipe();
    let args = userland::fmt::numeric_option(std::env::args().skip(1).collect());
    let o = userland::parse(args, "", "nc").unwrap_or_else(|m| {
        userland::warn_msg(&m);
        userland::usage("[-n lines | -c bytes] [file...]")
    });
    let bytes: Option<u64> = o.value('c').map(|c| c.parse().unwrap_or_else(|_| userland::usage("[-n lines | -c bytes] [file...]")));
    let n: usize = match o.value('n').unwrap_or("10").parse() {
        Ok(n) => n,
        Err(_) => userland::usage("[-n lines] [file...]"),
    };
    let files = if o.args.is_empty() { vec!["-".to_string()] } else { o.args.clone() };
    let mut out = std::io::stdout().lock();
    let mut status = 0;
    for (i, f) in files.iter().enumerate() {
        let r = match userland::open_input(f) {
            Ok(r) => r,
            Err(e) => {
                userland::warn(f, &e);
                status = 1;
                continue;
            }
        };
        if files.len() > 1 {
            let _ = writeln!(out, "{}==> {} <==", if i > 0 { "\n" } else { "" }, f);
        }
        if let Some(c) = bytes {
            // A plain read loop: std::io::copy may pick splice/sendfile.
            let mut limited = std::io::Read::take(r, c);
            let mut buf = vec![0u8; 65536];
            loop {
                match std::io::Read::read(&mut limited, &mut buf) {
                    Ok(0) => break,
                    Ok(n) => userland::out(&mut out, &buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        userland::warn(f, &e);
                        status = 1;
                        break;
                    }
                }
            }
            continue;
        }
        let mut br = BufReader::new(r);
        let mut line = Vec::new();
        for _ in 0..n {
            line.clear();
            match br.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => userland::out(&mut out, &line),
                Err(e) => {
                    userland::warn(f, &e);
                    status = 1;
                    break;
                }
            }
        }
    }
    userland::flush(&mut out);
    std::process::exit(status);
}
