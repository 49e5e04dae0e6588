//! Wire value helpers: booleans, timestamps, new sys_ids, and turning written JSON into the
//! stored string form.

use serde_json::Value;

use crate::model::SysId;

/// Normalises a boolean the way the platform coerces it: `true`/`1`/`yes` (any case) is
/// `"true"`, everything else `"false"`.
pub fn bool_str(v: &str) -> &'static str {
    let t = v.trim();
    if t.eq_ignore_ascii_case("true") || t == "1" || t.eq_ignore_ascii_case("yes") {
        "true"
    } else {
        "false"
    }
}

/// A boolean query parameter: case-insensitive `true`; empty or absent is `false`.
pub fn param_true(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// UTC now as `YYYY-MM-DD HH:MM:SS`.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

pub fn new_sys_id() -> String {
    SysId::from_bytes(rand::random()).to_string()
}

/// The stored string for a written JSON value: strings as-is, booleans and numbers printed,
/// `null` as empty, `{"value":…}` objects by their value.
pub fn from_json(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        Value::Number(n) => n.to_string(),
        Value::Object(o) => o.get("value").map(from_json).unwrap_or_default(),
        Value::Array(a) => a.iter().map(from_json).collect::<Vec<_>>().join(","),
    }
}

/// Cuts `s` to at most `max` characters.
pub fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
