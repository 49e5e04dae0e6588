//! Prints a tree back as canonical expression text: canonical function names, `", "`
//! between arguments, omitted arguments as nothing, strings re-escaped, numbers in decimal.
//! Parsing the output gives the same tree (see the property test).

use std::fmt::Write;

use super::ast::{Expr, ExprKind};

/// The canonical text of `expr`.
pub fn print(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr);
    out
}

fn write_expr(out: &mut String, expr: &Expr) {
    match &expr.kind {
        ExprKind::Attribute(name) => {
            let _ = write!(out, "[{name}]");
        }
        ExprKind::Str(s) => {
            out.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
        ExprKind::Number(n) => {
            let _ = write!(out, "{n}");
        }
        ExprKind::Token(t) => out.push_str(t),
        ExprKind::Call { function, args } => {
            out.push_str(function.name());
            out.push('(');
            for (i, arg) in args.iter().enumerate() {
                // An omitted argument prints as nothing: "f(a, , c)".
                if i > 0 {
                    out.push_str(", ");
                }
                if let Some(arg) = arg {
                    write_expr(out, arg);
                }
            }
            out.push(')');
        }
        ExprKind::Compare { op, lhs, rhs } => {
            write_expr(out, lhs);
            let _ = write!(out, " {} ", op.as_str());
            write_expr(out, rhs);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::parser::parse;

    #[test]
    fn canonical_text() {
        let cases = [
            (
                r#"replace([mail], "@contoso.com", , ,"", ,)"#,
                r#"Replace([mail], "@contoso.com", , , "", , )"#,
            ),
            (r#"Switch([x],,"a","b")"#, r#"Switch([x], , "a", "b")"#),
            ("BitAnd(&HF,&HF7)", "BitAnd(15, 247)"),
            (r#"IIF([c]="a\"b\\",[c],Guid())"#, r#"IIF([c] = "a\"b\\", [c], Guid())"#),
            (
                "InStr(\"a\", \"b\", , vbtextcompare)",
                "InStr(\"a\", \"b\", , vbTextCompare)",
            ),
            ("[ mail ]", "[mail]"),
            ("-5", "-5"),
        ];
        for (src, want) in cases {
            let tree = parse(src).unwrap();
            let printed = print(&tree);
            assert_eq!(printed, want);
            assert!(parse(&printed).unwrap().same_tree(&tree), "{src}");
        }
    }
}
