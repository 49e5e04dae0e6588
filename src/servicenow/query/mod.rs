//! The typed encoded-query builder (`sysparm_query`, spec §1.4).
//!
//! A [`Query`] is a list of conditions joined by `^` (AND), `^OR` (OR, binds to the condition
//! just before it) and `^NQ` (new query: a top-level OR of AND-groups), followed by `ORDERBY` /
//! `ORDERBYDESC` terms. It is turned into text only by [`Query::encode`], which rejects anything
//! that would change the query's meaning; percent-encoding happens when the URL is built.
//!
//! The value rule (no escape for a literal `^` is documented, spec §12):
//! - a value must not contain `^` (it would start a new term), nor any control character
//!   (newline, tab, NUL, DEL, C1 controls, U+2028/U+2029), which no ServiceNow value needs and
//!   which proxies and logs mangle;
//! - a value must not start with `javascript:` (the instance would run it as a script);
//! - an item of an `IN` / `NOT IN` list must not contain `,` nor be empty, and the list must not be
//!   empty; a `BETWEEN` bound must not contain `@`;
//! - the comparison operators need a non-empty value: use `is_empty` / `empty_string` instead of
//!   `field=` (whose meaning the documentation does not state).
//!
//! Field names are `segment(.segment)*` with segments of ASCII letters, digits and `_` (dot-walks
//! allowed). Because the instance silently drops conditions on unknown fields (widening the
//! match), [`Query::validate`] checks names against a [`TableSchema`] before any write-driving
//! query.

mod cond;

pub use cond::{Cond, Op};

/// The bytes `text` takes in a URL's query string, percent-encoded as the client sends it
/// (`application/x-www-form-urlencoded`: a space as `+`, `^` `,` `=` `@` and every byte of a
/// multi-byte character as `%XX`).
pub fn encoded_len(text: &str) -> usize {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .map(str::len)
        .sum()
}

use super::schema::TableSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Join {
    And,
    Or,
    NewQuery,
}

/// An encoded query under construction. Empty means "all rows".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    conds: Vec<(Join, Cond)>,
    order: Vec<(String, bool)>,
}

/// A query that must not be sent: its text would not mean what the caller asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("field name '{0}' is not valid: use letters, digits and '_', with '.' for dot-walking")]
    BadField(String),
    #[error("value {value:?} for field '{field}' {why}; it would change the query's meaning, so it is not sent")]
    BadValue {
        field: String,
        value: String,
        why: &'static str,
    },
    #[error("table name '{0}' is not valid: use letters, digits and '_'")]
    BadTable(String),
    #[error("the query starts with OR / new-query: begin it with an AND condition")]
    LeadingOr,
    #[error(
        "field '{field}' is not a column of table '{table}' (nor of the tables it extends): the instance would silently drop the condition and match more rows; fix the field name"
    )]
    UnknownField { table: String, field: String },
}

impl Query {
    pub fn new() -> Self {
        Self::default()
    }

    /// `^cond`: AND with what comes before.
    pub fn and(mut self, cond: Cond) -> Self {
        self.conds.push((Join::And, cond));
        self
    }

    /// `^ORcond`: OR with the condition just before (only that one: `a^b^ORc` = `a AND (b OR c)`).
    pub fn or(mut self, cond: Cond) -> Self {
        self.conds.push((Join::Or, cond));
        self
    }

    /// `^NQcond`: starts a new AND-group, OR-ed with the groups before.
    pub fn new_query(mut self, cond: Cond) -> Self {
        self.conds.push((Join::NewQuery, cond));
        self
    }

    /// `ORDERBYfield`; several order terms apply in the order given.
    pub fn order_by(mut self, field: impl Into<String>) -> Self {
        self.order.push((field.into(), false));
        self
    }

    /// `ORDERBYDESCfield`.
    pub fn order_by_desc(mut self, field: impl Into<String>) -> Self {
        self.order.push((field.into(), true));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.conds.is_empty() && self.order.is_empty()
    }

