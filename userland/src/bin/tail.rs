//! tail: the last lines of files (-n N, default 10; -n +N starts at
//! line N; also -N).

fn main() {
    userland::default_sigpipe();
    let args = userland::fmt::numeric_option(std::env::args().skip(1).collect());
    let o = userland::parse(args, "", "n").unwrap_or_else(|m| {
        userland::warn_msg(&m);
        userland::usage("[-n [+]lines] [file...]")
    });
    let spec = o.value('n').unwrap_or("10");
    let (from_start, num) = match spec.strip_prefix('+') {
        Some(s) => (true, s),
        None => (false, spec.trim_start_matches('-')),
    };
    let Ok(n) = num.parse::<usize>() else { userland::usage("[-n [+]lines] [file...]") };
    let files = if o.args.is_empty() { vec!["-".to_string()] } else { o.args.clone() };
    let mut out = std::io::stdout().lock();
    let mut status = 0;
    for (i, f) in files.iter().enumerate() {
        let data = match userland::read_all(f) {
            Ok(d) => d,
            Err(e) => {
                userland::warn(f, &e);
                status = 1;
                continue;
            }
        };
        if files.len() > 1 {
            let hdr = format!("{}==> {} <==\n", if i > 0 { "\n" } else { "" }, f);
            userland::out(&mut out, hdr.as_bytes());
        }
        let lines: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
        let skip = if from_start { n.saturating_sub(1) } else { lines.len().saturating_sub(n) };
        for l in &lines[skip.min(lines.len())..] {
            userland::out(&mut out, l);
        }
    }
    userland::flush(&mut out);
    std::process::exit(status);
}
