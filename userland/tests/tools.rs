//! Each tool's main options, run on the host in temp directories.
mod common;
use common::*;

#[test]
fn echo_and_printf() {
    let t = Tmp::new();
    assert_eq!(tool(&t.0, "echo", &["a", "b"], "").out, "a b\n");
    assert_eq!(tool(&t.0, "echo", &["-n", "a"], "").out, "a");
    assert_eq!(tool(&t.0, "echo", &["-e", "a\\tb"], "").out, "a\tb\n");
    let r = tool(&t.0, "printf", &["%s=%d|%5s|%-3s|%03d|%x|%c%%\\n", "n", "42", "r", "l", "7", "255", "z"], "");
    assert_eq!(r.out, "n=42|    r|l  |007|ff|z%\n");
    assert_eq!(tool(&t.0, "printf", &["%s\\n", "a", "b"], "").out, "a\nb\n");
    assert_eq!(tool(&t.0, "printf", &["%d\\n", "x"], "").code, 1);
}

#[test]
fn cat_files_and_stdin() {
    let t = Tmp::new();
    t.write("a", "A\n");
    t.write("b", "B\n");
    assert_eq!(tool(&t.0, "cat", &["a", "-", "b"], "in\n").out, "A\nin\nB\n");
    let r = tool(&t.0, "cat", &["missing"], "");
    assert_eq!(r.code, 1);
    assert_eq!(r.err, "cat: missing: No such file or directory\n");
}

#[test]
fn ls_options() {
    let t = Tmp::new();
    t.write("b", "12345");
    t.write("a", "");
    t.write(".dot", "");
    t.write("d/inner", "");
    assert_eq!(tool(&t.0, "ls", &[], "").out, "a\nb\nd\n");
    assert_eq!(tool(&t.0, "ls", &["-1a"], "").out, ".\n..\n.dot\na\nb\nd\n");
    assert_eq!(tool(&t.0, "ls", &["-R"], "").out, ".:\na\nb\nd\n\n./d:\ninner\n");
    let l = tool(&t.0, "ls", &["-l", "b"], "").out;
    assert!(l.starts_with("-rw-"), "{l}");
    assert!(l.contains(" 5 ") && l.trim_end().ends_with(" b"), "{l}");
    let l = tool(&t.0, "ls", &["-l"], "").out;
    assert!(l.starts_with("total "), "{l}");
    assert!(l.lines().nth(3).unwrap().starts_with('d'), "{l}");
    let r = tool(&t.0, "ls", &["nope"], "");
    assert_eq!(r.code, 2);
    assert_eq!(r.err, "ls: cannot access 'nope': No such file or directory\n");
    assert_eq!(tool(&t.0, "ls", &["-Z"], "").code, 2);
    std::os::unix::fs::symlink("d", t.path("link")).unwrap();
    assert_eq!(tool(&t.0, "ls", &["link"], "").out, "inner\n");
    assert!(tool(&t.0, "ls", &["-l", "link"], "").out.trim_end().ends_with("link -> d"));
    assert_eq!(tool(&t.0, "ls", &["a", "d"], "").out, "a\n\nd:\ninner\n");
}

#[test]
fn mkdir_rmdir() {
    let t = Tmp::new();
    assert_eq!(tool(&t.0, "mkdir", &["x"], "").code, 0);
    let r = tool(&t.0, "mkdir", &["x"], "");
    assert_eq!(r.code, 1);
    assert!(r.err.contains("File exists"));
    assert_eq!(tool(&t.0, "mkdir", &["-p", "p/q/r", "x"], "").code, 0);
    assert!(t.path("p/q/r").is_dir());
    let r = tool(&t.0, "rmdir", &["p"], "");
    assert_eq!(r.code, 1);
    assert!(r.err.contains("Directory not empty"), "{}", r.err);
    assert_eq!(tool(&t.0, "rmdir", &["p/q/r", "x"], "").code, 0);
    assert!(!t.path("x").exists());
    assert_eq!(tool(&t.0, "mkdir", &[], "").code, 2);
}

