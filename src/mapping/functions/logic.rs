//! Conditions, choices and conversions: comparisons, `IIF`, `Switch`, `Coalesce`,
//! `SelectUniqueValue`, and the number reading the other functions share.

use std::cmp::Ordering;

use super::dates::parse_date;
use crate::mapping::ast::{CmpOp, Expr, ExprKind, Span};
use crate::mapping::eval::{EvalErrorKind, Evaluator, R, fail};
use crate::mapping::func::Function;
use crate::mapping::value::Value;

/// Reads a whole number: a number, or text holding a decimal integer or VB hex (`&HF`).
pub fn to_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Bool(b) => Some(if *b { -1 } else { 0 }),
        Value::Str(_) | Value::Multi(_) => {
            let t = v.text()?;
            let t = t.trim();
            match t.strip_prefix("&H").or_else(|| t.strip_prefix("&h")) {
                Some(hex) => i64::from_str_radix(hex, 16).ok(),
                None => t.parse().ok(),
            }
        }
        _ => None,
    }
}

/// Argument `i` as a number: `None` when NULL or empty, an error when it is not a number.
pub fn int_arg(ev: &mut Evaluator, args: &[Option<Expr>], i: usize, f: Function, span: Span) -> R<Option<i64>> {
    let v = ev.arg(args, i)?;
    if v.is_null_or_empty() {
        return Ok(None);
    }
    match to_int(&v) {
        Some(n) => Ok(Some(n)),
        None => fail(
            EvalErrorKind::NotANumber {
                function: f.name(),
                value: v.text_or_empty(),
            },
            span,
        ),
    }
}

/// Compares two values: as dates when one is a date, as numbers when both read as whole
/// numbers, else as text (ordinal, case-sensitive; NULL reads as "").
pub fn compare(op: CmpOp, l: &Value, r: &Value) -> bool {
    let ord = order(l, r);
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    }
}

