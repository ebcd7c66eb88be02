//! date: print the date and time in UTC (the system keeps no time
//! zones). `date +FORMAT` supports %Y %m %d %H %M %S %a %b %e %j %s %y
//! %T %D %F %n %t %%; `-u` is accepted; `-d @SECONDS` shows that time.

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("u", "d", "[-u] [-d @seconds] [+format]");
    let t = match o.value('d') {
        Some(d) => match d.trim_start_matches('@').parse::<i64>() {
            Ok(t) => t,
            Err(_) => userland::die(&format!("invalid date '{d}'")),
        },
        None => userland::fmt::now(),
    };
    let fmt = match o.args.first() {
        Some(f) if f.starts_with('+') => f[1..].to_string(),
        Some(_) => userland::usage("[-u] [-d @seconds] [+format]"),
        None => "%a %b %e %H:%M:%S UTC %Y".into(),
    };
    userland::say!("{}", format(&fmt, t));
}

fn format(f: &str, t: i64) -> String {
    use userland::fmt::{gmtime, DAYS, MONTHS};
    let tm = gmtime(t);
    let mut out = String::new();
    let mut it = f.chars();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let s = match it.next() {
            Some('Y') => tm.year.to_string(),
            Some('y') => format!("{:02}", tm.year.rem_euclid(100)),
            Some('m') => format!("{:02}", tm.mon),
            Some('d') => format!("{:02}", tm.day),
            Some('e') => format!("{:>2}", tm.day),
            Some('H') => format!("{:02}", tm.hour),
            Some('M') => format!("{:02}", tm.min),
            Some('S') => format!("{:02}", tm.sec),
            Some('a') => DAYS[tm.wday as usize].to_string(),
            Some('b') | Some('h') => MONTHS[(tm.mon - 1) as usize].to_string(),
            Some('j') => format!("{:03}", day_of_year(&tm) + 1),
            Some('s') => t.to_string(),
            Some('T') => format!("{:02}:{:02}:{:02}", tm.hour, tm.min, tm.sec),
            Some('D') => format!("{:02}/{:02}/{:02}", tm.mon, tm.day, tm.year.rem_euclid(100)),
            Some('F') => format!("{}-{:02}-{:02}", tm.year, tm.mon, tm.day),
            Some('Z') => "UTC".into(),
            Some('n') => "\n".into(),
            Some('t') => "\t".into(),
            Some('%') => "%".into(),
            Some(o) => format!("%{o}"),
            None => "%".into(),
        };
        out.push_str(&s);
    }
    out
}

/// Days since January 1st (0-based).
fn day_of_year(tm: &userland::fmt::Tm) -> u32 {
    const CUM: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let leap = (tm.year % 4 == 0 && tm.year % 100 != 0) || tm.year % 400 == 0;
    CUM[(tm.mon - 1) as usize] + tm.day - 1 + (leap && tm.mon > 2) as u32
}