    /// `cond` AND-ed onto every new-query group (`A^NQB` + c = `A^c^NQB^c`), so it narrows the
    /// whole query whatever its shape.
    pub fn and_each_group(mut self, cond: Cond) -> Self {
        let mut out = Vec::with_capacity(self.conds.len() + 2);
        for (join, c) in self.conds.drain(..) {
            if join == Join::NewQuery {
                out.push((Join::And, cond.clone()));
            }
            out.push((join, c));
        }
        out.push((Join::And, cond));
        self.conds = out;
        self
    }

    /// The same conditions, ordered by `field` only.
    pub fn only_ordered_by(mut self, field: impl Into<String>) -> Self {
        self.order = vec![(field.into(), false)];
        self
    }

    /// Whether an order term on `field` is present.
    pub fn orders_by(&self, field: &str) -> bool {
        self.order.iter().any(|(f, _)| f == field)
    }

    /// The `sysparm_query` text, unencoded (the URL builder percent-encodes it).
    pub fn encode(&self) -> Result<String, QueryError> {
        let mut out = String::new();
        for (i, (join, cond)) in self.conds.iter().enumerate() {
            match (i, join) {
                (0, Join::And) => {}
                (0, _) => return Err(QueryError::LeadingOr),
                (_, Join::And) => out.push('^'),
                (_, Join::Or) => out.push_str("^OR"),
                (_, Join::NewQuery) => out.push_str("^NQ"),
            }
            cond.encode(&mut out)?;
        }
        for (field, desc) in &self.order {
            check_field(field)?;
            if !out.is_empty() {
                out.push('^');
            }
            out.push_str(if *desc { "ORDERBYDESC" } else { "ORDERBY" });
            out.push_str(field);
        }
        Ok(out)
    }

    /// Every field this query names, conditions and order terms.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        let conds = self.conds.iter().flat_map(|(_, c)| c.fields());
        conds.chain(self.order.iter().map(|(f, _)| f.as_str()))
    }

    /// Checks every field against the table's schema. For a dot-walk (`user.user_name`) the first
    /// segment must be a reference column of this table; the rest is checked by the instance.
    pub fn validate(&self, schema: &TableSchema) -> Result<(), QueryError> {
        for field in self.fields() {
            check_field(field)?;
            let (head, walked) = match field.split_once('.') {
                Some((head, _)) => (head, true),
                None => (field, false),
            };
            let known = match schema.field(head) {
                Some(def) => !walked || def.reference.is_some() || def.internal_type == "reference",
                None => false,
            };
            if !known {
                return Err(QueryError::UnknownField {
                    table: schema.table.clone(),
                    field: field.to_owned(),
                });
            }
        }
        Ok(())
    }
}

pub(crate) fn check_field(field: &str) -> Result<(), QueryError> {
    let ok = !field.is_empty()
        && field
            .split('.')
            .all(|seg| !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    if ok {
        Ok(())
    } else {
        Err(QueryError::BadField(field.to_owned()))
    }
}

/// A table name: ASCII letters, digits and `_` (it becomes a URL path segment).
pub(crate) fn check_table(table: &str) -> Result<(), QueryError> {
    let ok = !table.is_empty() && table.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(QueryError::BadTable(table.to_owned()))
    }
}

fn check_value(field: &str, value: &str) -> Result<(), QueryError> {
    let bad = |why| {
        Err(QueryError::BadValue {
            field: field.to_owned(),
            value: value.to_owned(),
            why,
        })
    };
    if value.contains('^') {
        return bad("contains '^' (the encoded-query separator; no escape exists)");
    }
    if value
        .chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    {
        return bad("contains a control character (newline, tab, ...)");
    }
    if value
        .trim_start()
        .get(..11)
        .is_some_and(|p| p.eq_ignore_ascii_case("javascript:"))
    {
        return bad("starts with 'javascript:' (the instance would run it as a script)");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
