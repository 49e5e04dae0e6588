//! Table schema from `sys_dictionary` (spec §6): field names, internal types, max lengths,
//! references; cached per client.
//!
//! Inherited fields live on the parent table's dictionary rows, so discovery walks
//! `sys_db_object.super_class` up to the root (as SNDML does) and merges: a child's definition
//! wins over its parent's. The row with an empty `element` is the table's own entry and is
//! skipped (`elementISNOTEMPTY`).
//!
//! The platform fields every table has (`sys_id`, `sys_created_on`, ... spec §5 General) are
//! always known, even when an instance keeps their dictionary rows elsewhere.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use super::client::Client;
use super::error::Error;
use super::list::ListParams;
use super::query::{Cond, Query};
use super::record::Record;
use crate::model::SysId;

/// Fields every table has (spec §5 General).
const PLATFORM_FIELDS: [(&str, &str, u32); 6] = [
    ("sys_id", "GUID", 32),
    ("sys_created_on", "glide_date_time", 40),
    ("sys_created_by", "string", 40),
    ("sys_updated_on", "glide_date_time", 40),
    ("sys_updated_by", "string", 40),
    ("sys_mod_count", "integer", 40),
];

/// How deep `super_class` may go before we call it a loop.
const MAX_DEPTH: usize = 16;

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    pub name: String,
    /// `string`, `reference`, `boolean`, `GUID`, `glide_date_time`, `email`, ...
    pub internal_type: String,
    /// `max_length`; `None` when the dictionary has none.
    pub max_length: Option<u32>,
    /// The referenced table, for reference fields.
    pub reference: Option<String>,
    pub mandatory: bool,
    pub read_only: bool,
    /// The table whose dictionary row defines the field (the table itself or an ancestor).
    pub defined_on: String,
}

/// The columns of a table, its own and inherited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    pub table: String,
    /// The tables it extends, nearest first.
    pub parents: Vec<String>,
    pub fields: BTreeMap<String, FieldDef>,
}

impl TableSchema {
    /// A schema from known definitions (tests, fixtures); platform fields are added.
    pub fn new(table: impl Into<String>, fields: impl IntoIterator<Item = FieldDef>) -> Self {
        let table = table.into();
        let mut map: BTreeMap<String, FieldDef> = fields.into_iter().map(|f| (f.name.clone(), f)).collect();
        for (name, ty, len) in PLATFORM_FIELDS {
            map.entry(name.to_owned()).or_insert_with(|| FieldDef {
                name: name.to_owned(),
                internal_type: ty.to_owned(),
                max_length: Some(len),
                reference: None,
                mandatory: false,
                read_only: true,
                defined_on: table.clone(),
            });
        }
        TableSchema {
            table,
            parents: Vec::new(),
            fields: map,
        }
    }

    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.get(name)
    }
}

impl FieldDef {
    fn from_row(row: &Record, table: &str) -> Option<FieldDef> {
        let name = row.value("element").filter(|e| !e.is_empty())?;
        let flag = |f: &str| row.bool(f).unwrap_or(false);
        Some(FieldDef {
            name,
            internal_type: row.value("internal_type").unwrap_or_default(),
            max_length: row
                .value("max_length")
                .and_then(|v| v.trim().parse().ok())
                .filter(|n| *n > 0),
            reference: row.value("reference").filter(|r| !r.is_empty()),
            mandatory: flag("mandatory"),
            read_only: flag("read_only"),
            defined_on: table.to_owned(),
        })
    }
}

