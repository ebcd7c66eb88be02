//! The shell's line editor, kept apart from the shell and from the real
//! terminal (the `Term` trait) so that host tests can feed it keys and
//! look at the bytes it writes.
//!
//! Keys: ←/→ ^B/^F, Home/End ^A/^E (ESC[H ESC[F ESC[1~ ESC[4~ ESC[7~
//! ESC[8~ ESCOH ESCOF), Alt-b/Alt-f and Ctrl-←/→ by words, Backspace ^H,
//! Delete (ESC[3~) and ^D (EOF on an empty line), ^U ^K ^W (kill to start,
//! to end, the word before) and ^Y (yank), ^T (transpose), ^L (clear the
//! screen), ↑/↓ ^P/^N (history), ^R (reverse incremental search), Tab
//! (completion: commands at the start of a command, paths elsewhere; a
//! second Tab lists the candidates), ^C (abandon the line).
//!
//! A line wider than the terminal spans several rows. The editor keeps
//! the row its cursor is on, relative to the row the prompt starts on, so
//! a redraw moves up that many rows (ESC[nA) before rewriting, and clears
//! to the end of the screen (ESC[J), instead of smearing copies downwards.

use std::fmt::Write as _;

/// Where keys come from and drawing goes.
pub trait Term {
    /// One byte of input; None at end of input.
    fn read_byte(&mut self) -> Option<u8>;
    /// Output (the editor calls `flush` after each key).
    fn write(&mut self, b: &[u8]);
    fn flush(&mut self) {}
    /// Columns; asked once per line.
    fn width(&mut self) -> usize;
}

/// What Tab completes a command name from (builtins, aliases, functions
/// and the programs in PATH); paths the editor completes itself.
pub trait Complete {
    fn commands(&self, prefix: &str) -> Vec<String>;
    /// $HOME, for `~/` in paths.
    fn home(&self) -> Option<String> {
        None
    }
}

/// No command completion (tests, or a shell without PATH).
pub struct NoCommands;
impl Complete for NoCommands {
    fn commands(&self, _: &str) -> Vec<String> {
        Vec::new()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Key {
    Char(char),
    Enter,
    Back,
    Delete,
    Left,
    Right,
    WordLeft,
    WordRight,
    Up,
    Down,
    Home,
    End,
    Intr,
    CtrlD,
    KillStart,
    KillEnd,
    KillWord,
    Yank,
    Transpose,
    Clear,
    Search,
    Tab,
    Cancel,
    Other,
}

fn read_key(t: &mut dyn Term) -> Option<Key> {
    let b = t.read_byte()?;
    Some(match b {
        b'\r' | b'\n' => Key::Enter,
        0x7f | 0x08 => Key::Back,
        0x01 => Key::Home,
        0x02 => Key::Left,
        0x03 => Key::Intr,
        0x04 => Key::CtrlD,
        0x05 => Key::End,
        0x06 => Key::Right,
        0x07 => Key::Cancel,
        b'\t' => Key::Tab,
        0x0b => Key::KillEnd,
        0x0c => Key::Clear,
        0x0e => Key::Down,
        0x10 => Key::Up,
        0x12 => Key::Search,
        0x14 => Key::Transpose,
        0x15 => Key::KillStart,
        0x17 => Key::KillWord,
        0x19 => Key::Yank,
        0x1b => escape(t),
        0x20..=0x7e => Key::Char(b as char),
        0x80.. => utf8(t, b),
        _ => Key::Other,
    })
}

/// After ESC: CSI (ESC [ params final) or SS3 (ESC O final) sequences,
/// and Alt-b / Alt-f.
fn escape(t: &mut dyn Term) -> Key {
    let intro = match t.read_byte() {
        Some(b'b') => return Key::WordLeft,
        Some(b'f') => return Key::WordRight,
        Some(0x7f) => return Key::KillWord,
        Some(c @ (b'[' | b'O')) => c,
        _ => return Key::Other,
    };
    let mut params = String::new();
    let fin = loop {
        match t.read_byte() {
            Some(c @ (b'0'..=b'9' | b';')) if intro == b'[' => params.push(c as char),
            Some(c) => break c,
            None => return Key::Other,
        }
    };
    let ctrl = params.ends_with(";5");
    match fin {
        b'A' => Key::Up,
        b'B' => Key::Down,
        b'C' if ctrl => Key::WordRight,
        b'D' if ctrl => Key::WordLeft,
        b'C' => Key::Right,
        b'D' => Key::Left,
        b'H' => Key::Home,
        b'F' => Key::End,
        b'~' => match params.split(';').next().unwrap_or("") {
            "1" | "7" => Key::Home,
            "4" | "8" => Key::End,
            "3" => Key::Delete,
            _ => Key::Other,
        },
        _ => Key::Other,
    }
}

fn utf8(t: &mut dyn Term, first: u8) -> Key {
    let len = if first >= 0xf0 { 4 } else if first >= 0xe0 { 3 } else { 2 };
    let mut buf = vec![first];
    for _ in 1..len {
        buf.push(t.read_byte().unwrap_or(0));
    }
    String::from_utf8(buf).ok().and_then(|s| s.chars().next()).map(Key::Char).unwrap_or(Key::Other)
}

/// Columns a prompt takes on its last row: escape sequences (colours)
/// take none.
fn visible_width(s: &str) -> usize {
    let mut n = 0;
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\x1b' {
            if it.peek() == Some(&'[') {
                it.next();
                for d in it.by_ref() {
                    if ('@'..='~').contains(&d) {
                        break;
                    }
                }
            }
            continue;
        }
        if c >= ' ' {
            n += 1;
        }
    }
    n
}

