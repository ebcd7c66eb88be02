//! Lexer and parser for the shell language subset:
//!   list     := and_or ((';' | '&' | '\n') and_or)*
//!   and_or   := pipeline (('&&' | '||') pipeline)*
//!   pipeline := ['!'] command ('|' command)*
//!   command  := simple | '(' list ')' redir* | compound
//!   compound := if list then list (elif list then list)* [else list] fi
//!             | (while|until) list do list done
//!             | for NAME [in word*] (';'|'\n') do list done
//!   simple   := (NAME=word)* (word | redir)*
//! Words keep which characters were quoted, so expansion can decide
//! what to field-split and glob.

/// One piece of a word.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Literal text; `true` if it was quoted (no globbing).
    Lit(String, bool),
    /// `$NAME`, `${NAME}` or a special parameter; `true` if inside "".
    Param(String, bool),
    /// A leading `~` (home directory).
    Tilde,
    /// `$(commands)` or `` `commands` ``; `true` if inside "".
    Cmd(String, bool),
    /// `$((expression))`; `true` if inside "".
    Arith(String, bool),
}

pub type Word = Vec<Part>;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RKind {
    In,
    Out,
    Append,
    /// `N>&M` / `N<&M`: the target word names a descriptor.
    Dup,
    /// `<<WORD` here-document: the target word is the body.
    Here,
}

#[derive(Debug, Clone)]
pub struct Redir {
    pub fd: i32,
    pub kind: RKind,
    pub target: Word,
}

#[derive(Debug, Clone, Default)]
pub struct Simple {
    pub assigns: Vec<(String, Word)>,
    pub words: Vec<Word>,
    pub redirs: Vec<Redir>,
}

#[derive(Debug, Clone)]
pub enum Cmd {
    Simple(Simple),
    Sub(List, Vec<Redir>),
    /// (condition, body) pairs for if/elif, then the else part.
    If(Vec<(List, List)>, Option<List>),
    /// condition, body, and `true` for `until`.
    While(List, List, bool),
    /// variable, words (None: the positional parameters), body.
    For(String, Option<Vec<Word>>, List),
    /// A compound command with redirections (`while ...; done < file`).
    Redirected(Box<Cmd>, Vec<Redir>),
    /// `{ list; }`: a group run in the current shell.
    Group(List),
    /// `case word in pattern|pattern) list ;; ... esac`
    Case(Word, Vec<(Vec<Word>, List)>),
    /// `name() compound-command`: defines a function.
    Func(String, Box<Cmd>),
}