impl Client {
    /// The schema of `table`, from the cache or read from `sys_dictionary`.
    /// [`Error::NoSchema`] when no dictionary row is readable (no such table, or no access).
    pub async fn schema(&self, table: &str) -> Result<Arc<TableSchema>, Error> {
        if let Some(s) = self.cached_schema(table) {
            return Ok(s);
        }
        let mut defs: Vec<FieldDef> = Vec::new();
        let mut parents = Vec::new();
        let mut seen = HashSet::new();
        let mut current = Some(table.to_owned());
        while let Some(name) = current.take() {
            if !seen.insert(name.clone()) || seen.len() > MAX_DEPTH {
                break;
            }
            let own = self.dictionary_rows(&name).await?;
            if own.is_empty() && name == table {
                return Err(Error::NoSchema {
                    ctx: self.ctx("GET", Some(table)),
                });
            }
            // Walking from the child up: a name already defined below overrides the parent's.
            for def in own.iter().filter_map(|r| FieldDef::from_row(r, &name)) {
                if !defs.iter().any(|e| e.name == def.name) {
                    defs.push(def);
                }
            }
            current = self.super_class(&name).await?;
            if let Some(p) = &current {
                parents.push(p.clone());
            }
        }
        let mut schema = TableSchema::new(table, defs);
        schema.parents = parents;
        let schema = Arc::new(schema);
        if let Ok(mut cache) = self.inner.schemas.lock() {
            cache.insert(table.to_owned(), schema.clone());
        }
        Ok(schema)
    }

    /// Checks the fields `query` names against `table`'s schema (read once, then cached). Use
    /// it before any query whose result drives writes: the instance silently drops conditions
    /// on unknown fields and would match more rows (spec §1.4).
    pub async fn validate_query(&self, table: &str, query: &Query) -> Result<Arc<TableSchema>, Error> {
        let schema = self.schema(table).await?;
        query.validate(&schema).map_err(|e| self.query_error("GET", table, e))?;
        Ok(schema)
    }

    fn cached_schema(&self, table: &str) -> Option<Arc<TableSchema>> {
        self.inner.schemas.lock().ok()?.get(table).cloned()
    }

    async fn dictionary_rows(&self, table: &str) -> Result<Vec<Record>, Error> {
        let query = Query::new()
            .and(Cond::eq("name", table))
            .and(Cond::eq("active", "true"))
            .and(Cond::is_not_empty("element"));
        let fields = [
            "element",
            "internal_type",
            "max_length",
            "reference",
            "mandatory",
            "read_only",
        ];
        let mut rows = Vec::new();
        let params = ListParams::new(query).fields(&fields).limit(2000);
        self.read_all("sys_dictionary", &params, |page| rows.extend(page))
            .await?;
        Ok(rows)
    }

    /// The parent table's name, via `sys_db_object.super_class` (a reference to another
    /// `sys_db_object` row).
    async fn super_class(&self, table: &str) -> Result<Option<String>, Error> {
        let params = ListParams::new(Query::new().and(Cond::eq("name", table)))
            .fields(&["name", "super_class"])
            .limit(1);
        let page = self.list("sys_db_object", &params).await?;
        let Some(parent_id) = page
            .records
            .first()
            .and_then(|r| r.value("super_class"))
            .filter(|v| !v.is_empty())
        else {
            return Ok(None);
        };
        let Ok(id) = SysId::parse(&parent_id) else {
            return Ok(None);
        };
        let parent = self.get("sys_db_object", &id, &["name"]).await?;
        Ok(parent.value("name").filter(|n| !n.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_dictionary_rows_and_adds_platform_fields() {
        let row: Record = serde_json::from_value(json!({
            "element": "department", "internal_type": "reference", "max_length": "32",
            "reference": "cmn_department", "mandatory": "false", "read_only": "false"
        }))
        .unwrap();
        let d = FieldDef::from_row(&row, "sys_user").unwrap();
        assert_eq!(d.reference.as_deref(), Some("cmn_department"));
        assert_eq!(d.max_length, Some(32));
        let collection: Record = serde_json::from_value(json!({"element": "", "internal_type": "collection"})).unwrap();
        assert!(FieldDef::from_row(&collection, "sys_user").is_none());
        let s = TableSchema::new("sys_user", [d]);
        assert!(s.field("sys_id").is_some());
        assert!(s.field("department").is_some());
        assert!(s.field("nope").is_none());
    }
}
