//! Values that expressions compute. NULL (an absent attribute) and the empty string are
//! different values, as in Entra: `IsNull` only sees the first, `IsNullOrEmpty` both.
//!
//! Booleans render as `True`/`False` and dates as `M/d/yyyy h:mm:ss tt` in UTC, the forms
//! Entra's functions produce and accept.

use chrono::{DateTime, Utc};

/// Serialised tagged (`{"str": "x"}`), for the console attached over the engine's socket.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Value {
    /// No value: the attribute is absent, or a function gave nothing.
    Null,
    Str(String),
    Number(i64),
    Bool(bool),
    /// A point in time; always UTC, as `CDate` returns.
    Date(DateTime<Utc>),
    /// A multi-valued attribute (`proxyAddresses`) or the result of `Split`. Never empty:
    /// an attribute without values is [`Value::Null`].
    Multi(Vec<String>),
}

/// Entra's date rendering, `M/d/yyyy h:mm:ss tt`, e.g. `3/16/2020 7:00:00 AM`.
pub fn format_entra_date(d: &DateTime<Utc>) -> String {
    d.format("%-m/%-d/%Y %-I:%M:%S %p").to_string()
}

/// A JSON value that is not an attribute value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonValueError {
    #[error("an array may hold only strings, found {0}")]
    ArrayItem(String),
    #[error("expected a string, number, boolean, null or array of strings")]
    Object,
}

impl Value {
    /// A multi-valued value, or NULL when there are no values.
    pub fn multi(values: Vec<String>) -> Value {
        if values.is_empty() {
            Value::Null
        } else {
            Value::Multi(values)
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// NULL or the empty string (what `IsNullOrEmpty` and `IgnoreFlowIfNullOrEmpty` test).
    pub fn is_null_or_empty(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Str(s) => s.is_empty(),
            Value::Multi(v) => v.is_empty(),
            _ => false,
        }
    }

    /// The value as text, `None` for NULL. A multi-valued value reads as its first value,
    /// which is what a single-valued function sees in Entra (`Item(..., 1)`).
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Str(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(bool_text(*b).to_string()),
            Value::Date(d) => Some(format_entra_date(d)),
            Value::Multi(v) => v.first().cloned(),
        }
    }

    /// The value as text with NULL read as the empty string.
    pub fn text_or_empty(&self) -> String {
        self.text().unwrap_or_default()
    }

    /// Every value as text: one for a single value, none for NULL.
    pub fn texts(&self) -> Vec<String> {
        match self {
            Value::Multi(v) => v.clone(),
            other => other.text().into_iter().collect(),
        }
    }

    /// How `nowsync mapping eval` prints a result (DESIGN.md "CLI"): strings as-is, numbers in
    /// decimal, `True`/`False`, dates as Entra renders them, multi-valued as a JSON array and
    /// NULL as `null`.
    pub fn render(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Multi(v) => serde_json::to_string(v).unwrap_or_else(|_| "[]".into()),
            other => other.text_or_empty(),
        }
    }

    /// Truth as Entra reads it: `True` (any case), a non-zero number, or a boolean true.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0,
            Value::Str(s) => {
                let s = s.trim();
                s.eq_ignore_ascii_case("true") || s.parse::<i64>().is_ok_and(|n| n != 0)
            }
            _ => false,
        }
    }

    /// Converts an attribute given as JSON (`mapping eval --attrs`): a string, number,
    /// boolean, null or array of strings.
    pub fn from_json(v: &serde_json::Value) -> Result<Value, JsonValueError> {
        use serde_json::Value as J;
        Ok(match v {
            J::Null => Value::Null,
            J::String(s) => Value::Str(s.clone()),
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Number(i),
                None => Value::Str(n.to_string()),
            },
            J::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        J::String(s) => out.push(s.clone()),
                        J::Number(n) => out.push(n.to_string()),
                        J::Bool(b) => out.push(bool_text(*b).into()),
                        other => return Err(JsonValueError::ArrayItem(other.to_string())),
                    }
                }
                Value::multi(out)
            }
            J::Object(_) => return Err(JsonValueError::Object),
        })
    }
}

pub fn bool_text(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn renders_as_mapping_eval_prints() {
        let date = Utc.with_ymd_and_hms(2020, 3, 16, 7, 0, 0).unwrap();
        let pm = Utc.with_ymd_and_hms(2021, 6, 29, 16, 0, 5).unwrap();
        let midnight = Utc.with_ymd_and_hms(2021, 1, 2, 0, 3, 0).unwrap();
        let cases = [
            (Value::Str("a b".into()), "a b"),
            (Value::Str(String::new()), ""),
            (Value::Number(-42), "-42"),
            (Value::Bool(true), "True"),
            (Value::Bool(false), "False"),
            (Value::Date(date), "3/16/2020 7:00:00 AM"),
            (Value::Date(pm), "6/29/2021 4:00:05 PM"),
            (Value::Date(midnight), "1/2/2021 12:03:00 AM"),
            (Value::Multi(vec!["a".into(), "\"b\"".into()]), r#"["a","\"b\""]"#),
            (Value::Null, "null"),
        ];
        for (v, want) in cases {
            assert_eq!(v.render(), want, "{v:?}");
        }
    }

    #[test]
    fn json_attributes() {
        let j: serde_json::Value = serde_json::json!({"a": ["x", "y"], "e": [], "n": 3, "f": 1.5, "o": {}});
        assert_eq!(
            Value::from_json(&j["a"]),
            Ok(Value::Multi(vec!["x".into(), "y".into()]))
        );
        assert_eq!(Value::from_json(&j["e"]), Ok(Value::Null));
        assert_eq!(Value::from_json(&j["n"]), Ok(Value::Number(3)));
        assert_eq!(Value::from_json(&j["f"]), Ok(Value::Str("1.5".into())));
        assert!(Value::from_json(&j["o"]).is_err());
    }
}