/// Words that open or close compound commands where a command starts.
const RESERVED: [&str; 16] =
    ["if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "in", "!", "{", "}", "case", "esac"];

#[derive(Debug, Clone)]
pub struct Pipeline {
    pub bang: bool,
    pub cmds: Vec<Cmd>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    And,
    Or,
}

#[derive(Debug, Clone)]
pub struct AndOr {
    pub first: Pipeline,
    pub rest: Vec<(Op, Pipeline)>,
    /// Source text, for the jobs table.
    pub text: String,
}

/// A list of and-or lists; the flag says "run in the background".
pub type List = Vec<(AndOr, bool)>;

#[derive(Debug, PartialEq)]
pub enum Error {
    /// Input ends inside a quote or after an operator: read more.
    Incomplete,
    Syntax(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(Word),
    /// Redirection operator with its descriptor: (fd, op).
    Redir(i32, String),
    Op(&'static str),
    Newline,
    /// Placeholder for here-document body number n (filled after lexing).
    Here(usize),
}

const OPS: [&str; 8] = ["&&", "||", ";;", "|", "&", ";", "(", ")"];

struct Lexer<'a> {
    s: &'a [char],
    i: usize,
    /// A token to return before lexing on (the body after `<<`).
    queued: Option<Tok>,
    /// Here-documents waiting for the next newline: (body number,
    /// delimiter, expand $ in the body, strip leading tabs).
    pending: Vec<(usize, String, bool, bool)>,
    bodies: Vec<Word>,
}

fn is_name_char(c: char, first: bool) -> bool {
    c == '_' || c.is_ascii_alphabetic() || (!first && c.is_ascii_digit())
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    /// Next token with its start offset, or None at the end.
    fn next(&mut self) -> Result<Option<(Tok, usize)>, Error> {
        if let Some(t) = self.queued.take() {
            return Ok(Some((t, self.i)));
        }
        loop {
            match self.peek() {
                Some(' ') | Some('\t') => self.i += 1,
                Some('\\') if self.s.get(self.i + 1) == Some(&'\n') => self.i += 2,
                Some('#') => {
                    while !matches!(self.peek(), None | Some('\n')) {
                        self.i += 1;
                    }
                }
                _ => break,
            }
        }
        let start = self.i;
        let Some(c) = self.peek() else {
            return if self.pending.is_empty() { Ok(None) } else { Err(Error::Incomplete) };
        };
        if c == '\n' {
            self.i += 1;
            self.read_here_bodies()?;
            return Ok(Some((Tok::Newline, start)));
        }
        if let Some(r) = self.redir_op() {
            if let Tok::Redir(_, op) = &r {
                if op.starts_with("<<") {
                    self.here_start(op == "<<-")?;
                }
            }
            return Ok(Some((r, start)));
        }
        for op in OPS {
            let oc: Vec<char> = op.chars().collect();
            if self.s[self.i..].starts_with(&oc) {
                self.i += oc.len();
                return Ok(Some((Tok::Op(op), start)));
            }
        }
        Ok(Some((Tok::Word(self.word()?), start)))
    }

    /// `<`, `>`, `>>`, `>&`, `<&`, optionally preceded by a digit.
    fn redir_op(&mut self) -> Option<Tok> {
        let mut j = self.i;
        let mut fd = None;
        if let Some(d) = self.s.get(j).and_then(|c| c.to_digit(10)) {
            fd = Some(d as i32);
            j += 1;
        }
        let c = *self.s.get(j)?;
        if c != '<' && c != '>' {
            return None;
        }
        j += 1;
        let mut op = c.to_string();
        if let Some(&n) = self.s.get(j) {
            if (n == c && c == '>') || n == '&' {
                op.push(n);
                j += 1;
            } else if n == '<' && c == '<' {
                op.push(n);
                j += 1;
                if self.s.get(j) == Some(&'-') {
                    op.push('-');
                    j += 1;
                }
            }
        }
        self.i = j;
        let fd = fd.unwrap_or(if c == '<' { 0 } else { 1 });
        Some(Tok::Redir(fd, op))
    }

    fn word(&mut self) -> Result<Word, Error> {
        let mut w: Word = Vec::new();
        let mut lit = String::new();
        if self.peek() == Some('~') {
            self.i += 1;
            w.push(Part::Tilde);
        }
        while let Some(c) = self.peek() {
            if " \t\n;&|()<>".contains(c) {
                break;
            }
            self.i += 1;
            match c {
                '\\' => {
                    let n = self.peek().ok_or(Error::Incomplete)?;
                    self.i += 1;
                    flush(&mut w, &mut lit, false);
                    w.push(Part::Lit(n.to_string(), true));
                }
                '\'' => {
                    flush(&mut w, &mut lit, false);
                    let mut q = String::new();
                    loop {
                        let n = self.peek().ok_or(Error::Incomplete)?;
                        self.i += 1;
                        if n == '\'' {
                            break;
                        }
                        q.push(n);
                    }
                    w.push(Part::Lit(q, true));
                }
                '"' => {
                    flush(&mut w, &mut lit, false);
                    self.dquote(&mut w)?;
                }
                '$' => {
                    flush(&mut w, &mut lit, false);
                    w.push(self.param(false)?);
                }
                '`' => {
                    flush(&mut w, &mut lit, false);
                    w.push(Part::Cmd(self.backquote()?, false));
                }
                _ => lit.push(c),
            }
        }
        flush(&mut w, &mut lit, false);
        Ok(w)
    }

    /// Inside "...": only $ and \ are special.
    fn dquote(&mut self, w: &mut Word) -> Result<(), Error> {
        let mut q = String::new();
        // An empty "" still makes a (quoted, empty) field.
        w.push(Part::Lit(String::new(), true));
        loop {
            let c = self.peek().ok_or(Error::Incomplete)?;
            self.i += 1;
            match c {
                '"' => break,
                '\\' => {
                    let n = self.peek().ok_or(Error::Incomplete)?;
                    self.i += 1;
                    if !"$`\"\\\n".contains(n) {
                        q.push('\\');
                    }
                    if n != '\n' {
                        q.push(n);
                    }
                }
                '$' => {
                    flush(w, &mut q, true);
                    w.push(self.param(true)?);
                }
                '`' => {
                    flush(w, &mut q, true);
                    w.push(Part::Cmd(self.backquote()?, true));
                }
                _ => q.push(c),
            }
        }
        flush(w, &mut q, true);
        Ok(())
    }

    /// After a `$`: a name, a special parameter, or `${name}`.
    fn param(&mut self, quoted: bool) -> Result<Part, Error> {
        let Some(c) = self.peek() else { return Ok(Part::Lit("$".into(), quoted)) };
        if c == '(' {
            self.i += 1;
            if self.peek() == Some('(') {
                self.i += 1;
                let e = self.balanced()?;
                if self.peek() != Some(')') {
                    return Err(Error::Incomplete);
                }
                self.i += 1;
                return Ok(Part::Arith(e, quoted));
            }
            return Ok(Part::Cmd(self.balanced()?, quoted));
        }
        if c == '{' {
            self.i += 1;
            // ${NAME}, ${NAME:-word} ...: keep the text, expansion parses
            // the operator; nested ${...} in the word are balanced here.
            let mut name = String::new();
            let mut depth = 1;
            loop {
                let n = self.peek().ok_or(Error::Incomplete)?;
                self.i += 1;
                if n == '{' {
                    depth += 1;
                } else if n == '}' {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                name.push(n);
            }
            return Ok(Part::Param(name, quoted));
        }
        if "?$!#@*0123456789-".contains(c) {
            self.i += 1;
            return Ok(Part::Param(c.to_string(), quoted));
        }
        let mut name = String::new();
        while let Some(n) = self.peek().filter(|&n| is_name_char(n, name.is_empty())) {
            name.push(n);
            self.i += 1;
        }
        if name.is_empty() {
            return Ok(Part::Lit("$".into(), quoted));
        }
        Ok(Part::Param(name, quoted))
    }
}

impl Lexer<'_> {
    /// After `<<`: read the delimiter word now; the body comes after the
    /// next newline. A quoted delimiter means no expansion in the body.
    fn here_start(&mut self, strip: bool) -> Result<(), Error> {
        while matches!(self.peek(), Some(' ') | Some('\t')) {
            self.i += 1;
        }
        let w = self.word()?;
        if w.is_empty() {
            return Err(Error::Syntax("missing here-document delimiter".into()));
        }
        let expand = w.iter().all(|p| matches!(p, Part::Lit(_, false)));
        let delim: String = w
            .iter()
            .map(|p| match p {
                Part::Lit(t, _) => t.clone(),
                Part::Param(n, _) => format!("${n}"),
                _ => String::new(),
            })
            .collect();
        let n = self.bodies.len();
        self.bodies.push(Vec::new());
        self.pending.push((n, delim, expand, strip));
        self.queued = Some(Tok::Here(n));
        Ok(())
    }

    /// At a newline: consume the bodies of pending here-documents.
    fn read_here_bodies(&mut self) -> Result<(), Error> {
        for (n, delim, expand, strip) in std::mem::take(&mut self.pending) {
            let mut body = String::new();
            loop {
                if self.i >= self.s.len() {
                    return Err(Error::Incomplete);
                }
                let end = self.s[self.i..].iter().position(|&c| c == '\n').map(|p| self.i + p);
                let line: String = self.s[self.i..end.unwrap_or(self.s.len())].iter().collect();
                self.i = end.map(|e| e + 1).unwrap_or(self.s.len());
                let line = if strip { line.trim_start_matches('\t').to_string() } else { line };
                if line == delim {
                    break;
                }
                if end.is_none() {
                    return Err(Error::Incomplete);
                }
                body.push_str(&line);
                body.push('\n');
            }
            self.bodies[n] = if expand { here_word(&body) } else { vec![Part::Lit(body, true)] };
        }
        Ok(())
    }

    /// Text up to the `)` matching an already consumed `(`, skipping
    /// quoted parts; the `)` is consumed but not returned.
    fn balanced(&mut self) -> Result<String, Error> {
        let start = self.i;
        let mut depth = 1;
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(self.s[start..self.i - 1].iter().collect());
                    }
                }
                '\\' => self.i += 1,
                '\'' | '"' => {
                    while self.peek().is_some_and(|n| n != c) {
                        self.i += if self.peek() == Some('\\') && c == '"' { 2 } else { 1 };
                    }
                    self.i += 1;
                }
                _ => {}
            }
        }
        Err(Error::Incomplete)
    }

    /// Text up to the closing backquote (already past the opening one).
    fn backquote(&mut self) -> Result<String, Error> {
        let mut t = String::new();
        loop {
            let c = self.peek().ok_or(Error::Incomplete)?;
            self.i += 1;
            match c {
                '`' => return Ok(t),
                '\\' if matches!(self.peek(), Some('`') | Some('\\') | Some('$')) => {
                    t.push(self.peek().unwrap_or('\\'));
                    self.i += 1;
                }
                _ => t.push(c),
            }
        }
    }
}

