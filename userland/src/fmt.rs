//! Formatting helpers: dates (UTC: the system has no time zone data),
//! permission strings, name lookups and column layout.

/// Broken-down UTC time.
pub struct Tm {
    pub year: i64,
    pub mon: u32, // 1..=12
    pub day: u32,
    pub hour: u32,
    pub min: u32,
    pub sec: u32,
    pub wday: u32, // 0 = Sunday
}

/// Convert seconds since the epoch to a UTC date (days-to-civil algorithm).
pub fn gmtime(t: i64) -> Tm {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400) as u32;
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let mon = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + if mon <= 2 { 1 } else { 0 };
    Tm { year, mon, day, hour: secs / 3600, min: secs / 60 % 60, sec: secs % 60, wday: (days + 4).rem_euclid(7) as u32 }
}

pub const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
pub const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// Seconds since the epoch now.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `ls -l` style date: "Mon DD HH:MM" if recent, else "Mon DD  YYYY".
pub fn ls_date(t: i64) -> String {
    let tm = gmtime(t);
    let m = MONTHS[(tm.mon - 1) as usize];
    if (now() - t).abs() < 180 * 86400 {
        format!("{m} {:>2} {:02}:{:02}", tm.day, tm.hour, tm.min)
    } else {
        format!("{m} {:>2}  {:>4}", tm.day, tm.year)
    }
}

/// `drwxr-xr-x` from st_mode.
pub fn mode_string(mode: u32) -> String {
    let kind = match mode & libc::S_IFMT {
        libc::S_IFDIR => 'd',
        libc::S_IFLNK => 'l',
        libc::S_IFCHR => 'c',
        libc::S_IFBLK => 'b',
        libc::S_IFIFO => 'p',
        libc::S_IFSOCK => 's',
        _ => '-',
    };
    let mut s = String::from(kind);
    let bits = ['r', 'w', 'x'];
    for i in 0..9 {
        let on = mode & (0o400 >> i) != 0;
        s.push(if on { bits[i % 3] } else { '-' });
    }
    let mut b: Vec<char> = s.chars().collect();
    if mode & 0o4000 != 0 { b[3] = if b[3] == 'x' { 's' } else { 'S' }; }
    if mode & 0o2000 != 0 { b[6] = if b[6] == 'x' { 's' } else { 'S' }; }
    if mode & 0o1000 != 0 { b[9] = if b[9] == 'x' { 't' } else { 'T' }; }
    b.into_iter().collect()
}

/// Name for a uid/gid from /etc/passwd or /etc/group, else the number.
/// Each file is read once per process (ls -l asks for every entry).
pub fn id_name(file: &str, id: u32) -> String {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: Mutex<Option<HashMap<String, HashMap<u32, String>>>> = Mutex::new(None);
    let mut guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let files = guard.get_or_insert_with(HashMap::new);
    let names = files.entry(file.to_string()).or_insert_with(|| {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let mut m = HashMap::new();
        for line in text.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if let (Some(name), Some(Ok(n))) = (f.first(), f.get(2).map(|x| x.parse::<u32>())) {
                m.entry(n).or_insert_with(|| name.to_string());
            }
        }
        m
    });
    names.get(&id).cloned().unwrap_or_else(|| id.to_string())
}

/// Lay names out in columns across `width`, filling down then across.
pub fn columns(names: &[String], width: usize) -> String {
    if names.is_empty() {
        return String::new();
    }
    let colw = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) + 2;
    let ncols = (width / colw).max(1);
    let nrows = names.len().div_ceil(ncols);
    let mut s = String::new();
    for r in 0..nrows {
        let mut line = String::new();
        for c in 0..ncols {
            if let Some(n) = names.get(c * nrows + r) {
                let pad = colw - n.chars().count();
                line.push_str(n);
                line.push_str(&" ".repeat(pad));
            }
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}


/// Interpret backslash escapes (\n \t \\ \a \b \f \r \v \0NNN \c).
/// The flag says `\c` was seen: stop output there.
pub fn unescape(s: &str) -> (String, bool) {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('f') => out.push('\x0c'),
            Some('v') => out.push('\x0b'),
            Some('\\') => out.push('\\'),
            Some('c') => return (out, true),
            Some('0') => {
                let mut n = 0u32;
                for _ in 0..3 {
                    match it.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            n = n * 8 + d;
                            it.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(n).unwrap_or('?'));
            }
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    (out, false)
}

/// Turn the historical `-5` into `-n 5` (head, tail).
pub fn numeric_option(mut args: Vec<String>) -> Vec<String> {
    if let Some(a) = args.first() {
        if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| c.is_ascii_digit()) {
            let n = a[1..].to_string();
            args[0] = "-n".into();
            args.insert(1, n);
        }
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn epoch_dates() {
        let t = gmtime(0);
        assert_eq!((t.year, t.mon, t.day, t.wday), (1970, 1, 1, 4));
        let t = gmtime(951782400); // 2000-02-29
        assert_eq!((t.year, t.mon, t.day), (2000, 2, 29));
    }
    #[test]
    fn modes() {
        assert_eq!(mode_string(0o40755), "drwxr-xr-x");
        assert_eq!(mode_string(0o100644), "-rw-r--r--");
    }
}
