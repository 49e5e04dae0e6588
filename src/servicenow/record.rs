//! A Table API record and its field values, as they come off the wire (spec §1.5).
//!
//! Every scalar is a JSON string. A reference field comes in one of three encodings, depending on
//! `sysparm_display_value` / `sysparm_exclude_reference_link`:
//! plain `"<sys_id>"` (or a display value), `{"link","value"}`, and `{"display_value","value"[,"link"]}`
//! (with `display_value=true` and links: `{"display_value","link"}`, the sys_id only in the link).
//! An empty reference is `""`, or `{"display_value":"","value":""}` with `display_value=all`.
//! [`Record::value`] reads all of them as the raw value; [`Record::reference`] gives every part.

use serde_json::{Map, Value};

/// One row of a table: field name to wire value. Field order is not meaningful.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Record(pub Map<String, Value>);

/// The parts of a field value: a raw value (sys_id for references), a display value, a link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldValue {
    /// The raw value: the sys_id of a reference, `"true"` of a boolean. `None` when only a display
    /// value was sent and no link carries the sys_id.
    pub value: Option<String>,
    pub display_value: Option<String>,
    pub link: Option<String>,
}

impl FieldValue {
    /// Decodes one wire value. `None` for JSON that is none of the documented encodings.
    pub fn decode(v: &Value) -> Option<FieldValue> {
        match v {
            Value::String(s) => Some(FieldValue {
                value: Some(s.clone()),
                ..FieldValue::default()
            }),
            // Not sent by an instance in default mode, but harmless to read.
            Value::Bool(b) => Some(FieldValue {
                value: Some(b.to_string()),
                ..FieldValue::default()
            }),
            Value::Number(n) => Some(FieldValue {
                value: Some(n.to_string()),
                ..FieldValue::default()
            }),
            Value::Null => Some(FieldValue::default()),
            Value::Object(o) => {
                let text = |k: &str| match o.get(k) {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Bool(b)) => Some(b.to_string()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                };
                let link = text("link");
                let display_value = text("display_value");
                let value = text("value").or_else(|| link.as_deref().and_then(link_sys_id));
                if value.is_none() && display_value.is_none() && link.is_none() {
                    return None;
                }
                Some(FieldValue {
                    value,
                    display_value,
                    link,
                })
            }
            Value::Array(_) => None,
        }
    }
}

/// The last path segment of a reference link, when it looks like a sys_id
/// (`https://x.service-now.com/api/now/table/sys_user/<sys_id>`).
fn link_sys_id(link: &str) -> Option<String> {
    let path = link.split(['?', '#']).next().unwrap_or(link);
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    (last.len() == 32 && last.bytes().all(|b| b.is_ascii_hexdigit())).then(|| last.to_ascii_lowercase())
}

impl Record {
    /// The raw value of a field whatever its encoding; `None` when absent. An empty reference is
    /// `Some("")`.
    pub fn value(&self, field: &str) -> Option<String> {
        FieldValue::decode(self.0.get(field)?).map(|f| f.value.unwrap_or_default())
    }

    /// Every part of a field (reference or not).
    pub fn reference(&self, field: &str) -> Option<FieldValue> {
        FieldValue::decode(self.0.get(field)?)
    }

    /// The display value when one was sent, else the raw value.
    pub fn display(&self, field: &str) -> Option<String> {
        let f = FieldValue::decode(self.0.get(field)?)?;
        f.display_value.or(f.value)
    }

    /// A boolean field: `"true"`/`"false"` (any case) and `"1"`/`"0"`; `None` if absent or else.
    pub fn bool(&self, field: &str) -> Option<bool> {
        let v = self.value(field)?;
        match v.to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        }
    }

    /// The record's sys_id, when present and well formed.
    pub fn sys_id(&self) -> Option<crate::model::SysId> {
        crate::model::SysId::parse(&self.value("sys_id")?).ok()
    }

    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }
}

impl From<Map<String, Value>> for Record {
    fn from(m: Map<String, Value>) -> Self {
        Record(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "5137153cc611227c000bbd1bd8cd2005";

    #[test]
    fn decodes_every_reference_encoding() {
        let link = format!("https://dev1.service-now.com/api/now/table/sys_user/{ID}");
        let rec: Record = serde_json::from_value(json!({
            "plain": ID,
            "linked": {"link": link, "value": ID},
            "all": {"display_value": "Fred Luddy", "value": ID, "link": link},
            "all_nolink": {"display_value": "Fred Luddy", "value": ID},
            "display_link": {"display_value": "Fred Luddy", "link": link},
            "display_plain": "Fred Luddy",
            "empty": "",
            "empty_all": {"display_value": "", "value": ""},
            "bool_true": "TRUE",
            "bool_zero": "0",
            "weird": [1],
        }))
        .unwrap();
        for f in ["plain", "linked", "all", "all_nolink", "display_link"] {
            assert_eq!(rec.value(f).as_deref(), Some(ID), "{f}");
        }
        assert_eq!(rec.display("all").as_deref(), Some("Fred Luddy"));
        assert_eq!(rec.display("linked").as_deref(), Some(ID));
        assert_eq!(rec.reference("linked").unwrap().link.as_deref(), Some(link.as_str()));
        assert_eq!(rec.value("display_plain").as_deref(), Some("Fred Luddy"));
        assert_eq!(rec.value("empty").as_deref(), Some(""));
        assert_eq!(rec.value("empty_all").as_deref(), Some(""));
        assert_eq!(rec.display("empty_all").as_deref(), Some(""));
        assert_eq!(rec.value("missing"), None);
        assert_eq!(rec.value("weird"), None);
        assert_eq!(rec.bool("bool_true"), Some(true));
        assert_eq!(rec.bool("bool_zero"), Some(false));
        assert_eq!(rec.bool("display_plain"), None);
    }

    #[test]
    fn display_only_without_sys_id_in_link_has_no_value() {
        let v = FieldValue::decode(&json!({"display_value": "Sales", "link": "https://x/api/now/table/t/global"}));
        let v = v.unwrap();
        assert_eq!(v.value, None);
        assert_eq!(v.display_value.as_deref(), Some("Sales"));
    }

    #[test]
    fn sys_id_parses() {
        let rec: Record = serde_json::from_value(json!({"sys_id": ID})).unwrap();
        assert_eq!(rec.sys_id().unwrap().as_str(), ID);
    }
}
