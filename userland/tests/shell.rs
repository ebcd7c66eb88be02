//! The shell, driven through a pipe and -c.
mod common;
use common::*;

#[test]
fn pipelines() {
    let t = Tmp::new();
    let r = sh(&t.0, "echo hello world | wc -w\nprintf 'b\\na\\nc\\n' | sort | head -n 2\n");
    assert_eq!(r.out, "      2\na\nb\n");
    assert_eq!(r.code, 0);
}

#[test]
fn pipeline_status_is_last_command() {
    let t = Tmp::new();
    assert_eq!(sh_c(&t.0, "true | false; echo $?").out, "1\n");
    assert_eq!(sh_c(&t.0, "false | true; echo $?").out, "0\n");
    assert_eq!(sh_c(&t.0, "! false; echo $?").out, "0\n");
}

#[test]
fn redirections() {
    let t = Tmp::new();
    let r = sh(&t.0, "echo one > f\necho two >> f\ncat < f\nls nosuch 2> err\nls nosuch > both 2>&1\necho x 1>&2\n");
    assert_eq!(r.out, "one\ntwo\n");
    assert_eq!(t.read("f"), "one\ntwo\n");
    assert!(t.read("err").contains("nosuch"), "{}", t.read("err"));
    assert!(t.read("both").contains("No such file or directory"));
    assert_eq!(r.err, "x\n");
}

#[test]
fn redirection_errors_report_errno() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "cat < missing; echo $?");
    assert_eq!(r.out, "1\n");
    assert!(r.err.contains("missing: No such file or directory"), "{}", r.err);
}

#[test]
fn builtin_redirection_is_restored() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "pwd > p; echo after");
    assert_eq!(r.out, "after\n");
    assert!(t.read("p").trim_end().ends_with(t.0.file_name().unwrap().to_str().unwrap()));
}

#[test]
fn quoting() {
    let t = Tmp::new();
    let r = sh_c(&t.0, r#"X=val; echo 'single $X' "double $X" \$X a\ b "q\"uote" '' "" end"#);
    assert_eq!(r.out, "single $X double val $X a b q\"uote   end\n");
    let r = sh_c(&t.0, "printf '%s|' 'a b' \"c  d\" e\\ f; echo");
    assert_eq!(r.out, "a b|c  d|e f|\n");
}

#[test]
fn variables_and_field_splitting() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "V='a  b'; printf '[%s]' $V \"$V\" ${V}x; echo; unset V; echo \"<$V>\"");
    assert_eq!(r.out, "[a][b][a  b][a][bx]\n<>\n");
}

#[test]
fn special_parameters() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "false; echo $?; sh -c 'exit 7'; echo $?; echo $$ > pid");
    assert_eq!(r.out, "1\n7\n");
    assert!(t.read("pid").trim().parse::<u32>().is_ok());
    let r = tool(&t.0, "sh", &["-c", "echo $0 $# $1 $2", "name", "a", "b"], "");
    assert_eq!(r.out, "name 2 a b\n");
}

#[test]
fn export_reaches_children() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "A=1; export B=2; env | grep -E '^(A|B)='; C=3 env | grep '^C='");
    assert_eq!(r.out, "B=2\nC=3\n");
}

#[test]
fn and_or_lists() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "true && echo a; false && echo b; false || echo c; true || echo d; false && echo e || echo f");
    assert_eq!(r.out, "a\nc\nf\n");
}

#[test]
fn globbing() {
    let t = Tmp::new();
    for f in ["a.rs", "b.rs", "c.txt", ".hidden.rs", "d/e.rs"] {
        t.write(f, "");
    }
    let r = sh_c(&t.0, "echo *.rs; echo ?.txt; echo [ab].rs; echo [!a].rs; echo */*.rs; echo '*.rs' \\*.rs; echo no*match");
    assert_eq!(r.out, "a.rs b.rs\nc.txt\na.rs b.rs\nb.rs\nd/e.rs\n*.rs *.rs\nno*match\n");
}

#[test]
fn tilde_and_cd() {
    let t = Tmp::new();
    std::fs::create_dir(t.path("sub")).unwrap();
    let r = sh_c(&t.0, "cd sub && pwd; cd ..; cd ~; pwd; cd /nonexistent; echo $?");
    let base = t.0.canonicalize().unwrap();
    assert_eq!(r.out, format!("{0}/sub\n{0}\n1\n", base.display()));
    assert!(r.err.contains("cd: /nonexistent: No such file or directory"));
}