/// One line being edited and its place on the screen.
struct Line<'a> {
    prompt: &'a str,
    buf: Vec<char>,
    pos: usize,
    width: usize,
    /// The row the terminal's cursor is on, counted from the prompt's row.
    row: usize,
}

impl Line<'_> {
    /// Rewrite prompt (its last row) and text, then put the cursor at `pos`.
    fn redraw(&mut self, t: &mut dyn Term, prompt: &str) {
        let last = prompt.rsplit('\n').next().unwrap_or("");
        let mut s = String::new();
        if self.row > 0 {
            let _ = write!(s, "\x1b[{}A", self.row);
        }
        s.push('\r');
        s.push_str(last);
        s.extend(self.buf.iter());
        self.place(&mut s, visible_width(last));
        t.write(s.as_bytes());
    }

    /// After writing prompt and text: clear what is left of an older,
    /// longer line and move from the end of the text to the cursor.
    fn place(&mut self, s: &mut String, plen: usize) {
        let w = self.width.max(1);
        let end = plen + self.buf.len();
        if end > 0 && end.is_multiple_of(w) {
            // The terminal waits at the last column: make the wrap real
            // so that the row count below is where the cursor is.
            s.push_str("\r\n");
        }
        s.push_str("\x1b[J");
        let (end_row, at) = (end / w, plen + self.pos);
        let (row, col) = (at / w, at % w);
        if end_row > row {
            let _ = write!(s, "\x1b[{}A", end_row - row);
        }
        if end_row > row || col != end % w {
            s.push('\r');
            if col > 0 {
                let _ = write!(s, "\x1b[{col}C");
            }
        }
        self.row = row;
    }

    /// Put the cursor below the whole line (Enter, ^C, listings).
    fn finish(&mut self, t: &mut dyn Term, plen: usize) {
        let w = self.width.max(1);
        let end = plen + self.buf.len();
        let end_row = if end > 0 && end.is_multiple_of(w) { end / w - 1 } else { end / w };
        let mut s = String::new();
        if end_row > self.row {
            let _ = write!(s, "\x1b[{}B", end_row - self.row);
        }
        s.push_str("\r\n");
        t.write(s.as_bytes());
        self.row = 0;
    }

    fn set(&mut self, text: &str) {
        self.buf = text.chars().collect();
        self.pos = self.buf.len();
    }

    fn text(&self) -> String {
        self.buf.iter().collect()
    }

    fn word_left(&self) -> usize {
        let mut p = self.pos;
        while p > 0 && !self.buf[p - 1].is_alphanumeric() {
            p -= 1;
        }
        while p > 0 && self.buf[p - 1].is_alphanumeric() {
            p -= 1;
        }
        p
    }

    fn word_right(&self) -> usize {
        let mut p = self.pos;
        while p < self.buf.len() && !self.buf[p].is_alphanumeric() {
            p += 1;
        }
        while p < self.buf.len() && self.buf[p].is_alphanumeric() {
            p += 1;
        }
        p
    }
}

/// The editor: history, the kill buffer, and what the last key was (a
/// second Tab lists).
#[derive(Default)]
pub struct Editor {
    pub history: Vec<String>,
    killed: String,
}

