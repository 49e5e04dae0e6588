//! The domain's enums at the SQL boundary: the one place an object type or a cycle kind becomes
//! the word a column holds, and a column's word becomes the enum again. A word this version
//! does not know reads as a conversion failure naming it (the schema version is checked at
//! open, so only a hand-edited database holds one); the lists that must outlive such a row
//! read it with [`known`] and leave it out.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::model::{CycleKind, ObjectType};

impl ToSql for ObjectType {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for ObjectType {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_str()?.parse().map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

impl ToSql for CycleKind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for CycleKind {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_str()?.parse().map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// A column's object type, or `None` for a word this version does not know (the row is left
/// out by lists whose callers retry or skip what they cannot read).
pub(super) fn known(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Option<ObjectType>> {
    Ok(row.get_ref(index)?.as_str()?.parse().ok())
}