#[test]
fn command_not_found() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "nosuchcommand; echo $?");
    assert_eq!(r.out, "127\n");
    assert!(r.err.contains("nosuchcommand: not found"));
}

#[test]
fn exit_status() {
    let t = Tmp::new();
    assert_eq!(sh_c(&t.0, "exit 42").code, 42);
    assert_eq!(sh(&t.0, "false\n").code, 1);
    assert_eq!(sh(&t.0, "echo a\nexit 3\necho b\n").out, "a\n");
}

#[test]
fn scripts_with_arguments() {
    let t = Tmp::new();
    t.write("s.sh", "# a comment\necho \"script $0 got $# args: $1 $2\"\nexit 5\n");
    let r = tool(&t.0, "sh", &["s.sh", "x", "y"], "");
    assert_eq!(r.out, "script s.sh got 2 args: x y\n");
    assert_eq!(r.code, 5);
}

#[test]
fn script_without_shebang_runs_as_shell_script() {
    let t = Tmp::new();
    t.write("run", "echo from script\n");
    let r = sh_c(&t.0, "./run; echo $?");
    // Not executable: permission denied is reported with the errno text.
    assert!(r.err.contains("Permission denied"), "{}", r.err);
    std::fs::set_permissions(t.path("run"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    assert_eq!(sh_c(&t.0, "./run").out, "from script\n");
}

#[test]
fn multiline_input() {
    let t = Tmp::new();
    let r = sh(&t.0, "echo 'a\nb'\necho one &&\necho two\necho x |\nwc -l\n");
    assert_eq!(r.out, "a\nb\none\ntwo\n      1\n");
}

#[test]
fn subshells() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "(cd /; X=1; exit 4); echo $? \"$X\"; (echo a; echo b) | wc -l");
    assert_eq!(r.out, "4 \n      2\n");
}

#[test]
fn syntax_errors() {
    let t = Tmp::new();
    let r = sh(&t.0, "echo ok\n; ls\necho not reached\n");
    assert_eq!(r.out, "ok\n");
    assert_eq!(r.code, 2);
    assert!(r.err.contains("syntax error"));
    assert_eq!(sh_c(&t.0, "echo 'open").code, 2);
}

#[test]
fn background_jobs_and_wait() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "sleep 1 & echo started; jobs; wait; echo done; jobs");
    assert_eq!(r.out, "started\n[1]  Running  sleep 1\ndone\n");
    let r = sh_c(&t.0, "(sleep 0.1; exit 9) & wait $!; echo $?");
    assert_eq!(r.out, "9\n");
    let r = sh_c(&t.0, "echo a > f & sleep 1 & wait %1; cat f; jobs");
    assert_eq!(r.out, "a\n[2]  Running  sleep 1\n");
}

#[test]
fn background_jobs_run_concurrently() {
    let t = Tmp::new();
    let start = std::time::Instant::now();
    let r = sh_c(&t.0, "sleep 0.5 & sleep 0.5 & sleep 0.5 & wait; echo ok");
    assert_eq!(r.out, "ok\n");
    assert!(start.elapsed().as_secs_f64() < 1.4);
}

#[test]
fn dot_and_set() {
    let t = Tmp::new();
    t.write("lib.sh", "LIBVAR=loaded\n");
    let r = sh_c(&t.0, ". ./lib.sh; echo $LIBVAR; set -- p q; echo $# $2");
    assert_eq!(r.out, "loaded\n2 q\n");
}