/// What a key did to the editing loop.
enum Step {
    Go,
    Done(Option<String>),
}

impl Editor {
    pub fn new() -> Editor {
        Editor::default()
    }

    /// Edit one line after `prompt`; None at end of input (^D on an empty
    /// line, or the input closed).
    pub fn read_line(&mut self, t: &mut dyn Term, prompt: &str, c: &dyn Complete) -> Option<String> {
        let width = t.width().max(1);
        let mut l = Line { prompt, buf: Vec::new(), pos: 0, width, row: 0 };
        let plen = visible_width(prompt.rsplit('\n').next().unwrap_or(""));
        let mut s = String::from(prompt);
        l.place(&mut s, plen);
        t.write(s.as_bytes());
        t.flush();
        let mut hist = self.history.len();
        let mut saved = String::new();
        let mut tabs = 0;
        loop {
            let key = read_key(t)?;
            tabs = if key == Key::Tab { tabs + 1 } else { 0 };
            let step = match key {
                Key::Up | Key::Down => {
                    self.walk(&mut l, &mut hist, &mut saved, key == Key::Up);
                    Step::Go
                }
                Key::Search => self.search(t, &mut l),
                Key::Tab => {
                    complete(t, &mut l, c, tabs >= 2);
                    Step::Go
                }
                k => self.key(t, &mut l, k, &mut hist),
            };
            match step {
                Step::Done(r) => {
                    if let Some(line) = &r {
                        if !line.trim().is_empty() && self.history.last() != Some(line) {
                            self.history.push(line.clone());
                        }
                    }
                    t.flush();
                    return r;
                }
                Step::Go => {
                    // Typing at the end of a line needs no redraw.
                    if !matches!(key, Key::Char(_)) || l.pos != l.buf.len() || (plen + l.pos).is_multiple_of(width) {
                        l.redraw(t, prompt);
                    }
                }
            }
            t.flush();
        }
    }

    /// The editing keys.
    fn key(&mut self, t: &mut dyn Term, l: &mut Line, key: Key, hist: &mut usize) -> Step {
        let plen = visible_width(l.prompt.rsplit('\n').next().unwrap_or(""));
        match key {
            Key::Enter => {
                l.pos = l.buf.len();
                l.finish(t, plen);
                return Step::Done(Some(l.text()));
            }
            Key::Char(ch) => {
                l.buf.insert(l.pos, ch);
                l.pos += 1;
                if l.pos == l.buf.len() {
                    let mut b = [0u8; 4];
                    t.write(ch.encode_utf8(&mut b).as_bytes());
                }
            }
            Key::Back if l.pos > 0 => {
                l.pos -= 1;
                l.buf.remove(l.pos);
            }
            Key::Delete if l.pos < l.buf.len() => {
                l.buf.remove(l.pos);
            }
            Key::CtrlD if l.buf.is_empty() => {
                t.write(b"\r\n");
                return Step::Done(None);
            }
            Key::CtrlD if l.pos < l.buf.len() => {
                l.buf.remove(l.pos);
            }
            Key::Left if l.pos > 0 => l.pos -= 1,
            Key::Right if l.pos < l.buf.len() => l.pos += 1,
            Key::WordLeft => l.pos = l.word_left(),
            Key::WordRight => l.pos = l.word_right(),
            Key::Home => l.pos = 0,
            Key::End => l.pos = l.buf.len(),
            Key::KillStart => {
                self.killed = l.buf.drain(..l.pos).collect();
                l.pos = 0;
            }
            Key::KillEnd => self.killed = l.buf.drain(l.pos..).collect(),
            Key::KillWord => {
                // ^W: back to the previous blank, as the tty's WERASE does.
                let mut p = l.pos;
                while p > 0 && l.buf[p - 1] == ' ' {
                    p -= 1;
                }
                while p > 0 && l.buf[p - 1] != ' ' {
                    p -= 1;
                }
                self.killed = l.buf.drain(p..l.pos).collect();
                l.pos = p;
            }
            Key::Yank => {
                for ch in self.killed.chars() {
                    l.buf.insert(l.pos, ch);
                    l.pos += 1;
                }
            }
            Key::Transpose if l.pos > 0 && l.buf.len() >= 2 => {
                let p = if l.pos == l.buf.len() { l.pos - 1 } else { l.pos };
                l.buf.swap(p - 1, p);
                l.pos = p + 1;
            }
            Key::Clear => {
                t.write(b"\x1b[H\x1b[2J");
                let mut s = String::from(l.prompt);
                s.extend(l.buf.iter());
                l.row = 0;
                l.place(&mut s, plen);
                t.write(s.as_bytes());
            }
            Key::Intr => {
                // ^C abandons the line, as in other shells.
                l.pos = l.buf.len();
                t.write(b"^C");
                l.finish(t, plen + 2);
                l.buf.clear();
                l.pos = 0;
                *hist = self.history.len();
                t.write(l.prompt.as_bytes());
            }
            _ => {}
        }
        Step::Go
    }

