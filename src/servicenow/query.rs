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

use super::schema::TableSchema;

/// An encoded-query operator (spec §1.4, the ones a provisioning client needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Like,
    NotLike,
    StartsWith,
    EndsWith,
    In,
    NotIn,
    IsEmpty,
    IsNotEmpty,
    EmptyString,
    Anything,
    Lt,
    Le,
    Gt,
    Ge,
    Between,
    SameAs,
    NotSameAs,
}

impl Op {
    /// The operator's text in the encoded query.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Like => "LIKE",
            Op::NotLike => "NOT LIKE",
            Op::StartsWith => "STARTSWITH",
            Op::EndsWith => "ENDSWITH",
            Op::In => "IN",
            Op::NotIn => "NOT IN",
            Op::IsEmpty => "ISEMPTY",
            Op::IsNotEmpty => "ISNOTEMPTY",
            Op::EmptyString => "EMPTYSTRING",
            Op::Anything => "ANYTHING",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Between => "BETWEEN",
            Op::SameAs => "SAMEAS",
            Op::NotSameAs => "NSAMEAS",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Operand {
    None,
    One(String),
    List(Vec<String>),
    Range(String, String),
    Field(String),
}

/// One condition: `<field><operator><value>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cond {
    field: String,
    op: Op,
    operand: Operand,
}

macro_rules! one {
    ($($(#[$m:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$m])*
        pub fn $name(field: impl Into<String>, value: impl Into<String>) -> Self {
            Self { field: field.into(), op: Op::$op, operand: Operand::One(value.into()) }
        }
    )*};
}

macro_rules! none {
    ($($(#[$m:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$m])*
        pub fn $name(field: impl Into<String>) -> Self {
            Self { field: field.into(), op: Op::$op, operand: Operand::None }
        }
    )*};
}

impl Cond {
    one! {
        /// `field=value` (on a reference field, compares the sys_id).
        eq => Eq,
        ne => Ne,
        /// `fieldLIKEvalue`: contains.
        like => Like,
        not_like => NotLike,
        starts_with => StartsWith,
        ends_with => EndsWith,
        lt => Lt,
        le => Le,
        gt => Gt,
        ge => Ge,
    }
    none! {
        is_empty => IsEmpty,
        is_not_empty => IsNotEmpty,
        empty_string => EmptyString,
        anything => Anything,
    }

    /// `fieldINa,b,c`.
    pub fn is_in<I: IntoIterator<Item = S>, S: Into<String>>(field: impl Into<String>, items: I) -> Self {
        let items = items.into_iter().map(Into::into).collect();
        Self {
            field: field.into(),
            op: Op::In,
            operand: Operand::List(items),
        }
    }

    pub fn not_in<I: IntoIterator<Item = S>, S: Into<String>>(field: impl Into<String>, items: I) -> Self {
        let items = items.into_iter().map(Into::into).collect();
        Self {
            field: field.into(),
            op: Op::NotIn,
            operand: Operand::List(items),
        }
    }

    /// `fieldINa,b,...` split into several conditions whose item lists stay under `max_chars`
    /// each (raw text; percent-encoding may triple it): an instance answers an over-long URL with
    /// an HTML 400 (spec §1.7), so run one query per chunk. An item longer than `max_chars` gets
    /// a chunk of its own.
    pub fn in_chunks<I: IntoIterator<Item = S>, S: Into<String>>(field: &str, items: I, max_chars: usize) -> Vec<Cond> {
        let mut chunks: Vec<Vec<String>> = Vec::new();
        let mut len = 0;
        for item in items.into_iter().map(Into::into) {
            match chunks.last_mut() {
                Some(chunk) if len + 1 + item.len() <= max_chars => {
                    len += 1 + item.len();
                    chunk.push(item);
                }
                _ => {
                    len = item.len();
                    chunks.push(vec![item]);
                }
            }
        }
        chunks.into_iter().map(|c| Cond::is_in(field, c)).collect()
    }

    /// `fieldBETWEENlow@high`.
    pub fn between(field: impl Into<String>, low: impl Into<String>, high: impl Into<String>) -> Self {
        let operand = Operand::Range(low.into(), high.into());
        Self {
            field: field.into(),
            op: Op::Between,
            operand,
        }
    }

    /// `fieldSAMEASother`: compares two fields of the same record.
    pub fn same_as(field: impl Into<String>, other: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            op: Op::SameAs,
            operand: Operand::Field(other.into()),
        }
    }

    pub fn not_same_as(field: impl Into<String>, other: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            op: Op::NotSameAs,
            operand: Operand::Field(other.into()),
        }
    }

    fn fields(&self) -> impl Iterator<Item = &str> {
        let other = match &self.operand {
            Operand::Field(f) => Some(f.as_str()),
            _ => None,
        };
        std::iter::once(self.field.as_str()).chain(other)
    }

    fn encode(&self, out: &mut String) -> Result<(), QueryError> {
        check_field(&self.field)?;
        out.push_str(&self.field);
        out.push_str(self.op.as_str());
        match &self.operand {
            Operand::None => {}
            Operand::One(v) => {
                check_value(&self.field, v)?;
                if v.is_empty() {
                    return Err(self.bad(v, "is empty: use is_empty() or empty_string() to match no value"));
                }
                out.push_str(v);
            }
            Operand::List(items) => {
                if items.is_empty() {
                    return Err(self.bad("", "is an empty IN list"));
                }
                for (i, item) in items.iter().enumerate() {
                    check_value(&self.field, item)?;
                    if item.is_empty() || item.contains(',') {
                        return Err(self.bad(item, "is empty or contains ',' (the IN list separator)"));
                    }
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(item);
                }
            }
            Operand::Range(low, high) => {
                for bound in [low, high] {
                    check_value(&self.field, bound)?;
                    if bound.is_empty() || bound.contains('@') {
                        return Err(self.bad(bound, "is empty or contains '@' (the BETWEEN separator)"));
                    }
                }
                out.push_str(low);
                out.push('@');
                out.push_str(high);
            }
            Operand::Field(other) => {
                check_field(other)?;
                out.push_str(other);
            }
        }
        Ok(())
    }

    fn bad(&self, value: &str, why: &'static str) -> QueryError {
        QueryError::BadValue {
            field: self.field.clone(),
            value: value.to_owned(),
            why,
        }
    }
}

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
#[path = "query_tests.rs"]
mod tests;