/// An expanding here-document body: like "..." but `"` is ordinary.
/// Also used for the word in `${NAME:-word}`.
pub fn here_word(body: &str) -> Word {
    let chars: Vec<char> = body.chars().collect();
    let mut lx = Lexer { s: &chars, i: 0, queued: None, pending: Vec::new(), bodies: Vec::new() };
    let mut w = Vec::new();
    let mut q = String::new();
    while let Some(c) = lx.peek() {
        lx.i += 1;
        match c {
            '\\' if matches!(lx.peek(), Some('$') | Some('`') | Some('\\')) => {
                q.push(lx.peek().unwrap_or('\\'));
                lx.i += 1;
            }
            '$' => {
                flush(&mut w, &mut q, true);
                match lx.param(true) {
                    Ok(p) => w.push(p),
                    Err(_) => q.push('$'),
                }
            }
            '`' => {
                flush(&mut w, &mut q, true);
                match lx.backquote() {
                    Ok(t) => w.push(Part::Cmd(t, true)),
                    Err(_) => q.push('`'),
                }
            }
            _ => q.push(c),
        }
    }
    flush(&mut w, &mut q, true);
    if w.is_empty() {
        w.push(Part::Lit(String::new(), true));
    }
    w
}

fn flush(w: &mut Word, lit: &mut String, quoted: bool) {
    if !lit.is_empty() {
        w.push(Part::Lit(std::mem::take(lit), quoted));
    }
}