    /// ↑ / ↓: older and newer history lines; the line being typed is kept.
    fn walk(&self, l: &mut Line, hist: &mut usize, saved: &mut String, up: bool) {
        if up && *hist > 0 {
            if *hist == self.history.len() {
                *saved = l.text();
            }
            *hist -= 1;
            l.set(&self.history[*hist]);
        } else if !up && *hist < self.history.len() {
            *hist += 1;
            let s = if *hist == self.history.len() { saved.clone() } else { self.history[*hist].clone() };
            l.set(&s);
        }
    }

    /// ^R: search the history backwards for what is typed; ^R again for
    /// an older match, Enter runs the match, ^G/^C give the line back,
    /// another editing key takes the match and does its job.
    fn search(&mut self, t: &mut dyn Term, l: &mut Line) -> Step {
        let (orig, orig_pos) = (l.text(), l.pos);
        let mut query = String::new();
        let mut from = self.history.len();
        let mut found: Option<usize> = None;
        let mut failed = false;
        loop {
            let p = format!("({}reverse-i-search)`{query}': ", if failed { "failed " } else { "" });
            let text = found.map(|i| self.history[i].clone()).unwrap_or_default();
            l.buf = text.chars().collect();
            l.pos = found.and_then(|i| self.history[i].find(&query)).map(|b| text[..b].chars().count()).unwrap_or(0);
            l.redraw(t, &p);
            t.flush();
            let Some(key) = read_key(t) else { return Step::Done(None) };
            let next = |start: usize, q: &str| (0..start).rev().find(|&i| self.history[i].contains(q));
            match key {
                Key::Char(ch) => {
                    query.push(ch);
                    let start = found.map(|i| i + 1).unwrap_or(from).min(self.history.len());
                    found = next(start, &query).or(found);
                    failed = next(start, &query).is_none();
                }
                Key::Search => {
                    from = found.unwrap_or(from);
                    let n = next(from, &query);
                    failed = n.is_none();
                    found = n.or(found);
                }
                Key::Back => {
                    query.pop();
                    found = next(self.history.len(), &query);
                    failed = found.is_none() && !query.is_empty();
                }
                Key::Cancel | Key::Intr => {
                    l.set(&orig);
                    l.pos = orig_pos;
                    self.leave_search(t, l);
                    return Step::Go;
                }
                Key::Enter => {
                    self.leave_search(t, l);
                    let plen = visible_width(l.prompt.rsplit('\n').next().unwrap_or(""));
                    l.pos = l.buf.len();
                    l.finish(t, plen);
                    return Step::Done(Some(l.text()));
                }
                k => {
                    self.leave_search(t, l);
                    let mut h = self.history.len();
                    return self.key(t, l, k, &mut h);
                }
            }
        }
    }

    /// Back to the normal prompt with the match as the line.
    fn leave_search(&self, t: &mut dyn Term, l: &mut Line) {
        let prompt = l.prompt;
        l.redraw(t, prompt);
    }
}