#[test]
fn rm_options() {
    let t = Tmp::new();
    t.write("f", "");
    t.write("d/e/g", "");
    assert_eq!(tool(&t.0, "rm", &["f"], "").code, 0);
    assert!(!t.path("f").exists());
    let r = tool(&t.0, "rm", &["d"], "");
    assert_eq!(r.code, 1);
    assert!(r.err.contains("Is a directory"));
    assert_eq!(tool(&t.0, "rm", &["-r", "d"], "").code, 0);
    assert!(!t.path("d").exists());
    assert_eq!(tool(&t.0, "rm", &["missing"], "").code, 1);
    assert_eq!(tool(&t.0, "rm", &["-f", "missing"], "").code, 0);
}

#[test]
fn cp_mv() {
    let t = Tmp::new();
    t.write("a", "data");
    t.write("dir/x", "X");
    t.write("dir/sub/y", "Y");
    assert_eq!(tool(&t.0, "cp", &["a", "b"], "").code, 0);
    assert_eq!(t.read("b"), "data");
    std::fs::create_dir(t.path("into")).unwrap();
    assert_eq!(tool(&t.0, "cp", &["a", "b", "into"], "").code, 0);
    assert_eq!(t.read("into/b"), "data");
    assert_eq!(tool(&t.0, "cp", &["dir", "copy"], "").code, 1);
    assert_eq!(tool(&t.0, "cp", &["-r", "dir", "copy"], "").code, 0);
    assert_eq!(t.read("copy/sub/y"), "Y");
    assert_eq!(tool(&t.0, "mv", &["a", "moved"], "").code, 0);
    assert!(!t.path("a").exists());
    assert_eq!(t.read("moved"), "data");
    assert_eq!(tool(&t.0, "mv", &["moved", "into"], "").code, 0);
    assert_eq!(t.read("into/moved"), "data");
    let r = tool(&t.0, "mv", &["nothere", "x"], "");
    assert_eq!(r.code, 1);
    assert!(r.err.contains("No such file or directory"));
}

#[test]
fn touch_and_ln() {
    let t = Tmp::new();
    assert_eq!(tool(&t.0, "touch", &["new"], "").code, 0);
    assert!(t.path("new").exists());
    t.write("f", "content");
    assert_eq!(tool(&t.0, "ln", &["f", "hard"], "").code, 0);
    assert_eq!(t.read("hard"), "content");
    assert_eq!(tool(&t.0, "ln", &["-s", "f", "soft"], "").code, 0);
    assert_eq!(std::fs::read_link(t.path("soft")).unwrap().to_str(), Some("f"));
    let r = tool(&t.0, "ln", &["f", "hard"], "");
    assert_eq!(r.code, 1);
    assert!(r.err.contains("File exists"), "{}", r.err);
    assert_eq!(tool(&t.0, "ln", &["-f", "f", "hard"], "").code, 0);
}

#[test]
fn wc_head_tail() {
    let t = Tmp::new();
    let text: String = (1..=12).map(|i| format!("line {i}\n")).collect();
    t.write("f", &text);
    assert_eq!(tool(&t.0, "wc", &["f"], "").out, "     12      24      87 f\n");
    assert_eq!(tool(&t.0, "wc", &["-l"], "a\nb\n").out, "      2\n");
    assert_eq!(tool(&t.0, "head", &["-n", "2", "f"], "").out, "line 1\nline 2\n");
    assert_eq!(tool(&t.0, "head", &["-3"], &text).out.lines().count(), 3);
    assert_eq!(tool(&t.0, "head", &["f"], "").out.lines().count(), 10);
    assert_eq!(tool(&t.0, "tail", &["-n", "2", "f"], "").out, "line 11\nline 12\n");
    assert_eq!(tool(&t.0, "tail", &["-n", "+11", "f"], "").out, "line 11\nline 12\n");
    assert_eq!(tool(&t.0, "tail", &["-1"], "a\nb").out, "b");
    assert_eq!(tool(&t.0, "head", &["-n", "x"], "").code, 2);
    assert_eq!(tool(&t.0, "head", &["-c", "3"], "abcdef").out, "abc");
}

