//! The line editor with a fake terminal: keys in, the edited line and
//! the bytes written out.
use userland::edit::{Complete, Editor, NoCommands, Term};

struct Fake {
    keys: Vec<u8>,
    at: usize,
    out: Vec<u8>,
    width: usize,
}

impl Term for Fake {
    fn read_byte(&mut self) -> Option<u8> {
        let b = self.keys.get(self.at).copied();
        self.at += 1;
        b
    }
    fn write(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }
    fn width(&mut self) -> usize {
        self.width
    }
}

fn fake(keys: &str, width: usize) -> Fake {
    Fake { keys: keys.as_bytes().to_vec(), at: 0, out: Vec::new(), width }
}

/// Edit one line from `keys` with the prompt "$ "; (line, output).
fn edit_with(ed: &mut Editor, keys: &str, width: usize, c: &dyn Complete) -> (Option<String>, String) {
    let mut t = fake(keys, width);
    let l = ed.read_line(&mut t, "$ ", c);
    (l, String::from_utf8_lossy(&t.out).into_owned())
}

fn edit(keys: &str) -> String {
    edit_with(&mut Editor::new(), keys, 80, &NoCommands).0.expect("a line")
}

#[test]
fn cursor_keys_and_deletes() {
    assert_eq!(edit("world\x01hello \r"), "hello world"); // ^A
    assert_eq!(edit("ab\x01\x05c\r"), "abc"); // ^E
    assert_eq!(edit("ac\x02b\r"), "abc"); // ^B
    assert_eq!(edit("ac\x02\x02\x06b\r"), "abc"); // ^F
    assert_eq!(edit("abc\x1b[D\x1b[D\x1b[3~\r"), "ac"); // Delete
    assert_eq!(edit("abc\x01\x04\r"), "bc"); // ^D deletes under the cursor
    assert_eq!(edit("abc\x7f\x08\r"), "a"); // DEL and ^H
    assert_eq!(edit("bc\x1b[1~a\x1b[4~d\r"), "abcd"); // Home/End as tmux and the Linux console send
    assert_eq!(edit("bc\x1b[7~a\x1b[8~d\r"), "abcd"); // rxvt
    assert_eq!(edit("bc\x1b[Ha\x1b[Fd\r"), "abcd"); // xterm
    assert_eq!(edit("bc\x1bOHa\x1bOFd\r"), "abcd"); // application mode
    assert_eq!(edit("one two\x1bbX\x1bfY\r"), "one XtwoY"); // Alt-b then Alt-f
    assert_eq!(edit("one two\x1b[1;5DX\r"), "one Xtwo"); // Ctrl-←
}

#[test]
fn kill_and_yank() {
    assert_eq!(edit("echo one two\x17\r"), "echo one "); // ^W
    assert_eq!(edit("echo one two  \x17\r"), "echo one "); // ^W over blanks
    assert_eq!(edit("echo one two\x01\x06\x06\x06\x06\x0b\r"), "echo"); // ^K
    assert_eq!(edit("echo one two\x1b[D\x1b[D\x1b[D\x15\r"), "two"); // ^U kills to the start
    assert_eq!(edit("abc\x17x\x19\r"), "xabc"); // ^Y yanks what ^W took
    assert_eq!(edit("ab\x14\r"), "ba"); // ^T
}

#[test]
fn eof_and_interrupt() {
    let (l, _) = edit_with(&mut Editor::new(), "\x04", 80, &NoCommands);
    assert_eq!(l, None, "^D on an empty line is end of input");
    let (l, out) = edit_with(&mut Editor::new(), "junk\x03ok\r", 80, &NoCommands);
    assert_eq!(l.as_deref(), Some("ok"));
    assert!(out.contains("^C\r\n$ "), "{out:?}");
    assert_eq!(edit_with(&mut Editor::new(), "abc", 80, &NoCommands).0, None, "input closed mid-line");
}

