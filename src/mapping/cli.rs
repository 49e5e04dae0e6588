//! The library half of `nowsync mapping eval`: evaluate one expression on attributes given
//! as JSON and return exactly what the command prints (DESIGN.md "CLI").

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::compile::{Catalogue, Expression};
use super::error::{ExprError, render_caret};
use super::eval::{Context, EvalError, Flow};
use super::value::{JsonValueError, Value};

const ATTRS_SHAPE: &str =
    "--attrs must be a JSON object of attribute names to a string, number, boolean, null or array of strings";

/// Why `mapping eval` could not print a value. `Display` is the whole message for stderr,
/// with the expression and a caret under the offending character where there is one.
#[derive(Debug, thiserror::Error)]
pub enum EvalCliError {
    #[error("{}", .error.render(.expr))]
    Expression { expr: String, error: ExprError },
    #[error("{}", render_caret(&.error.to_string(), .expr, .error.span.start))]
    Evaluation { expr: String, error: EvalError },
    #[error("{ATTRS_SHAPE}: {0}")]
    AttrsJson(#[source] serde_json::Error),
    #[error("{ATTRS_SHAPE}: found {0}")]
    AttrsNotObject(serde_json::Value),
    #[error("{ATTRS_SHAPE}: attribute \"{name}\": {source}")]
    Attr {
        name: String,
        #[source]
        source: JsonValueError,
    },
    #[error("--now must be an RFC 3339 time such as 2020-03-16T07:00:00Z: '{text}': {source}")]
    Now {
        text: String,
        #[source]
        source: chrono::ParseError,
    },
}

/// Evaluates `expr` on `attrs_json` and returns the text `mapping eval` prints (without the
/// trailing newline): a string as-is, a number in decimal, `True`/`False`, a date as
/// `M/d/yyyy h:mm:ss tt` (UTC), a multi-valued result as a JSON array, and `null` for no value
/// or a dropped flow.
///
/// `now` (RFC 3339) fixes `Now()`, else the current time is used; `taken` lists values that
/// `SelectUniqueValue` treats as already used (compared ignoring case, as ServiceNow and AD
/// lookups do). Any attribute name is allowed; one that `attrs_json` lacks is NULL.
pub fn eval_cli(expr: &str, attrs_json: &str, now: Option<&str>, taken: &[String]) -> Result<String, EvalCliError> {
    // The only impure step of the module: the wall clock and fresh randomness, so that the
    // command behaves like Entra when --now is not given and Guid() differs between runs.
    let now: DateTime<Utc> = match now {
        Some(text) => DateTime::parse_from_rfc3339(text.trim())
            .map_err(|source| EvalCliError::Now {
                text: text.to_owned(),
                source,
            })?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    eval_cli_at(expr, attrs_json, now, rand::random(), taken)
}

/// [`eval_cli`] with the clock and the random seed given: deterministic.
pub fn eval_cli_at(
    expr: &str,
    attrs_json: &str,
    now: DateTime<Utc>,
    seed: u64,
    taken: &[String],
) -> Result<String, EvalCliError> {
    let json: serde_json::Value = serde_json::from_str(attrs_json).map_err(EvalCliError::AttrsJson)?;
    let serde_json::Value::Object(map) = json else {
        return Err(EvalCliError::AttrsNotObject(json));
    };
    let mut attrs = BTreeMap::new();
    for (name, v) in &map {
        let value = Value::from_json(v).map_err(|source| EvalCliError::Attr {
            name: name.clone(),
            source,
        })?;
        attrs.insert(name.clone(), value);
    }
    eval_attrs_at(expr, &attrs, now, seed, taken)
}

/// [`eval_cli_at`] on attributes already read (the console's editor, against a source user's
/// attributes as the engine answered them).
pub fn eval_attrs_at(
    expr: &str,
    attrs: &BTreeMap<String, Value>,
    now: DateTime<Utc>,
    seed: u64,
    taken: &[String],
) -> Result<String, EvalCliError> {
    let compiled = Expression::compile(expr, &Catalogue::Any).map_err(|error| EvalCliError::Expression {
        expr: expr.to_string(),
        error,
    })?;
    let is_taken = |v: &str| taken.iter().any(|t| t.to_lowercase() == v.to_lowercase());
    let mut ctx = Context::new(attrs, now);
    ctx.is_taken = &is_taken;
    ctx.seed = seed;
    let out = compiled.evaluate(&ctx).map_err(|error| EvalCliError::Evaluation {
        expr: expr.to_string(),
        error,
    })?;
    Ok(match out.flow {
        Flow::Value(v) => v.render(),
        Flow::Dropped => "null".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Option<&str> = Some("2021-08-25T17:41:18Z");

    #[test]
    fn prints_each_kind_of_result() {
        let cases = [
            (r#"Append([upn], ".test")"#, r#"{"upn": "a@b"}"#, "a@b.test"),
            (r#"Append([upn], "")"#, r#"{"upn": ""}"#, ""),
            ("Count([p])", r#"{"p": ["a", "b"]}"#, "2"),
            ("[n]", r#"{"n": 12}"#, "12"),
            ("IsPresent([x])", "{}", "False"),
            ("[b]", r#"{"b": true}"#, "True"),
            ("Split([s], \",\")", r#"{"s": "a,b"}"#, r#"["a","b"]"#),
            ("CDate(\"2020-03-16-07:00\")", "{}", "3/16/2020 7:00:00 AM"),
            ("Now()", "{}", "8/25/2021 5:41:18 PM"),
            ("[missing]", "{}", "null"),
            ("[x]", r#"{"x": null}"#, "null"),
            ("IgnoreFlowIfNullOrEmpty([d])", r#"{"d": ""}"#, "null"),
            (
                r#"Switch([IsSoftDeleted], , "False", "1", "True", "0")"#,
                r#"{"IsSoftDeleted": false}"#,
                "1",
            ),
        ];
        for (expr, attrs, want) in cases {
            assert_eq!(eval_cli(expr, attrs, NOW, &[]).unwrap(), want, "{expr}");
        }
    }

    #[test]
    fn taken_values_steer_select_unique_value() {
        let expr = r#"SelectUniqueValue(Join(".", [g], [s]), Join(".", Left([g], 1), [s]))"#;
        let attrs = r#"{"g": "John", "s": "Smith"}"#;
        assert_eq!(eval_cli(expr, attrs, NOW, &[]).unwrap(), "John.Smith");
        assert_eq!(eval_cli(expr, attrs, NOW, &["John.Smith".into()]).unwrap(), "J.Smith");
    }

    #[test]
    fn errors_show_a_caret() {
        let e = eval_cli("Append([a], \"x)", "{}", NOW, &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the string is not terminated: close it with \" (line 1, column 13)\n  Append([a], \"x)\n              ^"
        );
        let e = eval_cli("Join(\",\", Foo([a]))", "{}", NOW, &[]).unwrap_err();
        assert!(e.to_string().ends_with("  Join(\",\", Foo([a]))\n            ^"), "{e}");
        let e = eval_cli("ToLower(CDate([d]))", r#"{"d": "soon"}"#, NOW, &[]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("CDate: \"soon\" is not a date (line 1, column 9)"),
            "{e}"
        );
        assert!(matches!(
            eval_cli("[a]", "[1]", NOW, &[]),
            Err(EvalCliError::AttrsNotObject(_))
        ));
        assert!(matches!(
            eval_cli("[a]", "{", NOW, &[]),
            Err(EvalCliError::AttrsJson(_))
        ));
        let e = eval_cli("[a]", r#"{"a": [{}]}"#, NOW, &[]).unwrap_err();
        assert!(
            matches!(&e, EvalCliError::Attr { name, source: JsonValueError::ArrayItem(_) } if name == "a"),
            "{e}"
        );
        assert!(e.to_string().starts_with("--attrs must be a JSON object"), "{e}");
        assert!(matches!(
            eval_cli("[a]", "{}", Some("yesterday"), &[]),
            Err(EvalCliError::Now { .. })
        ));
    }
}