#[test]
fn grep_options() {
    let t = Tmp::new();
    let input = "apple\nBanana\ncherry\napricot\n";
    assert_eq!(tool(&t.0, "grep", &["ap"], input).out, "apple\napricot\n");
    assert_eq!(tool(&t.0, "grep", &["-i", "banana"], input).out, "Banana\n");
    assert_eq!(tool(&t.0, "grep", &["-v", "a"], input).out, "cherry\n");
    assert_eq!(tool(&t.0, "grep", &["-n", "^c"], input).out, "3:cherry\n");
    assert_eq!(tool(&t.0, "grep", &["-c", "an"], input).out, "1\n");
    assert_eq!(tool(&t.0, "grep", &["-E", "^(ch|Ba)"], input).out, "Banana\ncherry\n");
    assert_eq!(tool(&t.0, "grep", &["a\\(p\\)r"], input).out, "apricot\n");
    assert_eq!(tool(&t.0, "grep", &["-F", "a.p"], "a.p\naxp\n").out, "a.p\n");
    let r = tool(&t.0, "grep", &["zzz"], input);
    assert_eq!((r.out.as_str(), r.code), ("", 1));
    t.write("d/one", "needle\n");
    t.write("d/sub/two", "hay\nneedle here\n");
    assert_eq!(tool(&t.0, "grep", &["-r", "needle", "d"], "").out, "d/one:needle\nd/sub/two:needle here\n");
    assert_eq!(tool(&t.0, "grep", &["x", "missing"], "").code, 2);
    assert_eq!(tool(&t.0, "grep", &["("], "").code, 1, "BRE ( is a literal");
    assert_eq!(tool(&t.0, "grep", &["-E", "("], "").code, 2);
}

#[test]
fn sort_uniq() {
    let t = Tmp::new();
    assert_eq!(tool(&t.0, "sort", &[], "b\na\nc\n").out, "a\nb\nc\n");
    assert_eq!(tool(&t.0, "sort", &["-r"], "b\na\nc\n").out, "c\nb\na\n");
    assert_eq!(tool(&t.0, "sort", &["-n"], "10\n9\n100\n").out, "9\n10\n100\n");
    assert_eq!(tool(&t.0, "sort", &["-u"], "b\na\nb\n").out, "a\nb\n");
    assert_eq!(tool(&t.0, "sort", &["-rn"], "1\n3\n2").out, "3\n2\n1\n");
    assert_eq!(tool(&t.0, "sort", &["-k", "2"], "x b\ny a\n").out, "y a\nx b\n");
    assert_eq!(tool(&t.0, "uniq", &[], "a\na\nb\na\n").out, "a\nb\na\n");
    assert_eq!(tool(&t.0, "uniq", &["-c"], "a\na\nb\n").out, "      2 a\n      1 b\n");
    assert_eq!(tool(&t.0, "uniq", &["-d"], "a\na\nb\n").out, "a\n");
}

#[test]
fn tee_copies() {
    let t = Tmp::new();
    let r = tool(&t.0, "tee", &["o1", "o2"], "hi\n");
    assert_eq!(r.out, "hi\n");
    assert_eq!(t.read("o1"), "hi\n");
    tool(&t.0, "tee", &["-a", "o1"], "more\n");
    assert_eq!(t.read("o1"), "hi\nmore\n");
}

#[test]
fn sleep_true_false() {
    let t = Tmp::new();
    let start = std::time::Instant::now();
    assert_eq!(tool(&t.0, "sleep", &["0.2"], "").code, 0);
    assert!(start.elapsed().as_millis() >= 200);
    assert_eq!(tool(&t.0, "sleep", &["abc"], "").code, 2);
    assert_eq!(tool(&t.0, "true", &[], "").code, 0);
    assert_eq!(tool(&t.0, "false", &[], "").code, 1);
}

#[test]
fn kill_signals() {
    let t = Tmp::new();
    assert!(tool(&t.0, "kill", &["-l"], "").out.starts_with("HUP INT QUIT"));
    assert_eq!(tool(&t.0, "kill", &["-l", "137"], "").out, "KILL\n");
    let r = sh_c(&t.0, "sleep 5 & kill -TERM $!; wait $!; echo $?");
    assert_eq!(r.out, "143\n");
    let r = sh_c(&t.0, "sleep 5 & kill -9 $!; wait $!; echo $?");
    assert_eq!(r.out, "137\n");
    assert_eq!(tool(&t.0, "kill", &["-BOGUS", "1"], "").code, 2);
    let r = tool(&t.0, "kill", &["999999999"], "");
    assert!(r.err.contains("No such process"), "{}", r.err);
}