#[test]
fn control_flow() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "for i in 1 2 3; do echo i$i; done; if false; then echo no; elif true; then echo yes; else echo else; fi");
    assert_eq!(r.out, "i1\ni2\ni3\nyes\n");
    let r = sh_c(&t.0, "x=0; while test $x -lt 3; do echo x$x; x=$((x + 1)); done; until true; do echo never; done");
    assert_eq!(r.out, "x0\nx1\nx2\n");
    let r = sh_c(&t.0, "for i in 1 2 3 4; do if test $i = 2; then continue; fi; if test $i = 4; then break; fi; echo $i; done");
    assert_eq!(r.out, "1\n3\n");
    let r = sh_c(&t.0, "for a in x y; do for b in 1 2; do if test $b = 2; then break 2; fi; echo $a$b; done; done; echo after");
    assert_eq!(r.out, "x1\nafter\n");
    let r = sh(&t.0, "for f in a b\ndo\n  echo $f\ndone\nif true\nthen\n  echo multi\nfi\n");
    assert_eq!(r.out, "a\nb\nmulti\n");
    assert_eq!(sh_c(&t.0, "echo if then fi").out, "if then fi\n");
    assert_eq!(sh_c(&t.0, "set -- p q; for a; do echo $a; done").out, "p\nq\n");
}

#[test]
fn read_and_redirected_loops() {
    let t = Tmp::new();
    t.write("in", "a b c\nd e\n");
    let r = sh_c(&t.0, "while read p q; do echo \"p=$p q=$q\"; done < in; echo st=$?");
    assert_eq!(r.out, "p=a q=b c\np=d q=e\nst=0\n");
    let r = sh_c(&t.0, "printf 'x\\ny\\n' | while read l; do echo got $l; done");
    assert_eq!(r.out, "got x\ngot y\n");
    let r = sh_c(&t.0, "for i in 1 2; do echo $i; done > out; cat out");
    assert_eq!(r.out, "1\n2\n");
}

#[test]
fn command_substitution_and_arithmetic() {
    let t = Tmp::new();
    t.write("a.rs", "");
    t.write("b.rs", "");
    let r = sh_c(&t.0, "n=$(ls *.rs | wc -l); echo \"[$n]\" `echo back` \"$(echo \"nested $(echo deep)\")\"");
    assert_eq!(r.out, "[      2] back nested deep\n");
    assert_eq!(sh_c(&t.0, "for w in $(echo one two); do echo $w; done").out, "one\ntwo\n");
    assert_eq!(sh_c(&t.0, "x=$(false); echo $?; y=$(true); echo $?").out, "1\n0\n");
    assert_eq!(sh_c(&t.0, "x=4; echo $((x * (2 + 1))) $((10 / 3)) $((10 % 3)) $((x > 2 && 1))").out, "12 3 1 1\n");
    let r = sh_c(&t.0, "echo $((1 / 0)); echo next");
    assert!(r.err.contains("division by zero"));
    assert!(r.out.ends_with("next\n"));
}

#[test]
fn kill_builtin_takes_job_numbers() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "sleep 5 | cat & kill %1; wait %1; echo $?; kill %9; echo $?");
    assert_eq!(r.out, "143\n1\n");
    assert!(r.err.contains("%9: no such job"));
}

#[test]
fn jobs_shows_how_jobs_ended() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "true & false & sleep 5 & kill -9 $!; sleep 0.5; jobs; jobs");
    assert_eq!(r.out, "[1]  Done  true\n[2]  Exit 1  false\n[3]  Killed (SIGKILL)  sleep 5\n");
}

#[test]
fn here_documents() {
    let t = Tmp::new();
    let r = sh(&t.0, "x=world\ncat <<EOF\nhello $x\n  \"quoted\" $(echo sub)\nEOF\ncat <<'RAW' | wc -l\n$x\nline2\nRAW\ncat <<-E\n\ttabbed\n\tE\necho after\n");
    assert_eq!(r.out, "hello world\n  \"quoted\" sub\n      2\ntabbed\nafter\n");
    let big: String = (0..2000).map(|i| format!("line {i}\n")).collect();
    let r = sh(&t.0, &format!("wc -l <<END\n{big}END\n"));
    assert_eq!(r.out, "   2000\n");
}

#[test]
fn quoted_at_keeps_arguments_apart() {
    let t = Tmp::new();
    let r = tool(&t.0, "sh", &["-c", "printf '[%s]' \"$@\"; echo; printf '[%s]' $@; echo; printf '<%s>' \"$*\"; echo", "n", "a b", "c"], "");
    assert_eq!(r.out, "[a b][c]\n[a][b][c]\n<a b c>\n");
    assert_eq!(tool(&t.0, "sh", &["-c", "for a in \"$@\"; do echo $a; done", "n"], "").out, "");
}