#[test]
fn history_and_reverse_search() {
    let mut ed = Editor::new();
    for l in ["ls /bin", "echo hello", "cat /etc/motd"] {
        assert_eq!(edit_with(&mut ed, &format!("{l}\r"), 80, &NoCommands).0.as_deref(), Some(l));
    }
    assert_eq!(edit_with(&mut ed, "\x1b[A\x1b[A\r", 80, &NoCommands).0.as_deref(), Some("echo hello"));
    assert_eq!(edit_with(&mut ed, "\x10\x10\x0e\r", 80, &NoCommands).0.as_deref(), Some("echo hello"), "^P ^P ^N");
    // ^R finds the newest line containing the text; Enter runs it.
    let (l, out) = edit_with(&mut ed, "\x12ls\r", 80, &NoCommands);
    assert_eq!(l.as_deref(), Some("ls /bin"));
    assert!(out.contains("(reverse-i-search)`ls': ls /bin"), "{out:?}");
    // ^R ^R: the next older match; an editing key takes the match.
    let mut ed2 = Editor::new();
    for l in ["echo 1", "echo 2", "true"] {
        edit_with(&mut ed2, &format!("{l}\r"), 80, &NoCommands);
    }
    assert_eq!(edit_with(&mut ed2, "\x12echo\x12\x05 x\r", 80, &NoCommands).0.as_deref(), Some("echo 1 x"));
    // ^G gives the typed line back.
    assert_eq!(edit_with(&mut ed2, "mine\x12echo\x07!\r", 80, &NoCommands).0.as_deref(), Some("mine!"));
    let (_, out) = edit_with(&mut ed2, "\x12zzz\x07\r", 80, &NoCommands);
    assert!(out.contains("failed reverse-i-search"), "{out:?}");
}

#[test]
fn clear_screen_redraws_the_line() {
    let (l, out) = edit_with(&mut Editor::new(), "abc\x0c\r", 80, &NoCommands);
    assert_eq!(l.as_deref(), Some("abc"));
    assert!(out.contains("\x1b[H\x1b[2J$ abc"), "{out:?}");
}

/// A line wider than the terminal: editing in its first row must move
/// the cursor back up the rows the line spans, never print a fresh copy
/// from a bare \r on the row below.
#[test]
fn long_line_redraws_in_place() {
    let text = "x".repeat(25); // "$ " + 25 = 27 columns on a 10-column terminal: 3 rows
    let keys = format!("{text}\x01\x06y\r");
    let (l, out) = edit_with(&mut Editor::new(), &keys, 10, &NoCommands);
    assert_eq!(l.as_deref(), Some(format!("x{}{}", "y", "x".repeat(24)).as_str()));
    // After ^A the cursor went from row 2 up to row 0.
    assert!(out.contains("\x1b[2A\r"), "^A goes up two rows: {out:?}");
    // Inserting "y" on row 0 redraws from there and goes back up from the end.
    assert!(out.contains("\r$ xyxxxxxxxxxxxxxxxxxxxxxxxx\x1b[J\x1b[2A\r\x1b[4C"), "{out:?}");
    assert!(out.ends_with("\r\n"), "{out:?}");
    // Model the screen and check it shows exactly one copy of the line.
    let screen = render(&out, 10);
    assert_eq!(screen[0], "$ xyxxxxxx");
    assert_eq!(screen[1], "xxxxxxxxxx");
    assert_eq!(screen[2], "xxxxxxxx");
    assert!(screen[3..].iter().all(|r| r.is_empty()), "{screen:?}");
}

