//! Turns expression text into tokens. Strings take `\"` and `\\` escapes (any other
//! backslash is kept as written, so a .NET regex typed with single backslashes still works);
//! numbers are decimal integers with an optional `-`, or VB hex `&HF7`.

use super::ast::{CmpOp, Span};
use super::error::{ExprError, ExprErrorKind};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    LParen,
    RParen,
    Comma,
    Attribute(String),
    Str(String),
    Number(i64),
    Ident(String),
    Op(CmpOp),
}

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::Attribute(a) => format!("[{a}]"),
            Tok::Str(_) => "a string".into(),
            Tok::Number(n) => format!("the number {n}"),
            Tok::Ident(i) => format!("'{i}'"),
            Tok::Op(op) => format!("'{}'", op.as_str()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

fn err(kind: ExprErrorKind, start: usize, end: usize) -> ExprError {
    ExprError::new(kind, Span::new(start, end))
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

/// Splits `src` into tokens; the first lexical error stops it.
pub fn tokenize(src: &str) -> Result<Vec<Token>, ExprError> {
    let mut out = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let token = match c {
            '(' | ')' | ',' | '=' => {
                chars.next();
                let tok = match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    ',' => Tok::Comma,
                    _ => Tok::Op(CmpOp::Eq),
                };
                Token {
                    tok,
                    span: Span::new(start, start + 1),
                }
            }
            '<' | '>' => comparison(&mut chars, start, c),
            '[' => attribute(&mut chars, start, src)?,
            '"' => string(&mut chars, start, src)?,
            '&' => hex_number(&mut chars, start)?,
            '-' | '0'..='9' => decimal_number(&mut chars, start, c)?,
            c if c.is_alphabetic() || c == '_' => ident(&mut chars, start),
            // Copied from a web page or a word processor, quotes arrive curly.
            q @ ('\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2018}' | '\u{2019}') => {
                return Err(err(ExprErrorKind::SmartQuote(q), start, start + q.len_utf8()));
            }
            other => {
                return Err(err(
                    ExprErrorKind::UnexpectedChar(other),
                    start,
                    start + other.len_utf8(),
                ));
            }
        };
        out.push(token);
    }
    Ok(out)
}

fn comparison(chars: &mut Chars, start: usize, c: char) -> Token {
    chars.next();
    let next = chars.peek().map(|&(_, n)| n);
    let (op, len) = match (c, next) {
        ('<', Some('>')) => (CmpOp::Ne, 2),
        ('<', Some('=')) => (CmpOp::Le, 2),
        ('>', Some('=')) => (CmpOp::Ge, 2),
        ('<', _) => (CmpOp::Lt, 1),
        _ => (CmpOp::Gt, 1),
    };
    if len == 2 {
        chars.next();
    }
    Token {
        tok: Tok::Op(op),
        span: Span::new(start, start + len),
    }
}

fn attribute(chars: &mut Chars, start: usize, src: &str) -> Result<Token, ExprError> {
    chars.next();
    let mut name = String::new();
    let mut closed = None;
    for (i, ch) in chars.by_ref() {
        if ch == ']' {
            closed = Some(i);
            break;
        }
        name.push(ch);
    }
    let end = closed.ok_or_else(|| err(ExprErrorKind::UnterminatedAttribute, start, src.len()))?;
    let name = name.trim().to_string();
    if name.is_empty() {
        return Err(err(ExprErrorKind::EmptyAttribute, start, end + 1));
    }
    Ok(Token {
        tok: Tok::Attribute(name),
        span: Span::new(start, end + 1),
    })
}

fn string(chars: &mut Chars, start: usize, src: &str) -> Result<Token, ExprError> {
    chars.next();
    let mut value = String::new();
    let mut closed = None;
    while let Some((i, ch)) = chars.next() {
        match ch {
            '"' => {
                closed = Some(i);
                break;
            }
            '\\' => match chars.peek() {
                Some(&(_, e @ ('"' | '\\'))) => {
                    value.push(e);
                    chars.next();
                }
                _ => value.push('\\'),
            },
            _ => value.push(ch),
        }
    }
    let end = closed.ok_or_else(|| err(ExprErrorKind::UnterminatedString, start, src.len()))?;
    Ok(Token {
        tok: Tok::Str(value),
        span: Span::new(start, end + 1),
    })
}

