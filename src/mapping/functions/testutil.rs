//! Helpers for the table-driven function tests: evaluate an expression on string attributes
//! with a fixed clock and seed, and compare the `mapping eval` rendering.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};

use crate::mapping::compile::{Catalogue, Expression};
use crate::mapping::eval::{Context, Flow};
use crate::mapping::value::Value;

/// One table row: expression, string attributes, expected `mapping eval` rendering.
pub type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

/// The fixed "now" of the tests: 8/25/2021 5:41:18 PM UTC (a date from the DateDiff examples).
pub fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 8, 25, 17, 41, 18)
        .single()
        .unwrap_or_default()
}

pub fn run_values(expr: &str, attrs: BTreeMap<String, Value>, taken: &[&str]) -> Result<String, String> {
    let compiled = Expression::compile(expr, &Catalogue::Any).map_err(|e| e.render(expr))?;
    let is_taken = |v: &str| taken.iter().any(|t| t.eq_ignore_ascii_case(v));
    let mut ctx = Context::new(&attrs, now());
    ctx.is_taken = &is_taken;
    ctx.seed = 7;
    let out = compiled.evaluate(&ctx).map_err(|e| e.to_string())?;
    Ok(match out.flow {
        Flow::Value(v) => v.render(),
        Flow::Dropped => "dropped".into(),
    })
}

fn attrs(attrs: &[(&str, &str)]) -> BTreeMap<String, Value> {
    attrs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::Str(v.to_string())))
        .collect()
}

pub fn run(expr: &str, a: &[(&str, &str)], taken: &[&str]) -> Result<String, String> {
    run_values(expr, attrs(a), taken)
}

#[track_caller]
pub fn check(expr: &str, a: &[(&str, &str)], want: &str) {
    check_taken(expr, a, &[], want);
}

#[track_caller]
pub fn check_taken(expr: &str, a: &[(&str, &str)], taken: &[&str], want: &str) {
    match run(expr, a, taken) {
        Ok(got) => assert_eq!(got, want, "{expr} with {a:?}"),
        Err(e) => panic!("{expr} with {a:?}: {e}"),
    }
}

#[track_caller]
pub fn check_err(expr: &str, a: &[(&str, &str)], want_prefix: &str) {
    match run(expr, a, &[]) {
        Ok(got) => panic!("{expr} with {a:?}: expected an error, got {got}"),
        Err(e) => assert!(e.starts_with(want_prefix), "{expr}: {e}"),
    }
}
