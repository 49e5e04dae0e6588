//! Rendering records as Table API JSON (spec §1.5) and the `Link` paging header (§1.6).
//!
//! References take six shapes by `sysparm_display_value` × `sysparm_exclude_reference_link`;
//! an empty reference is always `""` except with `all`, where it is
//! `{"display_value":"","value":""}`. With `all` every field is a `{display_value, value}` pair.
//! Links point at the host the request named, with the request's API version in the path.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};

use super::eval;
use super::schema::Kind;
use super::store::{Row, Store, Table};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisplayValue {
    False,
    True,
    All,
}

impl DisplayValue {
    /// `sysparm_display_value`: `true`/`all` case-insensitive, anything else the raw value.
    pub fn parse(v: Option<&str>) -> DisplayValue {
        match v.map(str::to_ascii_lowercase).as_deref() {
            Some("true") => DisplayValue::True,
            Some("all") => DisplayValue::All,
            _ => DisplayValue::False,
        }
    }
}

pub struct Opts {
    pub display: DisplayValue,
    pub exclude_link: bool,
    /// `http://host/api/now/` or `http://host/api/now/v2/`: the prefix of reference links.
    pub link_base: String,
}

/// One field's wire value.
pub fn value(store: &Store, kind: Kind, reference: Option<&str>, raw: &str, opts: &Opts) -> Value {
    let Some(target) = reference.filter(|_| kind == Kind::Reference) else {
        return match opts.display {
            DisplayValue::All => json!({"display_value": raw, "value": raw}),
            _ => Value::String(raw.to_owned()),
        };
    };
    if raw.is_empty() {
        return match opts.display {
            DisplayValue::All => json!({"display_value": "", "value": ""}),
            _ => Value::String(String::new()),
        };
    }
    let link = format!("{}table/{}/{}", opts.link_base, target, raw);
    let display = || store.ref_display(target, raw);
    match (opts.display, opts.exclude_link) {
        (DisplayValue::False, false) => json!({"link": link, "value": raw}),
        (DisplayValue::False, true) => Value::String(raw.to_owned()),
        (DisplayValue::True, false) => json!({"display_value": display(), "link": link}),
        (DisplayValue::True, true) => Value::String(display()),
        (DisplayValue::All, false) => json!({"display_value": display(), "link": link, "value": raw}),
        (DisplayValue::All, true) => json!({"display_value": display(), "value": raw}),
    }
}

/// A record with the selected fields (all when `fields` is `None`); unknown names are skipped,
/// dot-walked names come back as flat `"a.b"` keys.
pub fn record(store: &Store, table: &Table, row: &Row, fields: Option<&[String]>, opts: &Opts) -> Value {
    let mut out = Map::new();
    match fields {
        None => {
            for (i, f) in table.def.fields.iter().enumerate() {
                out.insert(f.name.to_owned(), value(store, f.kind, f.reference, &row[i], opts));
            }
        }
        Some(names) => {
            for name in names {
                if let Some(path) = eval::resolve(store, table.def.name, name) {
                    let raw = path.value(store, row);
                    out.insert(name.clone(), value(store, path.kind, path.reference, raw, opts));
                }
            }
        }
    }
    Value::Object(out)
}

/// Splits `sysparm_fields` on commas; empty means all fields.
pub fn parse_fields(v: Option<&str>) -> Option<Vec<String>> {
    let v = v?.trim();
    if v.is_empty() {
        return None;
    }
    Some(
        v.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

/// Query-value encoding for links: commas stay raw, as in recorded instance headers.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b',');

fn url_with(base: &str, params: &[(String, String)], offset: usize, limit: usize) -> String {
    let mut parts: Vec<String> = params
        .iter()
        .filter(|(k, _)| k != "sysparm_offset" && k != "sysparm_limit")
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY_VALUE),
                utf8_percent_encode(v, QUERY_VALUE)
            )
        })
        .collect();
    parts.push(format!("sysparm_offset={offset}"));
    parts.push(format!("sysparm_limit={limit}"));
    format!("{base}?{}", parts.join("&"))
}

/// The `Link` header for a page, or `None` when everything fits on one page. `last` is the
/// page-aligned offset of the final page. Without a count (`sysparm_no_count=true`) the total
/// is unknown: `next` is offered after a full page and `last` is left out [unverified: what an
/// instance sends then].
pub fn link_header(
    base: &str,
    params: &[(String, String)],
    offset: usize,
    limit: usize,
    total: Option<usize>,
    page_len: usize,
) -> Option<String> {
    let more = match total {
        Some(total) => offset + limit < total,
        None => page_len >= limit,
    };
    if limit == 0 || (offset == 0 && !more) {
        return None;
    }
    let mut links = vec![format!("<{}>;rel=\"first\"", url_with(base, params, 0, limit))];
    if offset > 0 {
        let prev = offset.saturating_sub(limit);
        links.push(format!("<{}>;rel=\"prev\"", url_with(base, params, prev, limit)));
    }
    if more {
        links.push(format!(
            "<{}>;rel=\"next\"",
            url_with(base, params, offset + limit, limit)
        ));
    }
    if let Some(total) = total {
        let last = if total == 0 { 0 } else { (total - 1) / limit * limit };
        links.push(format!("<{}>;rel=\"last\"", url_with(base, params, last, limit)));
    }
    Some(links.join(","))
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