#[test]
fn ps_lists_processes() {
    let t = Tmp::new();
    // Give the background child time to exec sleep before listing.
    let r = sh_c(&t.0, "sleep 2 & sleep 0.2; ps; kill $!");
    let mut lines = r.out.lines();
    assert_eq!(lines.next(), Some("  PID  PPID S     TIME COMMAND"));
    let row = r.out.lines().find(|l| l.ends_with("sleep 2")).expect("sleep listed");
    let f: Vec<&str> = row.split_whitespace().collect();
    assert!(f[0].parse::<u32>().is_ok() && f[1].parse::<u32>().is_ok());
    assert!(["S", "R"].contains(&f[2]), "{row}");
}

#[test]
fn env_tool() {
    let t = Tmp::new();
    let r = tool(&t.0, "env", &["-i", "A=1", "B=2"], "");
    assert_eq!(r.out, "A=1\nB=2\n");
    let r = tool(&t.0, "env", &["X=5", "sh", "-c", "echo $X"], "");
    assert_eq!(r.out, "5\n");
    assert_eq!(tool(&t.0, "env", &["nonexistent-cmd"], "").code, 127);
}

#[test]
fn uname_pwd_sync_date() {
    let t = Tmp::new();
    assert_eq!(tool(&t.0, "uname", &[], "").out, "Linux\n");
    assert!(tool(&t.0, "uname", &["-a"], "").out.split_whitespace().count() >= 5);
    assert_eq!(tool(&t.0, "uname", &["-m"], "").out, "x86_64\n");
    let pwd = tool(&t.0, "pwd", &[], "").out;
    assert_eq!(pwd.trim_end(), t.0.canonicalize().unwrap().to_str().unwrap());
    assert_eq!(tool(&t.0, "sync", &[], "").code, 0);
    assert_eq!(tool(&t.0, "date", &["-d", "@86399", "+%Y-%m-%d %H:%M:%S %a %j"], "").out, "1970-01-01 23:59:59 Thu 001\n");
    assert_eq!(tool(&t.0, "date", &["-d", "@951782400", "+%F %b %e"], "").out, "2000-02-29 Feb 29\n");
    assert!(tool(&t.0, "date", &[], "").out.contains("UTC"));
}

#[test]
fn test_and_bracket() {
    let t = Tmp::new();
    t.write("f", "x");
    std::fs::create_dir(t.path("d")).unwrap();
    std::os::unix::fs::symlink(common::bin_dir().join("test"), t.path("[")).unwrap();
    let cases: &[(&[&str], i32)] = &[
        (&["-f", "f"], 0),
        (&["-d", "f"], 1),
        (&["-d", "d"], 0),
        (&["-e", "nope"], 1),
        (&["-s", "f"], 0),
        (&["-n", ""], 1),
        (&["-z", ""], 0),
        (&["a", "=", "a"], 0),
        (&["a", "!=", "a"], 1),
        (&["3", "-lt", "10"], 0),
        (&["3", "-gt", "10"], 1),
        (&["!", "-e", "nope"], 0),
        (&["-f", "f", "-a", "-d", "d"], 0),
        (&["-f", "nope", "-o", "x"], 0),
        (&["(", "1", "-eq", "2", ")"], 1),
        (&[], 1),
        (&["x", "-eq", "1"], 2),
    ];
    for (args, want) in cases {
        assert_eq!(tool(&t.0, "test", args, "").code, *want, "test {args:?}");
    }
    assert_eq!(sh_c(&t.0, "./[ -f f ] && echo yes; ./[ -f f; echo $?").out, "yes\n2\n");
}

#[test]
fn df_du() {
    let t = Tmp::new();
    t.write("d/big", &"x".repeat(10000));
    let r = tool(&t.0, "df", &["."], "");
    assert!(r.out.starts_with("Filesystem"), "{}", r.out);
    assert_eq!(r.out.lines().count(), 2);
    let r = tool(&t.0, "du", &["-s", "d"], "");
    let kb: u64 = r.out.split('\t').next().unwrap().parse().unwrap();
    assert!(kb >= 8, "{}", r.out);
    assert!(r.out.ends_with("\td\n"));
}
