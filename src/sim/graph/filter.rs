//! The basic `$filter` dialect Graph accepts on directory objects without advanced-query
//! parameters: `eq`, `in`, `startswith`, `ge`/`le`, `and`/`or`, `groupTypes/any(c:c eq 'x')`;
//! plus the advanced-only `ne`, `not` and `endswith`, which Graph refuses unless the request
//! carries `ConsistencyLevel: eventual` and `$count=true` (spec §2.4).

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Filter {
    Or(Box<Filter>, Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Cmp(String, Op, Value),
    In(String, Vec<Value>),
    StartsWith(String, String),
    EndsWith(String, String),
    Any(String, Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Eq,
    Ne,
    Ge,
    Le,
}

impl Filter {
    /// True when the expression uses an operator only advanced queries allow.
    pub fn is_advanced(&self) -> bool {
        match self {
            Filter::Or(a, b) | Filter::And(a, b) => a.is_advanced() || b.is_advanced(),
            Filter::Not(_) | Filter::EndsWith(..) | Filter::Cmp(_, Op::Ne, _) => true,
            _ => false,
        }
    }

    /// The ids of an `id eq 'a' or id eq 'b'` filter (the only kind delta accepts), else None.
    pub fn ids(&self) -> Option<Vec<String>> {
        match self {
            Filter::Or(a, b) => {
                let mut ids = a.ids()?;
                ids.extend(b.ids()?);
                Some(ids)
            }
            Filter::Cmp(p, Op::Eq, Value::String(s)) if p == "id" => Some(vec![s.clone()]),
            _ => None,
        }
    }

    pub fn matches(&self, obj: &Map<String, Value>) -> bool {
        let get = |p: &str| -> Value {
            let mut cur = Value::Object(obj.clone());
            for part in p.split('/') {
                cur = cur.get(part).cloned().unwrap_or(Value::Null);
            }
            cur
        };
        let lower = |v: &Value| v.as_str().map(str::to_lowercase);
        match self {
            Filter::Or(a, b) => a.matches(obj) || b.matches(obj),
            Filter::And(a, b) => a.matches(obj) && b.matches(obj),
            Filter::Not(a) => !a.matches(obj),
            Filter::Cmp(p, op, lit) => {
                let v = get(p);
                let eq = match (lower(&v), lower(lit)) {
                    (Some(a), Some(b)) => a == b,
                    _ => &v == lit,
                };
                match op {
                    Op::Eq => eq,
                    Op::Ne => !eq,
                    Op::Ge => lower(&v).zip(lower(lit)).is_some_and(|(a, b)| a >= b),
                    Op::Le => lower(&v).zip(lower(lit)).is_some_and(|(a, b)| a <= b),
                }
            }
            Filter::In(p, lits) => {
                let v = lower(&get(p));
                lits.iter().any(|l| lower(l) == v)
            }
            Filter::StartsWith(p, s) => lower(&get(p)).is_some_and(|v| v.starts_with(&s.to_lowercase())),
            Filter::EndsWith(p, s) => lower(&get(p)).is_some_and(|v| v.ends_with(&s.to_lowercase())),
            Filter::Any(p, lit) => get(p)
                .as_array()
                .is_some_and(|a| a.iter().any(|x| lower(x) == lower(lit))),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Comma,
    Str(String),
    Word(String),
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut it = s.chars().peekable();
    while let Some(&c) = it.peek() {
        match c {
            ' ' | '\t' => {
                it.next();
            }
            '(' | ')' | ',' => {
                it.next();
                out.push(match c {
                    '(' => Tok::Open,
                    ')' => Tok::Close,
                    _ => Tok::Comma,
                });
            }
            '\'' => {
                it.next();
                let mut v = String::new();
                loop {
                    match it.next() {
                        Some('\'') if it.peek() == Some(&'\'') => {
                            it.next();
                            v.push('\'');
                        }
                        Some('\'') => break,
                        Some(ch) => v.push(ch),
                        None => return Err("unterminated string literal".into()),
                    }
                }
                out.push(Tok::Str(v));
            }
            _ => {
                let mut w = String::new();
                while let Some(&ch) = it.peek() {
                    if ch == ' ' || ch == '(' || ch == ')' || ch == ',' || ch == '\'' {
                        break;
                    }
                    w.push(ch);
                    it.next();
                }
                out.push(Tok::Word(w));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek_word(&self) -> Option<String> {
        match self.toks.get(self.pos) {
            Some(Tok::Word(w)) => Some(w.to_lowercase()),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, t: Tok) -> Result<(), String> {
        match self.next() {
            Some(ref got) if *got == t => Ok(()),
            got => Err(format!("expected {t:?}, found {got:?}")),
        }
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.peek_word().as_deref() == Some("or") {
            self.pos += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.factor()?;
        while self.peek_word().as_deref() == Some("and") {
            self.pos += 1;
            left = Filter::And(Box::new(left), Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn literal(&mut self) -> Result<Value, String> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Value::String(s)),
            Some(Tok::Word(w)) => match w.as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                "null" => Ok(Value::Null),
                n => n
                    .parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| format!("bad literal '{n}'")),
            },
            t => Err(format!("expected a literal, found {t:?}")),
        }
    }

    fn factor(&mut self) -> Result<Filter, String> {
        match self.next() {
            Some(Tok::Open) => {
                let f = self.or()?;
                self.expect(Tok::Close)?;
                Ok(f)
            }
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("not") => Ok(Filter::Not(Box::new(self.factor()?))),
            Some(Tok::Word(w)) if matches!(w.to_lowercase().as_str(), "startswith" | "endswith") => {
                self.expect(Tok::Open)?;
                let Some(Tok::Word(prop)) = self.next() else {
                    return Err("expected a property".into());
                };
                self.expect(Tok::Comma)?;
                let Value::String(s) = self.literal()? else {
                    return Err("expected a string".into());
                };
                self.expect(Tok::Close)?;
                Ok(if w.eq_ignore_ascii_case("startswith") {
                    Filter::StartsWith(prop, s)
                } else {
                    Filter::EndsWith(prop, s)
                })
            }
            Some(Tok::Word(w)) if w.to_lowercase().ends_with("/any") => {
                let prop = w[..w.len() - 4].to_owned();
                self.expect(Tok::Open)?;
                self.next(); // the lambda variable, `c:c`
                if self.peek_word().as_deref() != Some("eq") {
                    return Err("expected eq inside any()".into());
                }
                self.pos += 1;
                let lit = self.literal()?;
                self.expect(Tok::Close)?;
                Ok(Filter::Any(prop, lit))
            }
            Some(Tok::Word(prop)) => {
                let op = self.peek_word().ok_or("expected an operator")?;
                self.pos += 1;
                let op = match op.as_str() {
                    "eq" => Op::Eq,
                    "ne" => Op::Ne,
                    "ge" => Op::Ge,
                    "le" => Op::Le,
                    "in" => {
                        self.expect(Tok::Open)?;
                        let mut lits = vec![self.literal()?];
                        while self.toks.get(self.pos) == Some(&Tok::Comma) {
                            self.pos += 1;
                            lits.push(self.literal()?);
                        }
                        self.expect(Tok::Close)?;
                        return Ok(Filter::In(prop, lits));
                    }
                    other => return Err(format!("operator '{other}' is not supported")),
                };
                Ok(Filter::Cmp(prop, op, self.literal()?))
            }
            t => Err(format!("unexpected {t:?}")),
        }
    }
}

/// Parses a `$filter` value.
pub(super) fn parse(s: &str) -> Result<Filter, String> {
    let mut p = Parser { toks: lex(s)?, pos: 0 };
    let f = p.or()?;
    if p.pos < p.toks.len() {
        return Err("unexpected text after the expression".into());
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_match() {
        let obj = json!({"id":"a","accountEnabled":false,"userType":"Member","displayName":"Ana O'Neil",
                         "groupTypes":["Unified"],"mail":null});
        let obj = obj.as_object().unwrap();
        for (f, want) in [
            ("accountEnabled eq false", true),
            ("userType eq 'member' and startswith(displayName,'ana')", true),
            ("displayName eq 'Ana O''Neil'", true),
            ("id in ('b','a')", true),
            ("groupTypes/any(c:c eq 'Unified')", true),
            ("mail eq null", true),
            ("(id eq 'x') or (id eq 'y')", false),
            ("not(accountEnabled eq false)", false),
        ] {
            assert_eq!(parse(f).unwrap().matches(obj), want, "{f}");
        }
        assert!(parse("endswith(mail,'x')").unwrap().is_advanced());
        assert_eq!(
            parse("id eq 'a' or id eq 'b'").unwrap().ids(),
            Some(vec!["a".into(), "b".into()])
        );
        assert!(parse("id eq").is_err());
    }
}
