//! `$((...))`: integer arithmetic with + - * / % ( ), comparisons,
//! ! && ||, and variables by bare name or $name (unset = 0).

/// Evaluate an expression; `var` gives the value of a name.
pub fn eval(src: &str, var: &dyn Fn(&str) -> Option<String>) -> Result<i64, String> {
    let toks = tokens(src, var)?;
    let mut p = P { t: &toks, i: 0 };
    let v = p.binary(0)?;
    if p.i != toks.len() {
        return Err(format!("{src}: syntax error in expression"));
    }
    Ok(v)
}

#[derive(Debug, Clone, PartialEq)]
enum T {
    Num(i64),
    Op(&'static str),
}

const OPS: [&str; 18] = ["&&", "||", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "(", ")", "!", "&", "|"];

fn tokens(src: &str, var: &dyn Fn(&str) -> Option<String>) -> Result<Vec<T>, String> {
    let c: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < c.len() {
        if c[i].is_whitespace() {
            i += 1;
        } else if c[i].is_ascii_digit() {
            let s = i;
            while i < c.len() && c[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let text: String = c[s..i].iter().collect();
            out.push(T::Num(number(&text)?));
        } else if c[i] == '$' || c[i] == '_' || c[i].is_ascii_alphabetic() {
            if c[i] == '$' {
                i += 1;
            }
            let s = i;
            while i < c.len() && (c[i] == '_' || c[i].is_ascii_alphanumeric()) {
                i += 1;
            }
            let name: String = c[s..i].iter().collect();
            let v = var(&name).unwrap_or_default();
            out.push(T::Num(if v.trim().is_empty() { 0 } else { number(v.trim())? }));
        } else {
            let rest: String = c[i..].iter().take(2).collect();
            let op = OPS.iter().find(|o| rest.starts_with(**o)).ok_or(format!("{src}: bad character '{}'", c[i]))?;
            i += op.len();
            out.push(T::Op(op));
        }
    }
    Ok(out)
}

fn number(s: &str) -> Result<i64, String> {
    let r = if let Some(h) = s.strip_prefix("0x") { i64::from_str_radix(h, 16) } else { s.parse() };
    r.map_err(|_| format!("{s}: bad number"))
}

struct P<'a> {
    t: &'a [T],
    i: usize,
}

/// Binary operators by precedence level, loosest first.
const LEVELS: [&[&str]; 7] = [&["||"], &["&&"], &["|"], &["&"], &["==", "!="], &["<", ">", "<=", ">="], &["+", "-"]];

impl P<'_> {
    fn binary(&mut self, level: usize) -> Result<i64, String> {
        if level == LEVELS.len() {
            return self.term();
        }
        let mut v = self.binary(level + 1)?;
        while let Some(T::Op(op)) = self.t.get(self.i) {
            if !LEVELS[level].contains(op) {
                break;
            }
            self.i += 1;
            let r = self.binary(level + 1)?;
            v = apply(op, v, r)?;
        }
        Ok(v)
    }

    fn term(&mut self) -> Result<i64, String> {
        let mut v = self.unary()?;
        while let Some(T::Op(op @ ("*" | "/" | "%"))) = self.t.get(self.i) {
            self.i += 1;
            let r = self.unary()?;
            v = apply(op, v, r)?;
        }
        Ok(v)
    }

    fn unary(&mut self) -> Result<i64, String> {
        let t = self.t.get(self.i).cloned().ok_or("missing operand")?;
        self.i += 1;
        match t {
            T::Num(n) => Ok(n),
            T::Op("-") => Ok(self.unary()?.wrapping_neg()),
            T::Op("+") => self.unary(),
            T::Op("!") => Ok((self.unary()? == 0) as i64),
            T::Op("(") => {
                let v = self.binary(0)?;
                if self.t.get(self.i) != Some(&T::Op(")")) {
                    return Err("missing ')'".into());
                }
                self.i += 1;
                Ok(v)
            }
            T::Op(o) => Err(format!("unexpected '{o}'")),
        }
    }
}

fn apply(op: &str, a: i64, b: i64) -> Result<i64, String> {
    Ok(match op {
        "+" => a.wrapping_add(b),
        "-" => a.wrapping_sub(b),
        "*" => a.wrapping_mul(b),
        "/" | "%" if b == 0 => return Err("division by zero".into()),
        "/" => a.wrapping_div(b),
        "%" => a.wrapping_rem(b),
        "<" => (a < b) as i64,
        ">" => (a > b) as i64,
        "<=" => (a <= b) as i64,
        ">=" => (a >= b) as i64,
        "==" => (a == b) as i64,
        "!=" => (a != b) as i64,
        "&&" => (a != 0 && b != 0) as i64,
        "||" => (a != 0 || b != 0) as i64,
        "&" => a & b,
        _ => a | b,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn expressions() {
        let var = |n: &str| (n == "x").then(|| "5".to_string());
        let e = |s| super::eval(s, &var);
        assert_eq!(e("1 + 2 * 3"), Ok(7));
        assert_eq!(e("(1 + 2) * 3"), Ok(9));
        assert_eq!(e("x + $x - -1"), Ok(11));
        assert_eq!(e("x > 3 && y == 0"), Ok(1));
        assert_eq!(e("17 % 5 / 2"), Ok(1));
        assert!(e("1 / 0").is_err());
        assert!(e("1 +").is_err());
    }
}
