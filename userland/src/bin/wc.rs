//! wc: count lines, words and bytes (-l -w -c; all three by default).

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("lwc", "", "[-lwc] [file...]");
    let (mut l, mut w, mut c) = (o.has('l'), o.has('w'), o.has('c'));
    if !l && !w && !c {
        (l, w, c) = (true, true, true);
    }
    let files = if o.args.is_empty() { vec!["-".to_string()] } else { o.args.clone() };
    let mut total = [0usize; 3];
    let mut status = 0;
    for f in &files {
        let data = match userland::read_all(f) {
            Ok(d) => d,
            Err(e) => {
                userland::warn(f, &e);
                status = 1;
                continue;
            }
        };
        let n = [
            data.iter().filter(|&&b| b == b'\n').count(),
            data.split(|b| b.is_ascii_whitespace()).filter(|s| !s.is_empty()).count(),
            data.len(),
        ];
        for i in 0..3 {
            total[i] += n[i];
        }
        let name = if o.args.is_empty() { "" } else { f };
        print_counts(n, [l, w, c], name);
    }
    if files.len() > 1 {
        print_counts(total, [l, w, c], "total");
    }
    std::process::exit(status);
}

fn print_counts(n: [usize; 3], show: [bool; 3], name: &str) {
    let mut parts: Vec<String> = (0..3).filter(|&i| show[i]).map(|i| format!("{:>7}", n[i])).collect();
    if !name.is_empty() {
        parts.push(name.to_string());
    }
    userland::say!("{}", parts.join(" "));
}