#[test]
fn exec_builtin() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "exec echo replaced; echo not reached");
    assert_eq!(r.out, "replaced\n");
    let r = sh_c(&t.0, "exec > log; echo into log; pwd");
    assert_eq!(r.out, "");
    assert!(t.read("log").starts_with("into log\n"));
    assert_eq!(sh_c(&t.0, "exec nosuch; echo no").code, 127);
}

#[test]
fn script_on_stdin_leaves_the_rest_for_commands() {
    let t = Tmp::new();
    let r = sh(&t.0, "read x\nfirst data line\necho got $x\nread y z\nsecond data\necho $z $y end\n");
    assert_eq!(r.out, "got first data line\ndata second end\n");
}

#[test]
fn closed_pipes_and_full_disks() {
    let t = Tmp::new();
    // Writers die of SIGPIPE quietly (the shell resets it for children).
    let r = sh_c(&t.0, "ls -R / 2>/dev/null | head -n 1 > /dev/null; cat /dev/zero | head -c 5 | wc -c");
    assert_eq!(r.out, "      5\n");
    assert!(!r.err.contains("panicked"), "{}", r.err);
    // A builtin's failed write is reported; nothing leaks to stdout later.
    let r = sh_c(&t.0, "pwd > /dev/full; echo after");
    assert_eq!(r.out, "after\n");
    assert!(r.err.contains("No space left on device"), "{}", r.err);
    let r = tool(&t.0, "sh", &["-c", "echo hi > /dev/full; echo $?"], "");
    assert_eq!(r.out, "1\n");
}

#[test]
fn parameter_operators() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "E=; S=set; echo ${U:-def} ${E:-empty} ${E-kept} ${S:-no} ${U:+alt} ${S:+alt} ${#S} ${U:-$S.x} ${U:-${S}y}");
    assert_eq!(r.out, "def empty set alt 3 set.x sety\n");
    let r = sh_c(&t.0, "echo ${N:=assigned}; echo $N; echo ${M:?is required}; echo after");
    assert_eq!(r.out, "assigned\nassigned\n\nafter\n");
    assert!(r.err.contains("M: is required"));
    let r = sh_c(&t.0, "f=dir/sub/file.tar.gz; echo ${f#*/} ${f##*/} ${f%.*} ${f%%.*} ${f#zz}");
    assert_eq!(r.out, "sub/file.tar.gz file.tar.gz dir/sub/file.tar dir/sub/file dir/sub/file.tar.gz\n");
    assert_eq!(sh_c(&t.0, "echo 'a\\b c' | while read -r x y; do echo $x $y; done").out, "a\\b c\n");
}

#[test]
fn case_groups_and_functions() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "for x in apple b.rs zz '*'; do case $x in a*|b) echo A $x;; *.rs) echo RS $x ;; '*') echo star;; *) echo other $x;; esac; done");
    assert_eq!(r.out, "A apple\nRS b.rs\nother zz\nstar\n");
    let r = sh_c(&t.0, "{ echo one; echo two; } > g; cat g; { cd /; }; pwd");
    assert_eq!(r.out, "one\ntwo\n/\n");
    let script = "greet() {\n  echo \"hello $1 ($#)\"\n  return 4\n  echo unreachable\n}\ngreet world x; echo st=$? args=$#\nfirst() { for a; do if test $a = stop; then return; fi; echo $a; done; }\nfirst p q stop r\ngreet | wc -l\n";
    let r = tool(&t.0, "sh", &["-c", script, "sh", "outer"], "");
    assert_eq!(r.out, "hello world (2)\nst=4 args=1\np\nq\n      1\n");
    let r = sh_c(&t.0, "set -- a b c; shift; echo $@; shift 2; echo $#; shift; echo $?");
    assert_eq!(r.out, "b c\n0\n1\n");
}

#[test]
fn set_e_and_set_x() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "set -e; echo a; if false; then :; fi; false || true; ! true; false && true; echo b; false; echo not reached");
    assert_eq!(r.out, "a\nb\n");
    assert_eq!(r.code, 1);
    let r = tool(&t.0, "sh", &["-e", "-c", "while false; do :; done; echo $-; (exit 3); echo no"], "");
    assert_eq!((r.out.as_str(), r.code), ("e\n", 3));
    let r = sh_c(&t.0, "set -x; X=v; echo $X done; set +x; echo quiet");
    assert_eq!(r.out, "v done\nquiet\n");
    assert_eq!(r.err, "+ echo v done\n+ set +x\n");
    assert_eq!(sh_c(&t.0, "set -q").code, 2);
}

