//! Recursive-descent parser: tokens to [`Expr`]. Function names are resolved and argument
//! counts checked here, so a parsed tree only holds known functions with valid arity.
//!
//! Grammar (Entra's reference plus what its examples imply):
//!
//! ```text
//! expr    := operand [ op operand ]            op := = <> < <= > >=
//! operand := [attr] | "string" | number | &Hhex | token | Name "(" [ slot { "," slot } ] ")"
//! slot    := expr | (nothing)                   an omitted argument
//! ```
//!
//! Limits: [`MAX_LEN`] characters (Entra's documented maximum) and [`MAX_DEPTH`] levels of
//! nesting, so hostile input gives an error rather than a stack overflow.

use super::ast::{Expr, ExprKind, Span};
use super::error::{ExprError, ExprErrorKind, Hint};
use super::func::{Function, TOKENS};
use super::lexer::{Tok, Token, tokenize};

/// Longest expression accepted, in characters (Entra rejects longer ones too).
pub const MAX_LEN: usize = 10_000;
/// Deepest nesting of calls accepted.
pub const MAX_DEPTH: usize = 48;

/// Parses one whole expression.
pub fn parse(src: &str) -> Result<Expr, ExprError> {
    let len = src.chars().count();
    if len > MAX_LEN {
        let at = src.char_indices().nth(MAX_LEN).map_or(src.len(), |(i, _)| i);
        return Err(ExprError::new(
            ExprErrorKind::TooLong { len, max: MAX_LEN },
            Span::new(at, src.len()),
        ));
    }
    let tokens = tokenize(src)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        end: src.len(),
    };
    let expr = p.expr(0)?;
    if let Some(t) = p.peek() {
        let t = t.clone();
        return Err(p.unexpected("the end of the expression", Some(&t)));
    }
    Ok(expr)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn unexpected(&self, expected: &'static str, found: Option<&Token>) -> ExprError {
        match found {
            Some(t) => ExprError::new(
                ExprErrorKind::Unexpected {
                    expected,
                    found: t.tok.describe(),
                },
                t.span,
            ),
            None => ExprError::new(
                ExprErrorKind::Unexpected {
                    expected,
                    found: "the end of the expression".into(),
                },
                Span::new(self.end, self.end),
            ),
        }
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, ExprError> {
        let lhs = self.operand(depth)?;
        if let Some(Token { tok: Tok::Op(op), .. }) = self.peek() {
            let op = *op;
            self.pos += 1;
            let rhs = self.operand(depth)?;
            let span = Span::new(lhs.span.start, rhs.span.end);
            return Ok(Expr {
                kind: ExprKind::Compare {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            });
        }
        Ok(lhs)
    }

    fn operand(&mut self, depth: usize) -> Result<Expr, ExprError> {
        let Some(t) = self.next() else {
            return Err(self.unexpected("an attribute, a string, a number or a function", None));
        };
        let kind = match t.tok {
            Tok::Attribute(a) => ExprKind::Attribute(a),
            Tok::Str(s) => ExprKind::Str(s),
            Tok::Number(n) => ExprKind::Number(n),
            Tok::Ident(name) => {
                if matches!(self.peek(), Some(Token { tok: Tok::LParen, .. })) {
                    return self.call(name, t.span, depth);
                }
                match TOKENS.iter().find(|k| k.eq_ignore_ascii_case(&name)) {
                    Some(k) => ExprKind::Token((*k).to_string()),
                    None if Function::lookup(&name).is_some() => {
                        return Err(self.unexpected("'(' after the function name", self.peek()));
                    }
                    None => return Err(ExprError::new(ExprErrorKind::UnknownToken(name), t.span)),
                }
            }
            _ => return Err(self.unexpected("an attribute, a string, a number or a function", Some(&t))),
        };
        Ok(Expr { kind, span: t.span })
    }

    fn call(&mut self, name: String, name_span: Span, depth: usize) -> Result<Expr, ExprError> {
        let function = Function::lookup(&name).ok_or_else(|| {
            let hint = Hint::closest(&name, Function::ALL.iter().map(|f| f.name()));
            ExprError::new(ExprErrorKind::UnknownFunction(name, hint), name_span)
        })?;
        if depth >= MAX_DEPTH {
            return Err(ExprError::new(ExprErrorKind::TooDeep { max: MAX_DEPTH }, name_span));
        }
        self.pos += 1; // the '(' seen by the caller
        let mut args = Vec::new();
        let close;
        if let Some(Token { tok: Tok::RParen, span }) = self.peek() {
            close = *span;
            self.pos += 1;
        } else {
            loop {
                let slot = match self.peek() {
                    Some(Token {
                        tok: Tok::Comma | Tok::RParen,
                        ..
                    }) => None,
                    _ => Some(self.expr(depth + 1)?),
                };
                args.push(slot);
                match self.next() {
                    Some(Token { tok: Tok::Comma, .. }) => {}
                    Some(Token { tok: Tok::RParen, span }) => {
                        close = span;
                        break;
                    }
                    other => {
                        self.pos = self.pos.saturating_sub(1);
                        return Err(self.unexpected("',' or ')'", other.as_ref()));
                    }
                }
            }
        }
        let span = Span::new(name_span.start, close.end);
        if !function.accepts(args.len()) {
            let kind = ExprErrorKind::WrongArgumentCount {
                function: function.name(),
                expected: function.arity_text(),
                found: args.len(),
            };
            return Err(ExprError::new(kind, name_span));
        }
        Ok(Expr {
            kind: ExprKind::Call { function, args },
            span,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::ast::CmpOp;

    #[test]
    fn parses_documented_shapes() {
        let ok = [
            r#"Append([userPrincipalName], ".test")"#,
            r#"Replace([mail], "@contoso.com", , ,"", ,)"#,
            r#"Switch([IsSoftDeleted], , "False", "1", "True", "0")"#,
            "BitAnd(&HF, &HF7)",
            r#"InStr("repEated","e",3,vbBinaryCompare)"#,
            r#"IIF([country]="USA",IIF([state]="CA","True","False"),"False")"#,
            "CBool([attribute1] = [attribute2])",
            "DateAdd(\"d\", -10, CDate([StatusHireDate]))",
            "Switch([Active], , \n  \"1\", IIF(DateDiff(\"d\", Now(), CDate([StatusHireDate])) > 5, \"False\", \"True\"), \n  \"0\", \"False\")",
            "switch([a], \"x\", \"k\", \"v\")",
            "Guid()",
            "[mail]",
            "\"constant\"",
        ];
        for src in ok {
            parse(src).unwrap_or_else(|e| panic!("{src}: {}", e.render(src)));
        }
    }

    #[test]
    fn omitted_arguments_are_none() {
        let e = parse(r#"Replace([mail], "@contoso.com", , ,"", ,)"#).unwrap();
        let ExprKind::Call { function, args } = e.kind else {
            panic!()
        };
        assert_eq!(function, Function::Replace);
        let present: Vec<bool> = args.iter().map(Option::is_some).collect();
        assert_eq!(present, [true, true, false, false, true, false, false]);
    }

    #[test]
    fn comparison_binds_inside_an_argument() {
        let e = parse(r#"IIF([c]<>"x", 1, 2)"#).unwrap();
        let ExprKind::Call { args, .. } = e.kind else { panic!() };
        let Some(Expr {
            kind: ExprKind::Compare { op, .. },
            span,
        }) = &args[0]
        else {
            panic!()
        };
        assert_eq!((*op, span.start, span.end), (CmpOp::Ne, 4, 12));
    }

    #[test]
    fn errors_and_their_positions() {
        let cases: &[(&str, &str, usize)] = &[
            (
                "Appendx([a], \"b\")",
                "unknown function 'Appendx'; did you mean Append?",
                0,
            ),
            ("Append([a])", "Append takes 2 arguments, found 1", 0),
            ("Join(\",\", Left([a]))", "Left takes 2 arguments, found 1", 10),
            ("Switch([a], \"d\", \"k\")", "Switch takes a source", 0),
            ("Append([a] \"b\")", "expected ',' or ')', found a string", 11),
            ("Append([a], \"b\"", "expected ',' or ')', found the end", 15),
            (
                "Append([a], \"b\") x",
                "expected the end of the expression, found 'x'",
                17,
            ),
            (
                "Append([a], \"b\"))",
                "expected the end of the expression, found ')'",
                16,
            ),
            ("mail", "unknown name 'mail'", 0),
            ("", "expected an attribute", 0),
            ("Append", "expected '(' after the function name", 6),
            ("ToLower(\"abc", "the string is not terminated", 8),
            ("[a] = [b] = [c]", "expected the end of the expression, found '='", 10),
        ];
        for (src, msg, at) in cases {
            let e = parse(src).unwrap_err();
            assert!(e.to_string().starts_with(msg), "{src}: {e}");
            assert_eq!(e.span.start, *at, "{src}: {e}");
        }
    }

    #[test]
    fn limits_give_errors_not_overflows() {
        let deep = format!("{}[a]{}", "ToLower(".repeat(10_000), ")".repeat(10_000));
        assert!(matches!(parse(&deep).unwrap_err().kind, ExprErrorKind::TooLong { .. }));
        let nested = format!("{}[a]{}", "ToLower(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        let e = parse(&nested).unwrap_err();
        assert_eq!(e.kind, ExprErrorKind::TooDeep { max: MAX_DEPTH });
        assert_eq!(e.span.start, MAX_DEPTH * "ToLower(".len());
        let fits = format!("{}[a]{}", "ToLower(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&fits).is_ok());
    }
}