fn hex_number(chars: &mut Chars, start: usize) -> Result<Token, ExprError> {
    chars.next();
    let h = chars.next_if(|&(_, ch)| ch == 'H' || ch == 'h');
    let mut end = start + 1;
    let mut digits = String::new();
    while let Some((i, ch)) = chars.next_if(|&(_, ch)| ch.is_ascii_hexdigit()) {
        digits.push(ch);
        end = i + 1;
    }
    if h.is_none() || digits.is_empty() {
        return Err(err(ExprErrorKind::UnexpectedChar('&'), start, start + 1));
    }
    let value = i64::from_str_radix(&digits, 16)
        .map_err(|_| err(ExprErrorKind::NumberOutOfRange(format!("&H{digits}")), start, end))?;
    Ok(Token {
        tok: Tok::Number(value),
        span: Span::new(start, end),
    })
}

fn decimal_number(chars: &mut Chars, start: usize, c: char) -> Result<Token, ExprError> {
    chars.next();
    let mut text = String::from(c);
    let mut end = start + 1;
    while let Some((i, ch)) = chars.next_if(|&(_, ch)| ch.is_ascii_digit()) {
        text.push(ch);
        end = i + 1;
    }
    if text == "-" {
        return Err(err(ExprErrorKind::UnexpectedChar('-'), start, end));
    }
    let value = text
        .parse::<i64>()
        .map_err(|_| err(ExprErrorKind::NumberOutOfRange(text.clone()), start, end))?;
    Ok(Token {
        tok: Tok::Number(value),
        span: Span::new(start, end),
    })
}

fn ident(chars: &mut Chars, start: usize) -> Token {
    let mut name = String::new();
    let mut end = start;
    while let Some((i, ch)) = chars.next_if(|&(_, ch)| ch.is_alphanumeric() || ch == '_') {
        name.push(ch);
        end = i + ch.len_utf8();
    }
    Token {
        tok: Tok::Ident(name),
        span: Span::new(start, end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        tokenize(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens_of_each_kind() {
        let cases: &[(&str, Vec<Tok>)] = &[
            ("[mail]", vec![Tok::Attribute("mail".into())]),
            (r#""a\"b\\c\d""#, vec![Tok::Str(r#"a"b\c\d"#.into())]),
            (
                "&HF &hf7 -10 42",
                vec![Tok::Number(15), Tok::Number(247), Tok::Number(-10), Tok::Number(42)],
            ),
            (
                "= <> < <= > >=",
                vec![
                    Tok::Op(CmpOp::Eq),
                    Tok::Op(CmpOp::Ne),
                    Tok::Op(CmpOp::Lt),
                    Tok::Op(CmpOp::Le),
                    Tok::Op(CmpOp::Gt),
                    Tok::Op(CmpOp::Ge),
                ],
            ),
            (
                "Guid( , )",
                vec![Tok::Ident("Guid".into()), Tok::LParen, Tok::Comma, Tok::RParen],
            ),
        ];
        for (src, want) in cases {
            assert_eq!(&toks(src), want, "{src}");
        }
    }

    #[test]
    fn lexical_errors_point_at_their_start() {
        let cases: &[(&str, ExprErrorKind, usize)] = &[
            ("Append([a], \"x)", ExprErrorKind::UnterminatedString, 12),
            ("[mail", ExprErrorKind::UnterminatedAttribute, 0),
            ("[ ]", ExprErrorKind::EmptyAttribute, 0),
            ("a ? b", ExprErrorKind::UnexpectedChar('?'), 2),
            ("&G", ExprErrorKind::UnexpectedChar('&'), 0),
            (
                "Append([a], \u{201C}x\u{201D})",
                ExprErrorKind::SmartQuote('\u{201C}'),
                12,
            ),
            (
                "99999999999999999999",
                ExprErrorKind::NumberOutOfRange("99999999999999999999".into()),
                0,
            ),
        ];
        for (src, kind, at) in cases {
            let e = tokenize(src).unwrap_err();
            assert_eq!((&e.kind, e.span.start), (kind, *at), "{src}");
        }
    }
}
