//! Word expansion: parameters, tilde, field splitting of unquoted
//! expansions, then pathname globbing of unquoted * ? [..].

use crate::parse::{Part, Word};

/// What expansion needs from the shell.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
    /// Run `$(src)` and return its output without trailing newlines.
    fn subst(&mut self, src: &str) -> String;
    /// Evaluate `$((src))` (errors are reported and give "").
    fn arith(&mut self, src: &str) -> String;
    /// $1, $2, ... for "$@".
    fn positional(&self) -> Vec<String>;
    /// `${NAME:=word}` assigns.
    fn assign(&mut self, name: &str, value: &str);
}

/// `${NAME}`, `${#NAME}`, `${NAME[:]-word}` and the `=`, `+`, `?` forms
/// (with `:`, an empty value counts as unset), and the pattern trims
/// `${NAME#pat}` `${NAME##pat}` `${NAME%pat}` `${NAME%%pat}`.
fn param_value(name: &str, env: &mut dyn Env) -> String {
    if let Some(n) = name.strip_prefix('#').filter(|n| !n.is_empty()) {
        return env.var(n).unwrap_or_default().chars().count().to_string();
    }
    // The name: a run of name characters, or one special character.
    let end = match name.find(|c: char| !(c == '_' || c.is_ascii_alphanumeric())) {
        Some(0) => name.chars().next().map(|c| c.len_utf8()).unwrap_or(0),
        Some(i) => i,
        None => name.len(),
    };
    let (n, rest) = name.split_at(end);
    if rest.is_empty() {
        return env.var(n).unwrap_or_default();
    }
    let colon = rest.starts_with(':');
    let rest = if colon { &rest[1..] } else { rest };
    let Some(op) = rest.chars().next() else { return env.var(name).unwrap_or_default() };
    let word = &rest[op.len_utf8()..];
    let cur = env.var(n);
    let unset = cur.as_ref().is_none_or(|v| colon && v.is_empty());
    let word_value = |env: &mut dyn Env| expand_one(&crate::parse::here_word(word), env);
    match (op, unset) {
        ('-', true) => word_value(env),
        ('=', true) => {
            let v = word_value(env);
            env.assign(n, &v);
            v
        }
        ('+', true) => String::new(),
        ('+', false) => word_value(env),
        ('?', true) => {
            let msg = if word.is_empty() { "parameter not set".to_string() } else { word_value(env) };
            eprintln!("sh: {n}: {msg}");
            String::new()
        }
        ('#', _) | ('%', _) if !colon => trim(&cur.unwrap_or_default(), op, word, env),
        _ => cur.unwrap_or_default(),
    }
}

/// Remove the shortest (`#`, `%`) or longest (`##`, `%%`) matching
/// prefix or suffix.
fn trim(value: &str, op: char, word: &str, env: &mut dyn Env) -> String {
    let longest = word.starts_with(op);
    let pat_text = if longest { &word[1..] } else { word };
    let pat: Vec<(char, bool)> = expand_one(&crate::parse::here_word(pat_text), env).chars().map(|c| (c, false)).collect();
    let v: Vec<char> = value.chars().collect();
    let mut cuts: Vec<usize> = (0..=v.len()).collect();
    if longest == (op == '%') {
        // shortest suffix / longest prefix: try cut points from the left
    } else {
        cuts.reverse();
    }
    for k in cuts {
        let (matched, kept) = if op == '#' { (&v[..k], &v[k..]) } else { (&v[k..], &v[..k]) };
        if fnmatch(&pat, matched) {
            return kept.iter().collect();
        }
    }
    value.to_string()
}

/// The value of a part that expands to text (not literals).
fn value(p: &Part, env: &mut dyn Env) -> String {
    match p {
        Part::Param(name, _) => param_value(name, env),
        Part::Cmd(src, _) => env.subst(src),
        Part::Arith(src, _) => env.arith(src),
        Part::Tilde => env.var("HOME").unwrap_or_else(|| "~".into()),
        Part::Lit(s, _) => s.clone(),
    }
}

/// A field being built: characters with a "was quoted" mark each.
#[derive(Default, Clone)]
struct Field {
    chars: Vec<(char, bool)>,
    /// Something quoted contributed, so an empty field is kept.
    quoted: bool,
}

