//! One condition of an encoded query: a field, an operator and its operand, each value checked
//! by the value rule of [`super`] when the query is encoded.

use super::{QueryError, check_field, check_value};

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

    /// `fieldINa,b,...` split into several conditions, each at most `max_bytes` long as it
    /// travels in the URL (percent-encoded, [`super::encoded_len`]): an instance answers an
    /// over-long URL with an HTML 400 (spec §1.7), so run one query per chunk. Measured encoded,
    /// not as text: a multi-byte character takes up to 12 bytes on the wire, `^`, `,`, `=`
    /// three (review R8). Each chunk is filled as far as `max_bytes` allows; an item too long
    /// for any chunk gets one of its own.
    pub fn in_chunks<I: IntoIterator<Item = S>, S: Into<String>>(field: &str, items: I, max_bytes: usize) -> Vec<Cond> {
        // `fieldIN`, then each item and the encoded comma (`%2C`) before all but the first.
        let head = super::encoded_len(field) + 2;
        let mut chunks: Vec<Vec<String>> = Vec::new();
        let mut len = 0;
        for item in items.into_iter().map(Into::into) {
            let size = super::encoded_len(&item);
            match chunks.last_mut() {
                Some(chunk) if len + 3 + size <= max_bytes => {
                    len += 3 + size;
                    chunk.push(item);
                }
                _ => {
                    len = head + size;
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

    pub(super) fn fields(&self) -> impl Iterator<Item = &str> {
        let other = match &self.operand {
            Operand::Field(f) => Some(f.as_str()),
            _ => None,
        };
        std::iter::once(self.field.as_str()).chain(other)
    }

    pub(super) fn encode(&self, out: &mut String) -> Result<(), QueryError> {
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
