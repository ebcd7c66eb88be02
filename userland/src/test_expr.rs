//! The expression grammar of test / [ (POSIX, with the XSI -a -o and
//! parentheses), shared by the `test` tool and the shell's builtin:
//! ! -a -o ( ), -e -f -d -r -w -x -s -p -c -b -L -h -t -n -z, = == != < >,
//! -eq -ne -lt -le -gt -ge.
use std::os::unix::fs::{FileTypeExt, MetadataExt};

/// Evaluate `args` (without the closing `]`): true/false, or the message
/// for a syntax error (exit status 2).
pub fn eval(args: &[String]) -> Result<bool, String> {
    // POSIX's rules by argument count come first: they decide what a
    // lone "!" or "-n" means.
    match args.len() {
        0 => return Ok(false),
        1 => return Ok(!args[0].is_empty()),
        2 if args[0] == "!" => return Ok(args[1].is_empty()),
        3 => {
            if let Some(v) = binary(&args[0], &args[1], &args[2])? {
                return Ok(v);
            }
            if args[0] == "!" {
                return eval(&args[1..]).map(|v| !v);
            }
            if args[0] == "(" && args[2] == ")" {
                return Ok(!args[1].is_empty());
            }
        }
        4 if args[0] == "!" => return eval(&args[1..]).map(|v| !v),
        _ => {}
    }
    let mut p = Parser { a: args, i: 0 };
    let v = p.or()?;
    if p.i != args.len() {
        return Err(format!("{}: unexpected argument", args[p.i]));
    }
    Ok(v)
}

pub(crate) struct Parser<'a> {
    a: &'a [String],
    i: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self, k: usize) -> Option<&'a str> {
        self.a.get(self.i + k).map(|s| s.as_str())
    }

    fn or(&mut self) -> Result<bool, String> {
        let mut v = self.and()?;
        while self.peek(0) == Some("-o") {
            self.i += 1;
            v |= self.and()?;
        }
        Ok(v)
    }

    fn and(&mut self) -> Result<bool, String> {
        let mut v = self.not()?;
        while self.peek(0) == Some("-a") {
            self.i += 1;
            v &= self.not()?;
        }
        Ok(v)
    }

    fn not(&mut self) -> Result<bool, String> {
        // "!" alone is a non-empty string, not a negation.
        if self.peek(0) == Some("!") && self.peek(1).is_some() {
            self.i += 1;
            return Ok(!self.not()?);
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<bool, String> {
        let Some(a) = self.peek(0) else { return Ok(false) };
        if a == "(" && self.peek(1).is_some() {
            self.i += 1;
            let v = self.or()?;
            if self.peek(0) != Some(")") {
                return Err("missing ')'".into());
            }
            self.i += 1;
            return Ok(v);
        }
        if let (Some(op), Some(b)) = (self.peek(1), self.peek(2)) {
            if let Some(v) = binary(a, op, b)? {
                self.i += 3;
                return Ok(v);
            }
        }
        if a.len() == 2 && a.starts_with('-') && self.peek(1).is_some() && a != "-a" && a != "-o" {
            let b = self.peek(1).unwrap_or("").to_string();
            self.i += 2;
            return unary(a, &b);
        }
        self.i += 1;
        Ok(!a.is_empty())
    }
}

fn binary(a: &str, op: &str, b: &str) -> Result<Option<bool>, String> {
    let int = |s: &str| s.trim().parse::<i64>().map_err(|_| format!("{s}: integer expression expected"));
    Ok(Some(match op {
        "=" | "==" => a == b,
        "!=" => a != b,
        "<" => a < b,
        ">" => a > b,
        "-eq" => int(a)? == int(b)?,
        "-ne" => int(a)? != int(b)?,
        "-lt" => int(a)? < int(b)?,
        "-le" => int(a)? <= int(b)?,
        "-gt" => int(a)? > int(b)?,
        "-ge" => int(a)? >= int(b)?,
        _ => return Ok(None),
    }))
}

fn unary(op: &str, s: &str) -> Result<bool, String> {
    let m = std::fs::metadata(s);
    Ok(match op {
        "-n" => !s.is_empty(),
        "-z" => s.is_empty(),
        "-e" => m.is_ok(),
        "-f" => m.is_ok_and(|m| m.is_file()),
        "-d" => m.is_ok_and(|m| m.is_dir()),
        "-s" => m.is_ok_and(|m| m.size() > 0),
        "-p" => m.is_ok_and(|m| m.file_type().is_fifo()),
        "-c" => m.is_ok_and(|m| m.file_type().is_char_device()),
        "-b" => m.is_ok_and(|m| m.file_type().is_block_device()),
        "-L" | "-h" => std::fs::symlink_metadata(s).is_ok_and(|m| m.file_type().is_symlink()),
        "-r" => access(s, libc::R_OK),
        "-w" => access(s, libc::W_OK),
        "-x" => access(s, libc::X_OK),
        "-t" => s.parse::<i32>().is_ok_and(crate::isatty),
        _ => return Err(format!("{op}: unary operator expected")),
    })
}

fn access(path: &str, mode: i32) -> bool {
    let Ok(c) = std::ffi::CString::new(path) else { return false };
    // SAFETY: access with a valid C string.
    unsafe { libc::access(c.as_ptr(), mode) == 0 }
}
