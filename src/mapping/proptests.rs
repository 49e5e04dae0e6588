//! Property tests: printing a parsed tree and parsing it again gives the same tree; the
//! parser never panics on any text; the evaluator never panics on any parsed expression.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use proptest::prelude::*;

use super::ast::{CmpOp, Expr, ExprKind, Span};
use super::compile::{Catalogue, Expression};
use super::eval::Context;
use super::func::{Function, TOKENS};
use super::parser::parse;
use super::printer::print;
use super::value::Value;

fn node(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        "[a-zA-Z][a-zA-Z0-9._]{0,10}".prop_map(|a| node(ExprKind::Attribute(a))),
        any::<String>().prop_map(|s| node(ExprKind::Str(s))),
        "[ -~]{0,12}".prop_map(|s| node(ExprKind::Str(s))),
        any::<i64>().prop_map(|n| node(ExprKind::Number(n))),
        (-40i64..300).prop_map(|n| node(ExprKind::Number(n))),
        proptest::sample::select(TOKENS).prop_map(|t| node(ExprKind::Token(t.to_string()))),
    ]
}

fn call_of(inner: impl Strategy<Value = Expr> + Clone) -> impl Strategy<Value = Expr> {
    (
        proptest::sample::select(Function::ALL),
        proptest::collection::vec(proptest::option::weighted(0.8, inner), 0..9),
    )
        .prop_filter_map("arity", |(function, mut args)| {
            let (min, max) = function.arity();
            let max = max.unwrap_or(8);
            args.truncate(max);
            if args.len() < min {
                return None;
            }
            if function == Function::Switch && args.len() % 2 == 1 {
                args.pop();
            }
            if !function.accepts(args.len()) {
                return None;
            }
            // "f()" is a call without arguments, so a single argument is never omitted.
            if args.len() == 1 && args[0].is_none() {
                return None;
            }
            Some(node(ExprKind::Call { function, args }))
        })
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(4, 48, 8, |inner| {
        let cmp = (
            inner.clone(),
            inner.clone(),
            proptest::sample::select(&[CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge][..]),
        )
            .prop_filter_map("operands are not comparisons", |(l, r, op)| {
                let is_cmp = |e: &Expr| matches!(e.kind, ExprKind::Compare { .. });
                (!is_cmp(&l) && !is_cmp(&r)).then(|| {
                    node(ExprKind::Compare {
                        op,
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                    })
                })
            });
        prop_oneof![3 => call_of(inner), 1 => cmp]
    })
}

fn attrs() -> impl Strategy<Value = BTreeMap<String, Value>> {
    let value = prop_oneof![
        Just(Value::Null),
        any::<String>().prop_map(Value::Str),
        "[ -~]{0,12}".prop_map(Value::Str),
        any::<i64>().prop_map(Value::Number),
        any::<bool>().prop_map(Value::Bool),
        proptest::collection::vec("[ -~]{0,6}", 1..4).prop_map(Value::Multi),
    ];
    proptest::collection::btree_map("[a-zA-Z][a-zA-Z0-9._]{0,10}", value, 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn print_then_parse_gives_the_same_tree(tree in expr()) {
        let text = print(&tree);
        prop_assume!(text.chars().count() <= super::parser::MAX_LEN);
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(e.render(&text)))?;
        prop_assert!(parsed.same_tree(&tree), "{text}");
        prop_assert_eq!(print(&parsed), text);
    }

    #[test]
    fn parser_never_panics(text in any::<String>()) {
        let _ = parse(&text);
    }

    #[test]
    fn parser_never_panics_on_near_expressions(text in r#"[\[\]()",&Hh0-9a-zA-Z\\=<> -]{0,60}"#) {
        if let Err(e) = parse(&text) {
            let _ = e.render(&text);
        }
    }

    #[test]
    fn evaluator_never_panics(tree in expr(), attrs in attrs(), seed in any::<u64>(), secs in 0i64..4_000_000_000) {
        let text = print(&tree);
        if let Ok(compiled) = Expression::compile(&text, &Catalogue::Any) {
            let now = Utc.timestamp_opt(secs, 0).single().unwrap_or_default();
            let mut ctx = Context::new(&attrs, now);
            ctx.seed = seed;
            let _ = compiled.evaluate(&ctx);
            ctx.entra_iif_limitation = false;
            let _ = compiled.evaluate(&ctx);
        }
    }
}