/// A tiny terminal model: \r \n ESC[nA ESC[nB ESC[nC ESC[K ESC[J, auto-wrap
/// at `w` with the pending-wrap rule of VT100s.
fn render(out: &str, w: usize) -> Vec<String> {
    let mut rows = vec![vec![' '; w]; 20];
    let (mut r, mut c, mut pending) = (0usize, 0usize, false);
    let ch: Vec<char> = out.chars().collect();
    let mut i = 0;
    while i < ch.len() {
        match ch[i] {
            '\r' => (c, pending) = (0, false),
            '\n' => (r, pending) = (r + 1, false),
            '\x07' => {}
            '\x1b' => {
                i += 2;
                let mut n = String::new();
                while ch[i].is_ascii_digit() || ch[i] == ';' {
                    n.push(ch[i]);
                    i += 1;
                }
                let k: usize = n.parse().unwrap_or(1);
                pending = false;
                match ch[i] {
                    'A' => r -= k,
                    'B' => r += k,
                    'C' => c = (c + k).min(w - 1),
                    'D' => c = c.saturating_sub(k),
                    'K' => rows[r][c..].iter_mut().for_each(|x| *x = ' '),
                    'J' => {
                        rows[r][c..].iter_mut().for_each(|x| *x = ' ');
                        rows[r + 1..].iter_mut().for_each(|row| row.iter_mut().for_each(|x| *x = ' '));
                    }
                    x => panic!("unexpected ESC[{n}{x}"),
                }
            }
            x => {
                if pending {
                    (r, c, pending) = (r + 1, 0, false);
                }
                rows[r][c] = x;
                if c + 1 == w {
                    pending = true;
                } else {
                    c += 1;
                }
            }
        }
        i += 1;
    }
    rows.into_iter().map(|r| r.into_iter().collect::<String>().trim_end().to_string()).collect()
}

#[test]
fn long_line_every_key_keeps_one_copy() {
    // Type a 3-row line, walk left over the row boundaries, delete and
    // insert there, and the screen always holds one copy.
    let keys = format!("echo {}\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[DZ\x7f\x7f\r", "abcdefghijklmnopqrstuvw");
    let (l, out) = edit_with(&mut Editor::new(), &keys, 12, &NoCommands);
    let line = l.unwrap();
    assert_eq!(line, "echo abcdefghijklmopqrstuvw");
    let screen = render(&out, 12);
    let joined: String = screen.iter().take(3).cloned().collect();
    assert_eq!(joined, format!("$ {line}"), "{screen:?}");
    assert!(screen[3..].iter().all(|r| r.is_empty()), "{screen:?}");
}

struct Cmds(Vec<&'static str>);
impl Complete for Cmds {
    fn commands(&self, p: &str) -> Vec<String> {
        self.0.iter().filter(|c| c.starts_with(p)).map(|c| c.to_string()).collect()
    }
}

#[test]
fn tab_completes_commands_and_paths() {
    let c = Cmds(vec!["echo", "exit", "export", "poweroff"]);
    let ed = &mut Editor::new();
    assert_eq!(edit_with(ed, "pow\t\r", 80, &c).0.as_deref(), Some("poweroff "));
    assert_eq!(edit_with(ed, "ex\tp\t\r", 80, &c).0.as_deref(), Some("export "));
    // Two candidates with nothing more in common: a bell, then a list.
    let (l, out) = edit_with(ed, "ex\t\t\r", 80, &c);
    assert_eq!(l.as_deref(), Some("ex"));
    assert!(out.contains("\x07"), "{out:?}");
    assert!(out.contains("\r\nexit    export\r\n$ ex"), "{out:?}");
    // Paths after the command word; directories get a slash.
    let dir = std::env::temp_dir().join(format!("edit-tab-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("subdir")).unwrap();
    std::fs::write(dir.join("file one"), "").unwrap();
    std::fs::write(dir.join("filetwo"), "").unwrap();
    let d = dir.display();
    assert_eq!(edit_with(ed, &format!("cat {d}/su\t\r"), 80, &c).0, Some(format!("cat {d}/subdir/")));
    assert_eq!(edit_with(ed, &format!("cat {d}/file\\ o\t\r"), 80, &c).0, Some(format!("cat {d}/file\\ one ")));
    let (_, out) = edit_with(ed, &format!("cat {d}/fi\t\t\r"), 80, &c);
    assert!(out.contains("file one  filetwo\r\n"), "{out:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