/// If a word is `NAME=value` (name unquoted), split it.
fn assignment(w: &Word) -> Option<(String, Word)> {
    let Some(Part::Lit(first, false)) = w.first() else { return None };
    let eq = first.find('=')?;
    let name = &first[..eq];
    let mut chars = name.chars();
    if !chars.next().is_some_and(|c| is_name_char(c, true)) || !chars.all(|c| is_name_char(c, false)) {
        return None;
    }
    let mut value: Word = vec![Part::Lit(first[eq + 1..].to_string(), false)];
    value.extend(w[1..].iter().cloned());
    Some((name.to_string(), value))
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    src: Vec<char>,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }
    fn offset(&self) -> usize {
        self.toks.get(self.pos).map(|(_, o)| *o).unwrap_or(self.src.len())
    }
    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(o)) if *o == op)
    }
    fn skip_newlines(&mut self) {
        while self.peek() == Some(&Tok::Newline) {
            self.pos += 1;
        }
    }

    /// The reserved word at the current token, if it is one.
    fn reserved(&self) -> Option<&'static str> {
        match self.peek() {
            Some(Tok::Word(w)) if w.len() == 1 => match &w[0] {
                Part::Lit(s, false) => RESERVED.iter().find(|r| *r == s).copied(),
                _ => None,
            },
            _ => None,
        }
    }

    /// Consume reserved word `word` or fail.
    fn expect(&mut self, word: &str) -> Result<(), Error> {
        self.skip_newlines();
        match (self.reserved(), self.peek()) {
            (Some(r), _) if r == word => {
                self.pos += 1;
                Ok(())
            }
            (_, None) => Err(Error::Incomplete),
            (_, Some(t)) => Err(Error::Syntax(format!("unexpected {}, expecting '{word}'", show(t)))),
        }
    }

    /// A list up to the end of input, or up to one of `stop` (`)` or
    /// reserved words) when nested.
    fn list(&mut self, stop: &[&str]) -> Result<List, Error> {
        let mut list = Vec::new();
        loop {
            self.skip_newlines();
            match self.peek() {
                None if !stop.is_empty() => return Err(Error::Incomplete),
                None => return Ok(list),
                Some(Tok::Op(o)) if stop.contains(o) => return Ok(list),
                _ if self.reserved().is_some_and(|r| stop.contains(&r)) => return Ok(list),
                _ => {}
            }
            let ao = self.and_or()?;
            let bg = self.is_op("&");
            match self.peek() {
                Some(Tok::Op(";")) | Some(Tok::Op("&")) | Some(Tok::Newline) => self.pos += 1,
                None => {}
                Some(Tok::Op(o)) if stop.contains(o) => {}
                Some(t) => return Err(Error::Syntax(format!("unexpected {}", show(t)))),
            }
            list.push((ao, bg));
        }
    }

    /// A list that must not be empty, ended by one of `stop`.
    fn body(&mut self, stop: &[&str]) -> Result<List, Error> {
        let l = self.list(stop)?;
        if l.is_empty() {
            return Err(match self.peek() {
                Some(t) => Error::Syntax(format!("unexpected {}", show(t))),
                None => Error::Incomplete,
            });
        }
        Ok(l)
    }

    fn if_cmd(&mut self) -> Result<Cmd, Error> {
        let mut arms = Vec::new();
        loop {
            let cond = self.body(&["then"])?;
            self.expect("then")?;
            let then = self.body(&["elif", "else", "fi"])?;
            arms.push((cond, then));
            match self.reserved() {
                Some("elif") => self.pos += 1,
                Some("else") => {
                    self.pos += 1;
                    let e = self.body(&["fi"])?;
                    self.expect("fi")?;
                    return Ok(Cmd::If(arms, Some(e)));
                }
                _ => {
                    self.expect("fi")?;
                    return Ok(Cmd::If(arms, None));
                }
            }
        }
    }

    fn while_loop(&mut self) -> Result<Cmd, Error> {
        self.while_cmd(false)
    }

    fn until_loop(&mut self) -> Result<Cmd, Error> {
        self.while_cmd(true)
    }

    fn while_cmd(&mut self, until: bool) -> Result<Cmd, Error> {
        let cond = self.body(&["do"])?;
        self.expect("do")?;
        let body = self.body(&["done"])?;
        self.expect("done")?;
        Ok(Cmd::While(cond, body, until))
    }

    fn group(&mut self) -> Result<Cmd, Error> {
        let l = self.body(&["}"])?;
        self.expect("}")?;
        Ok(Cmd::Group(l))
    }

    /// `name ( ) body` at a command start: a function definition.
    fn function(&mut self) -> Result<Option<Cmd>, Error> {
        let Some(Tok::Word(w)) = self.peek() else { return Ok(None) };
        let name = match w.as_slice() {
            [Part::Lit(n, false)] if n.chars().enumerate().all(|(i, c)| is_name_char(c, i == 0)) => n.clone(),
            _ => return Ok(None),
        };
        let paren = |p: &Self, k: usize, op: &str| matches!(p.toks.get(p.pos + k), Some((Tok::Op(o), _)) if *o == op);
        if !paren(self, 1, "(") || !paren(self, 2, ")") {
            return Ok(None);
        }
        self.pos += 3;
        self.skip_newlines();
        if self.peek().is_none() {
            return Err(Error::Incomplete);
        }
        let body = self.command()?;
        Ok(Some(Cmd::Func(name, Box::new(body))))
    }

    fn case_cmd(&mut self) -> Result<Cmd, Error> {
        let word = match self.peek() {
            Some(Tok::Word(w)) => w.clone(),
            None => return Err(Error::Incomplete),
            Some(t) => return Err(Error::Syntax(format!("unexpected {}", show(t)))),
        };
        self.pos += 1;
        self.expect("in")?;
        let mut arms = Vec::new();
        loop {
            self.skip_newlines();
            if self.reserved() == Some("esac") {
                self.pos += 1;
                return Ok(Cmd::Case(word, arms));
            }
            if self.is_op("(") {
                self.pos += 1;
            }
            let mut pats = Vec::new();
            loop {
                match self.peek() {
                    Some(Tok::Word(w)) => pats.push(w.clone()),
                    None => return Err(Error::Incomplete),
                    Some(t) => return Err(Error::Syntax(format!("unexpected {} in case pattern", show(t)))),
                }
                self.pos += 1;
                if self.is_op("|") {
                    self.pos += 1;
                } else if self.is_op(")") {
                    self.pos += 1;
                    break;
                } else if self.peek().is_none() {
                    return Err(Error::Incomplete);
                } else {
                    return Err(Error::Syntax("expecting ')' after case pattern".into()));
                }
            }
            let body = self.list(&[";;", "esac"])?;
            if self.is_op(";;") {
                self.pos += 1;
            }
            arms.push((pats, body));
        }
    }

    fn for_cmd(&mut self) -> Result<Cmd, Error> {
        let name = match self.peek() {
            Some(Tok::Word(w)) => match w.as_slice() {
                [Part::Lit(n, false)] if n.chars().enumerate().all(|(i, c)| is_name_char(c, i == 0)) => n.clone(),
                _ => return Err(Error::Syntax("bad for loop variable".into())),
            },
            None => return Err(Error::Incomplete),
            Some(t) => return Err(Error::Syntax(format!("unexpected {}", show(t)))),
        };
        self.pos += 1;
        let mut words = None;
        self.skip_newlines();
        if self.reserved() == Some("in") {
            self.pos += 1;
            let mut v = Vec::new();
            while let Some(Tok::Word(w)) = self.peek() {
                v.push(w.clone());
                self.pos += 1;
            }
            words = Some(v);
        }
        if self.is_op(";") {
            self.pos += 1;
        }
        self.expect("do")?;
        let body = self.body(&["done"])?;
        self.expect("done")?;
        Ok(Cmd::For(name, words, body))
    }

    fn and_or(&mut self) -> Result<AndOr, Error> {
        let start = self.offset();
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let op = if self.is_op("&&") { Op::And } else if self.is_op("||") { Op::Or } else { break };
            self.pos += 1;
            self.skip_newlines();
            if self.peek().is_none() {
                return Err(Error::Incomplete);
            }
            rest.push((op, self.pipeline()?));
        }
        let end = self.offset();
        let text: String = self.src[start..end.min(self.src.len())].iter().collect();
        Ok(AndOr { first, rest, text: text.trim().to_string() })
    }

    fn pipeline(&mut self) -> Result<Pipeline, Error> {
        let mut bang = false;
        if let Some(Tok::Word(w)) = self.peek() {
            if w == &vec![Part::Lit("!".into(), false)] {
                bang = true;
                self.pos += 1;
            }
        }
        let mut cmds = vec![self.command()?];
        while self.is_op("|") {
            self.pos += 1;
            self.skip_newlines();
            if self.peek().is_none() {
                return Err(Error::Incomplete);
            }
            cmds.push(self.command()?);
        }
        Ok(Pipeline { bang, cmds })
    }

    fn command(&mut self) -> Result<Cmd, Error> {
        let compound = match self.reserved() {
            Some("if") => Some(Self::if_cmd as fn(&mut Self) -> Result<Cmd, Error>),
            Some("while") => Some(Self::while_loop as fn(&mut Self) -> Result<Cmd, Error>),
            Some("until") => Some(Self::until_loop as fn(&mut Self) -> Result<Cmd, Error>),
            Some("for") => Some(Self::for_cmd as fn(&mut Self) -> Result<Cmd, Error>),
            Some("{") => Some(Self::group as fn(&mut Self) -> Result<Cmd, Error>),
            Some("case") => Some(Self::case_cmd as fn(&mut Self) -> Result<Cmd, Error>),
            Some(w) if w != "!" => return Err(Error::Syntax(format!("unexpected '{w}'"))),
            _ => None,
        };
        if let Some(parse_it) = compound {
            self.pos += 1;
            let c = parse_it(self)?;
            let mut redirs = Vec::new();
            while let Some(Tok::Redir(..)) = self.peek() {
                redirs.push(self.redir()?);
            }
            return Ok(if redirs.is_empty() { c } else { Cmd::Redirected(Box::new(c), redirs) });
        }
        if let Some(f) = self.function()? {
            return Ok(f);
        }
        if self.is_op("(") {
            self.pos += 1;
            let l = self.list(&[")"])?;
            if !self.is_op(")") {
                return Err(Error::Incomplete);
            }
            self.pos += 1;
            let mut redirs = Vec::new();
            while let Some(Tok::Redir(..)) = self.peek() {
                redirs.push(self.redir()?);
            }
            return Ok(Cmd::Sub(l, redirs));
        }
        let mut s = Simple::default();
        loop {
            match self.peek() {
                Some(Tok::Word(w)) => {
                    let w = w.clone();
                    self.pos += 1;
                    match assignment(&w) {
                        Some(a) if s.words.is_empty() => s.assigns.push(a),
                        _ => s.words.push(w),
                    }
                }
                Some(Tok::Redir(..)) => s.redirs.push(self.redir()?),
                _ => break,
            }
        }
        if s.words.is_empty() && s.assigns.is_empty() && s.redirs.is_empty() {
            return match self.peek() {
                None => Err(Error::Incomplete),
                Some(t) => Err(Error::Syntax(format!("unexpected {}", show(t)))),
            };
        }
        Ok(Cmd::Simple(s))
    }

    fn redir(&mut self) -> Result<Redir, Error> {
        let Some(Tok::Redir(fd, op)) = self.peek().cloned() else { unreachable!() };
        self.pos += 1;
        let kind = match op.as_str() {
            "<" => RKind::In,
            ">" => RKind::Out,
            ">>" => RKind::Append,
            "<<" | "<<-" => RKind::Here,
            _ => RKind::Dup,
        };
        match self.peek() {
            Some(Tok::Word(w)) => {
                let target = w.clone();
                self.pos += 1;
                Ok(Redir { fd, kind, target })
            }
            None => Err(Error::Syntax("missing redirection target".into())),
            Some(t) => Err(Error::Syntax(format!("unexpected {}", show(t)))),
        }
    }
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Op(o) => format!("'{o}'"),
        Tok::Newline => "newline".into(),
        Tok::Redir(_, o) => format!("'{o}'"),
        Tok::Word(_) | Tok::Here(_) => "word".into(),
    }
}