fn order(l: &Value, r: &Value) -> Ordering {
    if matches!(l, Value::Date(_)) || matches!(r, Value::Date(_)) {
        let as_date = |v: &Value| match v {
            Value::Date(d) => Some(*d),
            other => other.text().and_then(|t| parse_date(&t)),
        };
        if let (Some(a), Some(b)) = (as_date(l), as_date(r)) {
            return a.cmp(&b);
        }
    }
    let numeric = |v: &Value| match v {
        Value::Number(n) => Some(*n),
        Value::Str(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    if let (Some(a), Some(b)) = (numeric(l), numeric(r)) {
        return a.cmp(&b);
    }
    l.text_or_empty().cmp(&r.text_or_empty())
}

pub fn iif(ev: &mut Evaluator, args: &[Option<Expr>], _span: Span) -> R<Value> {
    if ev.ctx.entra_iif_limitation
        && let Some(Some(cond)) = args.first()
    {
        // Entra: "If the source attribute used within the IIF function is empty or null, the
        // condition check fails" (functions reference, IIF known limitations).
        let mut empty = None;
        cond.walk(&mut |e| {
            if let ExprKind::Attribute(name) = &e.kind
                && empty.is_none()
                && ev.ctx.attributes.get(name).is_null_or_empty()
            {
                empty = Some((name.clone(), e.span));
            }
        });
        if let Some((attribute, at)) = empty {
            return fail(EvalErrorKind::IifConditionOnEmpty { attribute }, at);
        }
    }
    let cond = ev.arg(args, 0)?;
    if cond.truthy() {
        ev.arg(args, 1)
    } else {
        ev.arg(args, 2)
    }
}

pub fn switch(ev: &mut Evaluator, args: &[Option<Expr>]) -> R<Value> {
    // NULL matches the "" key: Entra's documented way to test for empty values.
    let source = ev.arg(args, 0)?.text_or_empty();
    let mut i = 2;
    while i + 1 < args.len() {
        if ev.arg(args, i)?.text_or_empty() == source {
            return ev.arg(args, i + 1);
        }
        i += 2;
    }
    ev.arg(args, 1)
}

pub fn coalesce(ev: &mut Evaluator, args: &[Option<Expr>]) -> R<Value> {
    for i in 0..args.len() {
        let v = ev.arg(args, i)?;
        if !v.is_null() {
            return Ok(v);
        }
    }
    Ok(Value::Null)
}

pub fn select_unique_value(ev: &mut Evaluator, args: &[Option<Expr>], span: Span) -> R<Value> {
    for i in 0..args.len() {
        let v = ev.arg(args, i)?;
        if v.is_null_or_empty() {
            continue;
        }
        let text = v.text_or_empty();
        if !(ev.ctx.is_taken)(&text) {
            return Ok(Value::Str(text));
        }
    }
    fail(EvalErrorKind::NoUniqueValue, span)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{Case, check, check_err};

    #[test]
    fn documented_examples_1() {
        let a: &[(&str, &str)] = &[("country", "USA"), ("state", "CA"), ("department", "Sales")];
        let cases: &[Case] = &[
            (r#"IIF([country]="USA",[country],[department])"#, a, "USA"),
            (r#"IIF([country]="FR",[country],[department])"#, a, "Sales"),
            (
                r#"IIF([country]="USA",IIF([state]="CA","True","False"),"False")"#,
                a,
                "True",
            ),
            (
                r#"IIF([country]="UK","True",IIF([state]="CA","True","False"))"#,
                a,
                "True",
            ),
            (
                r#"Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney","QLD", "Australia/Brisbane", "SA", "Australia/Adelaide")"#,
                &[("state", "QLD")],
                "Australia/Brisbane",
            ),
            (
                r#"Switch([state], "Australia/Sydney", "NSW", "x", "QLD", "y")"#,
                &[("state", "VIC")],
                "Australia/Sydney",
            ),
            // Switch is case-sensitive; ToLower is the documented way around it.
            (r#"Switch([f], "d", "true", "1")"#, &[("f", "TRUE")], "d"),
            (
                r#"Switch(ToLower([statusFlag]), "0", "true", "1", "false", "0")"#,
                &[("statusFlag", "TRUE")],
                "1",
            ),
            (
                r#"Switch([statusFlag], "Default Value", "true", "1", "", "0")"#,
                &[("statusFlag", "")],
                "0",
            ),
            (
                r#"Switch([statusFlag], "Default Value", "true", "1", "", "0")"#,
                &[],
                "0",
            ),
            (r#"Switch([country],[country],"","Other")"#, &[], "Other"),
            (r#"Switch([country],[country],"","Other")"#, &[("country", "NZ")], "NZ"),
            (
                r#"Switch([IsSoftDeleted], , "False", "1", "True", "0")"#,
                &[("IsSoftDeleted", "True")],
                "0",
            ),
            (
                r#"Switch([IsSoftDeleted], , "False", "1", "True", "0")"#,
                &[("IsSoftDeleted", "False")],
                "1",
            ),
            (
                r#"Switch([IsSoftDeleted], , "False", "1", "True", "0")"#,
                &[("IsSoftDeleted", "x")],
                "null",
            ),
            (
                "Coalesce([mail],[userPrincipalName])",
                &[("userPrincipalName", "John.Doe@contoso.com")],
                "John.Doe@contoso.com",
            ),
            (
                "Coalesce([mail],[userPrincipalName])",
                &[("mail", ""), ("userPrincipalName", "u")],
                "",
            ),
            (r#"Coalesce([a],[b],"dflt")"#, &[], "dflt"),
            ("Coalesce([a],[b])", &[], "null"),
        ];
        for (expr, attrs, want) in cases {
            check(expr, attrs, want);
        }
    }

    #[test]
    fn documented_examples_2() {
        let cases: &[Case] = &[
            (
                "CBool([attribute1] = [attribute2])",
                &[("attribute1", "x"), ("attribute2", "x")],
                "True",
            ),
            (
                "CBool([attribute1] = [attribute2])",
                &[("attribute1", "x"), ("attribute2", "X")],
                "False",
            ),
            ("CBool(5)", &[], "True"),
            ("CBool(\"0\")", &[], "False"),
            ("CBool(\"true\")", &[], "True"),
            ("Not(\"True\")", &[], "False"),
            ("Not(\"False\")", &[], "True"),
            ("Not(\"banana\")", &[], "True"),
            ("Not([missing])", &[], "True"),
            ("IsNull([displayName])", &[], "True"),
            ("IsNull([displayName])", &[("displayName", "")], "False"),
            ("IsNullOrEmpty([displayName])", &[("displayName", "")], "True"),
            ("IsNullOrEmpty([displayName])", &[("displayName", "x")], "False"),
            ("IsPresent([displayName])", &[("displayName", "x")], "True"),
            ("IsPresent([displayName])", &[], "False"),
            ("IsString([displayName])", &[("displayName", "x")], "True"),
            ("IsString([displayName])", &[], "False"),
            ("BitAnd(&HF, &HF7)", &[], "7"),
            ("BitAnd([a], 6)", &[("a", "&H3")], "2"),
        ];
        for (expr, attrs, want) in cases {
            check(expr, attrs, want);
        }
    }

    #[test]
    fn documented_examples_3() {
        let cases: &[Case] = &[
            ("BitAnd([a], 6)", &[], "null"),
            ("CStr(42)", &[], "42"),
            (
                "CStr([dn])",
                &[("dn", "cn=Joe,dc=contoso,dc=com")],
                "cn=Joe,dc=contoso,dc=com",
            ),
            ("IIF(10 > 9, \"num\", \"text\")", &[], "num"),
            ("IIF(\"10\" > \"9\", \"num\", \"text\")", &[], "num"),
            ("IIF(\"b\" >= \"a\", \"y\", \"n\")", &[], "y"),
            ("IIF(\"b\" <= \"a\", \"y\", \"n\")", &[], "n"),
            ("IIF(\"a\" < \"b\", \"y\", \"n\")", &[], "y"),
            ("IIF(\"a\" <> \"a\", \"y\", \"n\")", &[], "n"),
            (
                r#"IIF(CDate("2021-01-02") > CDate("2021-01-01"), "later", "earlier")"#,
                &[],
                "later",
            ),
            (
                "IgnoreFlowIfNullOrEmpty([department])",
                &[("department", "Sales")],
                "Sales",
            ),
            (
                "IgnoreFlowIfNullOrEmpty([department])",
                &[("department", "")],
                "dropped",
            ),
            ("IgnoreFlowIfNullOrEmpty([department])", &[], "dropped"),
            (
                r#"IgnoreFlowIfNullOrEmpty(Switch([prefix], "", "3443", "Dr.", "3444", "Prof."))"#,
                &[("prefix", "1")],
                "dropped",
            ),
            (
                r#"IgnoreFlowIfNullOrEmpty(Switch([prefix], "", "3443", "Dr.", "3444", "Prof."))"#,
                &[("prefix", "3444")],
                "Prof.",
            ),
            (
                r#"Switch([x], IgnoreAttributeFlow, "a", "b")"#,
                &[("x", "z")],
                "dropped",
            ),
            ("Redact([userPrincipalName])", &[("userPrincipalName", "u@x")], "u@x"),
        ];
        for (expr, attrs, want) in cases {
            check(expr, attrs, want);
        }
    }

    #[test]
    fn iif_keeps_entras_limitation_on_empty_attributes() {
        // The documented unsupported forms fail instead of choosing a branch.
        for expr in [
            r#"IIF([country]="","Other",[country])"#,
            r#"IIF(IsNullOrEmpty([country]),"Other",[country])"#,
            r#"IIF(IsPresent([country]),[country],"Other")"#,
        ] {
            check_err(expr, &[("country", "")], "IIF: the condition uses [country]");
            check_err(expr, &[], "IIF: the condition uses [country]");
        }
    }

    #[test]
    fn select_unique_value_skips_taken_and_empty_candidates() {
        let expr = r#"SelectUniqueValue(
            Join("@", NormalizeDiacritics(StripSpaces(Join(".",  [PreferredFirstName], [PreferredLastName]))), "contoso.com"),
            Join("@", NormalizeDiacritics(StripSpaces(Join(".",  Mid([PreferredFirstName], 1, 1), [PreferredLastName]))), "contoso.com"),
            Join("@", NormalizeDiacritics(StripSpaces(Join(".",  Mid([PreferredFirstName], 1, 2), [PreferredLastName]))), "contoso.com"))"#;
        let a: &[(&str, &str)] = &[("PreferredFirstName", "John"), ("PreferredLastName", "Smith")];
        let t = super::super::testutil::check_taken;
        t(expr, a, &[], "John.Smith@contoso.com");
        t(expr, a, &["john.smith@contoso.com"], "J.Smith@contoso.com");
        t(
            expr,
            a,
            &["John.Smith@contoso.com", "J.Smith@contoso.com"],
            "Jo.Smith@contoso.com",
        );
        let all_taken = super::super::testutil::run("SelectUniqueValue([a], [b])", &[("a", "x")], &["X"]);
        assert!(all_taken.is_err_and(|e| e.starts_with("SelectUniqueValue: every candidate")));
    }
}