/// test / [ as a builtin, the answers recorded from dash on Linux.
#[test]
fn test_builtin_matches_dash() {
    let t = Tmp::new();
    t.write("f", "data");
    t.write("empty", "");
    let cases = [
        ("-e f", 0), ("-f f", 0), ("-f .", 1), ("-d .", 0), ("-d f", 1), ("-s f", 0), ("-s empty", 1), ("-r f", 0), ("-w f", 0),
        ("-x f", 1), ("-L f", 1), ("-e nosuch", 1), ("-n x", 0), ("-z x", 1), ("-z ''", 0), ("1 -eq 1", 0), ("-1 -lt 0", 0),
        ("2 -le 1", 1), ("1 -ne 2", 0), ("3 -ge 3", 0), ("4 -gt 5", 1), ("a = a", 0), ("a == a", 0), ("a != a", 1), ("b \\> a", 0),
        ("! -d .", 1), ("-d . -a -f .", 1), ("-d . -o -f .", 0), ("\\( ! -d . \\) -o 1 -ge 1", 0), ("!", 0), ("-n", 0), ("x", 0),
        ("''", 1), ("! ''", 0), ("-z", 0), ("! = x", 1), ("! -z x", 0), ("\\( x \\)", 0), ("! 1 -eq 2", 0), ("= = =", 0),
        ("! x = x", 1), ("a -a ''", 1), ("! ! x", 0), ("1 -lt x", 2), ("1 =", 2),
    ];
    let script: String = cases.iter().map(|(e, _)| format!("[ {e} ]; echo $?; test {e}; echo $?\n")).collect();
    let r = sh_c(&t.0, &script);
    let want: String = cases.iter().map(|(_, st)| format!("{st}\n{st}\n")).collect();
    assert_eq!(r.out, want, "{}", r.err);
    assert_eq!(sh_c(&t.0, "[ x").code, 2, "missing ]");
}

#[test]
fn echo_and_printf_builtins() {
    let t = Tmp::new();
    // busybox ash's echo: -n, -e, -E, options only while they are options.
    let r = sh_c(&t.0, "echo -n a; echo b; echo -e '1\\t2\\c' 3; echo; echo -ne 'x\\ny'; echo; echo -- -n; echo -nx q; echo 'a\\tb'; echo -e -E 'c\\td'");
    assert_eq!(r.out, "ab\n1\t2\nx\ny\n-- -n\n-nx q\na\\tb\nc\\td\n");
    // printf as dash prints it.
    let r = sh_c(&t.0, "printf '%s|%5d|%-3s|%x|%o|%c|%%|%05d|%+d|%.2s|%3c|\\n' a 42 b 255 8 xyz -7 5 abc q; printf '%s,%s\\n' 1 2 3; printf '%b|\\n' 'a\\tb\\101' '\\0101'; printf 'x\\101\\t%s\\n'; printf '%*d|\\n' 4 7; printf '%X %i %u\\n' 255 -3 9");
    assert_eq!(r.out, "a|   42|b  |ff|10|x|%|-0007|+5|ab|  q|\n1,2\n3,\na\tbA|\nA|\nxA\t\n   7|\nFF -3 9\n");
    let r = sh_c(&t.0, "printf '%d\\n' abc; echo st=$?");
    assert_eq!(r.out, "0\nst=1\n");
    assert_eq!(sh_c(&t.0, "echo hi > out; printf '%s\\n' there >> out; cat out").out, "hi\nthere\n");
}

