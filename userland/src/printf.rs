//! printf's formatting, shared by the `printf` tool and the shell's
//! builtin: %s %b %c %d %i %u %o %x %X %%, flags (- 0 space + #), width
//! and precision (also `*`), escapes in the format, and the format reused
//! while arguments remain, as POSIX says.

/// Format `format` with `args`: the output and the exit status (1 when
/// an argument was not a number or a conversion was bad). Messages go
/// to stderr under `who`.
pub fn printf(format: &str, args: &[String]) -> (String, i32) {
    let mut rest = args.iter();
    let mut out = String::new();
    let mut status = 0;
    loop {
        let before = rest.len();
        if format_once(format, &mut rest, &mut out, &mut status) {
            break;
        }
        if rest.len() == 0 || rest.len() == before {
            break;
        }
    }
    (out, status)
}

/// Expand the format once. Returns true if `\c` stopped output.
fn format_once<'a>(f: &str, args: &mut impl Iterator<Item = &'a String>, out: &mut String, status: &mut i32) -> bool {
    let chars: Vec<char> = f.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            // The format's escapes: \NNN (one to three octal digits)
            // and those of fmt::unescape.
            let digits = chars[i + 1..].iter().take(3).take_while(|d| d.is_digit(8)).count();
            if digits > 0 {
                let n = chars[i + 1..i + 1 + digits].iter().fold(0u32, |n, d| n * 8 + d.to_digit(8).unwrap_or(0));
                out.push(char::from_u32(n & 0xff).unwrap_or('?'));
                i += 1 + digits;
                continue;
            }
            let end = (i + 2).min(chars.len());
            let esc: String = chars[i..end].iter().collect();
            let (text, stop) = match esc.as_str() {
                "\\\"" => ("\"".to_string(), false),
                _ => crate::fmt::unescape(&esc),
            };
            out.push_str(&text);
            if stop {
                return true;
            }
            i = end;
            continue;
        }
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        // Flags, width and precision; a `*` takes its number from the
        // next argument.
        let mut spec = String::new();
        while i < chars.len() && "-+ 0#.0123456789*".contains(chars[i]) {
            if chars[i] == '*' {
                let n = args.next().map(|a| number(a, status)).unwrap_or(0);
                if n < 0 && !spec.contains('.') {
                    spec.push('-');
                }
                spec.push_str(&n.abs().to_string());
            } else {
                spec.push(chars[i]);
            }
            i += 1;
        }
        let Some(&conv) = chars.get(i) else { out.push('%'); out.push_str(&spec); break };
        i += 1;
        if conv == '%' {
            out.push('%');
            continue;
        }
        let arg = args.next().map(|s| s.as_str()).unwrap_or("");
        if conv == 'b' {
            let (t, stop) = crate::fmt::unescape(&octal_escapes(arg));
            out.push_str(&pad(&spec, t));
            if stop {
                return true;
            }
            continue;
        }
        out.push_str(&convert(&spec, conv, arg, status));
    }
    false
}

/// One conversion of `arg` with flags/width/precision `spec`.
fn convert(spec: &str, conv: char, arg: &str, status: &mut i32) -> String {
    let (flags, wp) = spec.split_at(spec.find(|c: char| c.is_ascii_digit() && c != '0' || c == '.').unwrap_or(spec.len()));
    let (_, prec) = match wp.split_once('.') {
        Some((w, p)) => (w, Some(p.parse::<usize>().unwrap_or(0))),
        None => (wp, None),
    };
    let body = match conv {
        's' => match prec {
            Some(p) => arg.chars().take(p).collect(),
            None => arg.to_string(),
        },
        'c' => arg.chars().next().map(String::from).unwrap_or_default(),
        'd' | 'i' | 'u' | 'o' | 'x' | 'X' => {
            let n = number(arg, status);
            let mut s = match conv {
                'o' => format!("{:o}", n),
                'x' => format!("{:x}", n),
                'X' => format!("{:X}", n),
                _ => n.abs().to_string(),
            };
            if let Some(p) = prec {
                while s.len() < p {
                    s.insert(0, '0');
                }
            }
            let sign = if n < 0 && "diu".contains(conv) { "-" } else if flags.contains('+') { "+" } else if flags.contains(' ') { " " } else { "" };
            return pad_num(spec, sign, s);
        }
        _ => {
            crate::warn_msg(&format!("%{conv}: invalid conversion"));
            *status = 1;
            String::new()
        }
    };
    pad(spec, body)
}

fn number(arg: &str, status: &mut i32) -> i64 {
    let a = arg.trim();
    let r = if let Some(h) = a.strip_prefix("0x") {
        i64::from_str_radix(h, 16)
    } else if let Some(c) = a.strip_prefix('\'').or_else(|| a.strip_prefix('"')) {
        Ok(c.chars().next().map(|c| c as i64).unwrap_or(0))
    } else if a.is_empty() {
        Ok(0)
    } else {
        a.parse::<i64>()
    };
    r.unwrap_or_else(|_| {
        crate::warn_msg(&format!("{arg}: invalid number"));
        *status = 1;
        0
    })
}

fn width(spec: &str) -> usize {
    let w: String = spec.trim_start_matches(['-', '+', ' ', '0', '#']).chars().take_while(|c| c.is_ascii_digit()).collect();
    w.parse().unwrap_or(0)
}

fn pad(spec: &str, s: String) -> String {
    let w = width(spec);
    let n = s.chars().count();
    if n >= w {
        s
    } else if spec.starts_with('-') || spec.contains("-") {
        format!("{s}{}", " ".repeat(w - n))
    } else {
        format!("{}{s}", " ".repeat(w - n))
    }
}

fn pad_num(spec: &str, sign: &str, digits: String) -> String {
    let w = width(spec);
    let n = sign.len() + digits.len();
    let zero = spec.trim_start_matches(['-', '+', ' ', '#']).starts_with('0') && !spec.contains('-');
    if n >= w {
        format!("{sign}{digits}")
    } else if zero {
        format!("{sign}{}{digits}", "0".repeat(w - n))
    } else {
        pad(spec, format!("{sign}{digits}"))
    }
}

/// %b also takes \NNN without the leading 0 (as dash, bash and busybox
/// do): turn those into \0NNN for fmt::unescape.
fn octal_escapes(s: &str) -> String {
    let mut o = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        o.push(c);
        if c == '\\' {
            match it.peek() {
                Some('1'..='7') => o.push('0'),
                Some(_) => o.push(it.next().unwrap_or('\\')),
                None => {}
            }
        }
    }
    o
}