impl Field {
    fn text(&self) -> String {
        self.chars.iter().map(|(c, _)| c).collect()
    }
    fn has_glob(&self) -> bool {
        self.chars.iter().any(|&(c, q)| !q && "*?[".contains(c))
    }
}

/// Expand a word into zero or more fields.
pub fn expand(w: &Word, env: &mut dyn Env) -> Vec<String> {
    let mut fields: Vec<Field> = Vec::new();
    let mut cur = Field::default();
    let mut started = false;
    // "$@" with no parameters makes no field, even inside quotes.
    let mut empty_at = false;
    for p in w {
        match p {
            Part::Lit(s, q) => {
                cur.chars.extend(s.chars().map(|c| (c, *q)));
                cur.quoted |= *q;
                started = true;
            }
            Part::Tilde => {
                let home = value(p, env);
                cur.chars.extend(home.chars().map(|c| (c, true)));
                started = true;
            }
            Part::Param(name, true) if name == "@" => {
                // "$@": one field per positional parameter.
                let args = env.positional();
                empty_at |= args.is_empty();
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        fields.push(std::mem::take(&mut cur));
                    }
                    cur.chars.extend(a.chars().map(|c| (c, true)));
                    cur.quoted = true;
                    started = true;
                }
            }
            Part::Param(_, true) | Part::Cmd(_, true) | Part::Arith(_, true) => {
                let v = value(p, env);
                cur.chars.extend(v.chars().map(|c| (c, true)));
                cur.quoted = true;
                started = true;
            }
            Part::Param(..) | Part::Cmd(..) | Part::Arith(..) => {
                let v = value(p, env);
                split_into(&v, &mut fields, &mut cur, &mut started);
            }
        }
    }
    if started && (!cur.chars.is_empty() || (cur.quoted && !empty_at)) {
        fields.push(cur);
    }
    fields.into_iter().flat_map(glob_field).collect()
}

/// Field-split an unquoted expansion on blanks, joining its first
/// piece to the current field and starting new fields after blanks.
fn split_into(v: &str, fields: &mut Vec<Field>, cur: &mut Field, started: &mut bool) {
    for (i, piece) in v.split([' ', '\t', '\n']).enumerate() {
        if i > 0 && *started {
            if !cur.chars.is_empty() || cur.quoted {
                fields.push(std::mem::take(cur));
            }
            *started = false;
        }
        if !piece.is_empty() {
            cur.chars.extend(piece.chars().map(|c| (c, false)));
            *started = true;
        }
    }
}

/// Expand a word to one string (redirection targets, assignments).
pub fn expand_one(w: &Word, env: &mut dyn Env) -> String {
    w.iter().map(|p| value(p, env)).collect()
}

/// A word as a pattern (case): characters with their quoted marks.
pub fn pattern(w: &Word, env: &mut dyn Env) -> Vec<(char, bool)> {
    let mut v = Vec::new();
    for p in w {
        let (text, quoted) = match p {
            Part::Lit(s, q) => (s.clone(), *q),
            Part::Tilde => (value(p, env), true),
            Part::Param(_, q) | Part::Cmd(_, q) | Part::Arith(_, q) => (value(p, env), *q),
        };
        v.extend(text.chars().map(|c| (c, quoted)));
    }
    v
}

fn glob_field(f: Field) -> Vec<String> {
    if !f.has_glob() {
        return vec![f.text()];
    }
    let matches = glob(&f.chars);
    if matches.is_empty() {
        vec![f.text()] // POSIX: an unmatched pattern stays as it is
    } else {
        matches
    }
}