#[test]
fn alias_type_command_which() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "alias ll='echo L' e=echo\nll x; e y; 'll' 2>/dev/null || echo quoted-is-not-alias\nalias ll; alias\nunalias ll\nll 2>/dev/null; echo st=$?\nunalias nosuch; echo st=$?");
    assert_eq!(r.out, "L x\ny\nquoted-is-not-alias\nalias ll='echo L'\nalias e='echo'\nalias ll='echo L'\nst=127\nst=1\n");
    let bin = common::bin_dir();
    let f = "f() { :; }\nalias a=b\ntype a f echo if ls nosuch; echo st=$?";
    let r = sh_c(&t.0, f);
    assert_eq!(r.out, format!("a is an alias for b\nf is a function\necho is a shell builtin\nif is a shell keyword\nls is {}/ls\nst=1\n", bin.display()));
    let r = sh_c(&t.0, "alias a=b\nf() { :; }\ncommand -v a f echo if ls nosuch; echo st=$?; command -V cat; which ls nosuch; echo st=$?");
    let b = bin.display();
    assert_eq!(r.out, format!("alias a='b'\nf\necho\nif\n{b}/ls\nst=1\ncat is {b}/cat\n{b}/ls\nst=1\n"));
    // command skips a function of the same name; runs a program.
    let r = sh_c(&t.0, "echo() { printf 'fn\\n'; }; echo x; command echo y; command ls -d /");
    assert_eq!(r.out, "fn\ny\n/\n");
    assert_eq!(sh_c(&t.0, "eval 'x=5; echo $x'; eval false; echo $?").out, "5\n1\n");
}

#[test]
fn special_parameters_and_prompt() {
    let t = Tmp::new();
    let r = sh_c(&t.0, "echo $PPID\necho $LINENO\nif true; then\n  echo $LINENO\nfi\na=$RANDOM; b=$RANDOM; [ $a -ge 0 -a $a -le 32767 ] && echo range\nRANDOM=7; x=$RANDOM; RANDOM=7; y=$RANDOM; [ $x = $y ] && echo seeded");
    let ppid = std::process::id();
    assert_eq!(r.out, format!("{ppid}\n2\n3\nrange\nseeded\n"));
    // Different values from one call to the next.
    let r = sh_c(&t.0, "for i in 1 2 3 4 5 6 7 8; do echo $RANDOM; done");
    let mut v: Vec<&str> = r.out.lines().collect();
    v.sort();
    v.dedup();
    assert!(v.len() > 4, "{:?}", r.out);
}

/// A login shell (`-l`, or argv[0] "-sh") reads /etc/profile and
/// ~/.profile; PS1's \u \h \w \$ are expanded in the prompt.
#[test]
fn login_shell_reads_profile() {
    let t = Tmp::new();
    t.write(".profile", "echo from-profile\nX=$X-set-by-profile\n");
    t.write("etc-profile", "X=etc\n");
    let mut c = cmd("sh", &t.0);
    c.arg("-l").env("SH_ETC_PROFILE", t.path("etc-profile")).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"echo $X\n").unwrap();
    let out = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    assert_eq!(out, "from-profile\netc-set-by-profile\n");
    assert_eq!(tool(&t.0, "sh", &[], "echo $X\n").out, "\n", "not a login shell");
}

/// 1,000 turns of a `[` loop fork nothing: a `[` program earlier in
/// PATH that logs each run is never run.
#[test]
fn test_loop_does_not_fork() {
    let t = Tmp::new();
    std::fs::create_dir(t.path("fake")).unwrap();
    for name in ["[", "test", "echo", "printf"] {
        t.write(&format!("fake/{name}"), "#!/bin/sh\necho ran >> \"$LOG\"\nexit 1\n");
        std::fs::set_permissions(t.path(&format!("fake/{name}")), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    let script = format!("export LOG={}/log; PATH={}/fake:$PATH; n=0; while [ $n -lt 1000 ]; do n=$((n+1)); test $n; echo -n; printf ''; done; echo $n", t.0.display(), t.0.display());
    let r = sh_c(&t.0, &script);
    assert_eq!(r.out, "1000\n", "{}", r.err);
    assert!(!t.path("log").exists(), "a builtin was run as a program");
    // The check can fail: a name that is not a builtin does run the fake.
    t.write("fake/notbuiltin", "#!/bin/sh\necho ran >> \"$LOG\"\n");
    std::fs::set_permissions(t.path("fake/notbuiltin"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    sh_c(&t.0, &format!("export LOG={}/log; PATH={}/fake:$PATH; notbuiltin", t.0.display(), t.0.display()));
    assert_eq!(t.read("log"), "ran\n");
}