/// Tab: the word before the cursor completed as a command name (first
/// word of a command) or a path. One candidate is inserted whole (with a
/// space, or a `/` for a directory); several extend the word to their
/// common prefix, and a second Tab lists them under the line.
fn complete(t: &mut dyn Term, l: &mut Line, c: &dyn Complete, list: bool) {
    let start = word_start(&l.buf[..l.pos]);
    let word: String = l.buf[start..l.pos].iter().collect();
    let before: String = l.buf[..start].iter().collect();
    let command = !word.contains('/') && command_position(&before);
    let mut cands = if command { c.commands(&word) } else { paths(&word, c.home()) };
    cands.sort();
    cands.dedup();
    if cands.is_empty() {
        t.write(b"\x07");
        return;
    }
    let common = common_prefix(&cands);
    let typed = unescape_word(&word).len();
    let add: String = if cands.len() == 1 {
        let one = &cands[0];
        let tail = if one.ends_with('/') { "" } else { " " };
        format!("{}{tail}", escape_word(one.get(typed..).unwrap_or("")))
    } else {
        escape_word(common.get(typed..).unwrap_or(""))
    };
    for ch in add.chars() {
        l.buf.insert(l.pos, ch);
        l.pos += 1;
    }
    if cands.len() > 1 && add.is_empty() {
        if !list {
            t.write(b"\x07");
            return;
        }
        let plen = visible_width(l.prompt.rsplit('\n').next().unwrap_or(""));
        let keep = l.pos;
        l.pos = l.buf.len();
        l.redraw(t, l.prompt);
        l.finish(t, plen);
        l.pos = keep;
        let names: Vec<String> = cands.iter().map(|n| shown_name(n)).collect();
        let cols = crate::fmt::columns(&names, l.width);
        t.write(cols.replace('\n', "\r\n").as_bytes());
        let mut s = String::from(l.prompt);
        s.extend(l.buf.iter());
        l.row = 0;
        l.place(&mut s, plen);
        t.write(s.as_bytes());
    }
}

/// A listed path shows its last component (`dir/` for directories).
fn shown_name(n: &str) -> String {
    let trimmed = n.strip_suffix('/').unwrap_or(n);
    let base = trimmed.rsplit('/').next().unwrap_or(trimmed);
    if n.ends_with('/') { format!("{base}/") } else { base.to_string() }
}

fn word_start(before: &[char]) -> usize {
    let sep = |c: char| matches!(c, ' ' | '\t' | ';' | '|' | '&' | '(' | ')' | '<' | '>' | '`');
    let mut i = before.len();
    while i > 0 {
        // A backslash-escaped blank belongs to the word.
        if i >= 2 && before[i - 2] == '\\' {
            i -= 2;
        } else if sep(before[i - 1]) {
            break;
        } else {
            i -= 1;
        }
    }
    i
}

/// Is a word after `before` in command position (start of a command)?
fn command_position(before: &str) -> bool {
    let t = before.trim_end();
    t.is_empty() || t.ends_with([';', '|', '&', '(', '`']) || ["then", "do", "else", "elif", "!", "{", "sudo", "exec", "command", "type", "which"].iter().any(|w| t.split_whitespace().last() == Some(w))
}

fn escape_word(s: &str) -> String {
    let mut o = String::new();
    for ch in s.chars() {
        if " \t'\"\\$&;|()<>*?[]`".contains(ch) {
            o.push('\\');
        }
        o.push(ch);
    }
    o
}

fn unescape_word(s: &str) -> String {
    let mut o = String::new();
    let mut it = s.chars();
    while let Some(ch) = it.next() {
        if ch == '\\' {
            if let Some(n) = it.next() {
                o.push(n);
            }
        } else {
            o.push(ch);
        }
    }
    o
}

fn common_prefix(v: &[String]) -> String {
    let mut p: &str = &v[0];
    for s in &v[1..] {
        let n = p.chars().zip(s.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
        p = &p[..n];
    }
    p.to_string()
}

/// The paths that complete `word` (as typed: `~/` and escapes kept), a
/// directory with a trailing `/`. Dot files only for a word with a dot.
fn paths(word: &str, home: Option<String>) -> Vec<String> {
    let raw = unescape_word(word);
    let (dir, prefix) = match raw.rfind('/') {
        Some(i) => (raw[..=i].to_string(), raw[i + 1..].to_string()),
        None => (String::new(), raw.clone()),
    };
    let look = match (dir.strip_prefix("~/"), home) {
        (Some(rest), Some(h)) => format!("{h}/{rest}"),
        _ if dir.is_empty() => ".".into(),
        _ => dir.clone(),
    };
    let Ok(rd) = std::fs::read_dir(&look) else { return Vec::new() };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with(&prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
            continue;
        }
        let is_dir = std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir());
        out.push(format!("{dir}{name}{}", if is_dir { "/" } else { "" }));
    }
    out
}

/// The executables in the directories of `path` whose names start with
/// `prefix` (for the shell's `Complete::commands`).
pub fn path_commands(path: &str, prefix: &str) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        let Ok(rd) = std::fs::read_dir(dir) else { continue };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(prefix) && std::fs::metadata(e.path()).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0) {
                out.push(name);
            }
        }
    }
    out
}