/// Walk the pattern one path component at a time.
fn glob(pat: &[(char, bool)]) -> Vec<String> {
    let absolute = pat.first().map(|p| p.0) == Some('/');
    let comps: Vec<&[(char, bool)]> = pat.split(|&(c, _)| c == '/').filter(|c| !c.is_empty()).collect();
    let mut paths = vec![if absolute { "/".to_string() } else { String::new() }];
    for comp in comps {
        let lit = !comp.iter().any(|&(c, q)| !q && "*?[".contains(c));
        let mut next = Vec::new();
        for base in &paths {
            if lit {
                let name: String = comp.iter().map(|p| p.0).collect();
                let p = join(base, &name);
                if std::fs::symlink_metadata(&p).is_ok() {
                    next.push(p);
                }
                continue;
            }
            let dir = if base.is_empty() { "." } else { base.as_str() };
            let Ok(rd) = std::fs::read_dir(dir) else { continue };
            let mut names: Vec<String> = rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
            names.sort();
            for n in names {
                // Hidden files match only a pattern starting with a literal '.'.
                if n.starts_with('.') && comp[0].0 != '.' {
                    continue;
                }
                let nc: Vec<char> = n.chars().collect();
                if fnmatch(comp, &nc) {
                    next.push(join(base, &n));
                }
            }
        }
        paths = next;
    }
    paths.retain(|p| !p.is_empty());
    paths
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_string()
    } else if base.ends_with('/') {
        format!("{base}{name}")
    } else {
        format!("{base}/{name}")
    }
}

/// Match one name against a pattern; quoted characters match literally.
pub fn fnmatch(p: &[(char, bool)], s: &[char]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(&('*', false)) => (0..=s.len()).any(|i| fnmatch(&p[1..], &s[i..])),
        Some(&('?', false)) => !s.is_empty() && fnmatch(&p[1..], &s[1..]),
        Some(&('[', false)) => match (bracket(&p[1..], s.first().copied()), s.is_empty()) {
            (Some((true, used)), false) => fnmatch(&p[1 + used..], &s[1..]),
            (None, false) => s[0] == '[' && fnmatch(&p[1..], &s[1..]),
            _ => false,
        },
        Some(&(c, _)) => s.first() == Some(&c) && fnmatch(&p[1..], &s[1..]),
    }
}

/// A bracket expression after '['. Returns (matched, pattern chars used
/// including the ']'), or None if there is no closing ']'.
fn bracket(p: &[(char, bool)], c: Option<char>) -> Option<(bool, usize)> {
    let c = c?;
    let mut i = 0;
    let negate = matches!(p.first(), Some(&('!', false)) | Some(&('^', false)));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        let (pc, _) = p[i];
        if pc == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1].0 == '-' && p[i + 2].0 != ']' {
            if pc <= c && c <= p[i + 2].0 {
                matched = true;
            }
            i += 3;
        } else {
            if pc == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        let p: Vec<(char, bool)> = p.chars().map(|c| (c, false)).collect();
        fnmatch(&p, &s.chars().collect::<Vec<_>>())
    }

    #[test]
    fn patterns() {
        assert!(m("*.rs", "main.rs"));
        assert!(!m("*.rs", "main.c"));
        assert!(m("a?c", "abc"));
        assert!(m("[a-c]x", "bx"));
        assert!(!m("[!a-c]x", "bx"));
        assert!(m("[]]", "]"));
    }

    struct Vars;
    impl Env for Vars {
        fn var(&self, n: &str) -> Option<String> {
            (n == "V").then(|| "a  b".to_string())
        }
        fn subst(&mut self, src: &str) -> String {
            format!("out of {src}")
        }
        fn arith(&mut self, _: &str) -> String {
            "42".into()
        }
        fn positional(&self) -> Vec<String> {
            vec!["p 1".into(), "p2".into()]
        }
        fn assign(&mut self, _: &str, _: &str) {}
    }

    #[test]
    fn splitting() {
        let look = &mut Vars;
        let w = vec![Part::Lit("x".into(), false), Part::Param("V".into(), false)];
        assert_eq!(expand(&w, look), vec!["xa", "b"]);
        let w = vec![Part::Param("V".into(), true)];
        assert_eq!(expand(&w, look), vec!["a  b"]);
        let w = vec![Part::Param("NONE".into(), false)];
        assert!(expand(&w, look).is_empty());
        let w = vec![Part::Lit(String::new(), true)];
        assert_eq!(expand(&w, look), vec![""]);
        let w = vec![Part::Cmd("ls".into(), false), Part::Arith("x".into(), false)];
        assert_eq!(expand(&w, look), vec!["out", "of", "ls42"]);
        let w = vec![Part::Lit("<".into(), true), Part::Param("@".into(), true), Part::Lit(">".into(), true)];
        assert_eq!(expand(&w, look), vec!["<p 1", "p2>"]);
        let w = vec![Part::Cmd("ls".into(), true)];
        assert_eq!(expand(&w, look), vec!["out of ls"]);
    }
}