/// Parse a complete input text into a list.
pub fn parse(src: &str) -> Result<List, Error> {
    let chars: Vec<char> = src.chars().collect();
    let mut lx = Lexer { s: &chars, i: 0, queued: None, pending: Vec::new(), bodies: Vec::new() };
    let mut toks = Vec::new();
    while let Some(t) = lx.next()? {
        toks.push(t);
    }
    for (t, _) in &mut toks {
        if let Tok::Here(n) = t {
            *t = Tok::Word(std::mem::take(&mut lx.bodies[*n]));
        }
    }
    let mut p = Parser { toks, pos: 0, src: chars.clone() };
    let l = p.list(&[])?;
    if p.pos < p.toks.len() {
        return Err(Error::Syntax(format!("unexpected {}", show(&p.toks[p.pos].0))));
    }
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_inputs() {
        assert_eq!(parse("echo 'abc").unwrap_err(), Error::Incomplete);
        assert_eq!(parse("echo a &&").unwrap_err(), Error::Incomplete);
        assert_eq!(parse("echo a |").unwrap_err(), Error::Incomplete);
        assert_eq!(parse("(echo a").unwrap_err(), Error::Incomplete);
    }

    #[test]
    fn structure() {
        let l = parse("a=1 echo x > f 2>&1 | wc && b || c & d").unwrap();
        assert_eq!(l.len(), 2);
        assert!(l[0].1);
        assert_eq!(l[0].0.rest.len(), 2);
        let Cmd::Simple(s) = &l[0].0.first.cmds[0] else { panic!() };
        assert_eq!(s.assigns.len(), 1);
        assert_eq!(s.redirs.len(), 2);
        assert_eq!(s.redirs[1].fd, 2);
        assert_eq!(l[0].0.text, "a=1 echo x > f 2>&1 | wc && b || c");
    }

    #[test]
    fn compound_commands() {
        let l = parse("if a; then b; elif c\nthen d; else e; fi; while x; do y; done; for i in 1 2; do z; done").unwrap();
        assert_eq!(l.len(), 3);
        assert!(matches!(&l[0].0.first.cmds[0], Cmd::If(arms, Some(_)) if arms.len() == 2));
        assert!(matches!(&l[1].0.first.cmds[0], Cmd::While(_, _, false)));
        assert!(matches!(&l[2].0.first.cmds[0], Cmd::For(n, Some(w), _) if n == "i" && w.len() == 2));
        assert_eq!(parse("if a; then").unwrap_err(), Error::Incomplete);
        assert_eq!(parse("for i in a b; do").unwrap_err(), Error::Incomplete);
        assert!(matches!(parse("then"), Err(Error::Syntax(_))));
        assert!(matches!(parse("if; then b; fi"), Err(Error::Syntax(_))));
        // Reserved words are ordinary arguments after a command name.
        assert!(parse("echo if then fi").is_ok());
    }

    #[test]
    fn substitutions() {
        let l = parse("echo $(ls \"a)\" | wc) `pwd` $((1 + (2)))").unwrap();
        let Cmd::Simple(s) = &l[0].0.first.cmds[0] else { panic!() };
        assert_eq!(s.words[1], vec![Part::Cmd("ls \"a)\" | wc".into(), false)]);
        assert_eq!(s.words[2], vec![Part::Cmd("pwd".into(), false)]);
        assert_eq!(s.words[3], vec![Part::Arith("1 + (2)".into(), false)]);
        assert_eq!(parse("echo $(ls").unwrap_err(), Error::Incomplete);
    }

    #[test]
    fn here_documents() {
        let l = parse("cat <<EOF; cat <<-'E2'\nhello $x\nEOF\n\tlit $y\n\tE2\necho after").unwrap();
        assert_eq!(l.len(), 3);
        let Cmd::Simple(s) = &l[0].0.first.cmds[0] else { panic!() };
        assert_eq!(s.redirs[0].kind, RKind::Here);
        assert_eq!(s.redirs[0].target[1], Part::Param("x".into(), true));
        let Cmd::Simple(s) = &l[1].0.first.cmds[0] else { panic!() };
        assert_eq!(s.redirs[0].target, vec![Part::Lit("lit $y\n".into(), true)]);
        assert_eq!(parse("cat <<EOF\nno end").unwrap_err(), Error::Incomplete);
    }

    #[test]
    fn groups_cases_functions() {
        let l = parse("{ a; b; } > f; case $x in a|b) one;; (c) two ;; *) ;; esac; f() { echo hi; }").unwrap();
        assert_eq!(l.len(), 3);
        assert!(matches!(&l[0].0.first.cmds[0], Cmd::Redirected(g, _) if matches!(**g, Cmd::Group(_))));
        assert!(matches!(&l[1].0.first.cmds[0], Cmd::Case(_, arms) if arms.len() == 3 && arms[0].0.len() == 2));
        assert!(matches!(&l[2].0.first.cmds[0], Cmd::Func(n, _) if n == "f"));
        assert_eq!(parse("case x in").unwrap_err(), Error::Incomplete);
        assert_eq!(parse("f() {").unwrap_err(), Error::Incomplete);
        assert!(parse("echo { }").is_ok());
    }

    #[test]
    fn syntax_errors() {
        assert!(matches!(parse("; ls"), Err(Error::Syntax(_))));
        assert!(matches!(parse("ls )"), Err(Error::Syntax(_))));
    }
}
