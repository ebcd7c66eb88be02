//! Alias substitution, done on a command line's text before it is
//! parsed (as ash does while lexing): a word in command position that
//! is an alias name, unquoted, is replaced by the alias's value, which is
//! itself scanned again (an alias is not expanded inside its own value);
//! a value ending in a blank makes the next word a candidate too. An
//! alias defined on a line takes effect from the next line.

use std::collections::{HashMap, HashSet};

/// Words after which the next word is still in command position.
const LEADERS: [&str; 10] = ["if", "then", "else", "elif", "while", "until", "do", "!", "{", "time"];

pub fn expand(text: &str, aliases: &HashMap<String, String>) -> String {
    if aliases.is_empty() {
        return text.to_string();
    }
    expand_in(text, aliases, &mut HashSet::new(), 0)
}

fn expand_in(text: &str, aliases: &HashMap<String, String>, busy: &mut HashSet<String>, depth: usize) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut cmd_pos = true;
    while i < c.len() {
        let ch = c[i];
        if ch == ' ' || ch == '\t' {
            out.push(ch);
            i += 1;
            continue;
        }
        if "\n;&|()".contains(ch) {
            out.push(ch);
            cmd_pos = true;
            i += 1;
            continue;
        }
        if ch == '#' {
            // A comment, to the end of the line.
            while i < c.len() && c[i] != '\n' {
                out.push(c[i]);
                i += 1;
            }
            continue;
        }
        let end = word_end(&c, i);
        let word: String = c[i..end].iter().collect();
        i = end;
        let was_cmd = cmd_pos;
        cmd_pos = LEADERS.contains(&word.as_str()) || is_assignment(&word);
        match aliases.get(&word) {
            Some(value) if was_cmd && depth < 32 && !busy.contains(&word) => {
                busy.insert(word.clone());
                out.push_str(&expand_in(value, aliases, busy, depth + 1));
                busy.remove(&word);
                cmd_pos = value.ends_with([' ', '\t']);
            }
            _ => out.push_str(&word),
        }
    }
    out
}

fn is_assignment(w: &str) -> bool {
    w.split_once('=').is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !n.starts_with(|c: char| c.is_ascii_digit()))
}

/// The end of the word starting at `i`: quotes, backslashes, `$(…)`,
/// `${…}` and backquotes keep blanks and operators inside it.
fn word_end(c: &[char], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < c.len() {
        match c[i] {
            '\\' => i += 1,
            '\'' => {
                i += 1;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
            }
            '"' => {
                i += 1;
                while i < c.len() && c[i] != '"' {
                    if c[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            '`' => {
                i += 1;
                while i < c.len() && c[i] != '`' {
                    i += 1;
                }
            }
            '$' if matches!(c.get(i + 1), Some('(') | Some('{')) => {
                depth += 1;
                i += 1;
            }
            '(' | '{' if depth > 0 => depth += 1,
            ')' | '}' if depth > 0 => depth -= 1,
            ' ' | '\t' | '\n' | ';' | '&' | '|' | '(' | ')' if depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    c.len().min(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn command_position_only() {
        let m = a(&[("ll", "ls -l"), ("e", "echo")]);
        assert_eq!(expand("ll /bin; echo ll", &m), "ls -l /bin; echo ll");
        assert_eq!(expand("x=1 ll | e ll && e", &m), "x=1 ls -l | echo ll && echo");
        assert_eq!(expand("'ll' \\ll \"ll\"", &m), "'ll' \\ll \"ll\"");
        assert_eq!(expand("if ll; then e $(ll); fi", &m), "if ls -l; then echo $(ll); fi");
    }

    #[test]
    fn recursion_and_trailing_blank() {
        let m = a(&[("ls", "ls -F"), ("ll", "ls -l"), ("s", "sudo "), ("sudo", "env"), ("loop1", "loop2"), ("loop2", "loop1")]);
        assert_eq!(expand("ll", &m), "ls -F -l");
        assert_eq!(expand("s ll", &m), "env  ls -F -l");
        assert_eq!(expand("loop1", &m), "loop1");
    }
}
