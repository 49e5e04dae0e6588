//! In-memory tables: rows ordered by sys_id, plus ordered indexes on the fields clients look
//! rows up by (lower-cased value → sys_ids), so `user_name=x`, `user_nameINa,b` and
//! `user_nameSTARTSWITHa` are lookups, and `ORDERBYsys_id` / `sys_id>X` paging walks the
//! ordered map.
//!
//! A row is a `Vec<String>` aligned with its table's `TableDef::fields`; every value is stored
//! the way it goes on the wire (booleans `"true"`/`"false"`, UTC `YYYY-MM-DD HH:MM:SS`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use super::extended::{self, View};
use super::schema::{self, TableDef};

pub type Row = Vec<String>;

pub struct Table {
    pub def: Arc<TableDef>,
    pub rows: BTreeMap<String, Row>,
    index: HashMap<usize, BTreeMap<String, BTreeSet<String>>>,
}

impl Table {
    fn new(def: TableDef) -> Table {
        let index = def
            .indexed
            .iter()
            .filter_map(|f| def.pos(f))
            .map(|p| (p, BTreeMap::new()))
            .collect();
        Table {
            def: Arc::new(def),
            rows: BTreeMap::new(),
            index,
        }
    }

    pub fn is_indexed(&self, pos: usize) -> bool {
        self.index.contains_key(&pos)
    }

    /// sys_ids whose indexed field `pos` equals `value` case-insensitively; `None` when the
    /// field has no index.
    pub fn lookup(&self, pos: usize, value: &str) -> Option<Vec<&str>> {
        let idx = self.index.get(&pos)?;
        Some(
            idx.get(&value.to_lowercase())
                .map(|s| s.iter().map(String::as_str).collect())
                .unwrap_or_default(),
        )
    }

    /// sys_ids whose indexed field `pos` starts with `prefix` case-insensitively; `None` when
    /// the field has no index.
    pub fn prefix(&self, pos: usize, prefix: &str) -> Option<Vec<&str>> {
        let idx = self.index.get(&pos)?;
        let start = prefix.to_lowercase();
        Some(
            idx.range::<str, _>((Bound::Included(start.as_str()), Bound::Unbounded))
                .take_while(|(k, _)| k.starts_with(&start))
                .flat_map(|(_, ids)| ids.iter().map(String::as_str))
                .collect(),
        )
    }

    fn unindex(&mut self, id: &str, row: &Row) {
        for (pos, idx) in self.index.iter_mut() {
            let key = row[*pos].to_lowercase();
            if let Some(set) = idx.get_mut(&key) {
                set.remove(id);
                if set.is_empty() {
                    idx.remove(&key);
                }
            }
        }
    }

    fn reindex(&mut self, id: &str, row: &Row) {
        for (pos, idx) in self.index.iter_mut() {
            idx.entry(row[*pos].to_lowercase()).or_default().insert(id.to_owned());
        }
    }

    /// Inserts or replaces the row keyed by its `sys_id` column.
    pub fn put(&mut self, row: Row) {
        let Some(id_pos) = self.def.pos("sys_id") else { return };
        let id = row[id_pos].clone();
        if let Some(old) = self.rows.remove(&id) {
            self.unindex(&id, &old);
        }
        self.reindex(&id, &row);
        self.rows.insert(id, row);
    }

    pub fn remove(&mut self, id: &str) -> Option<Row> {
        let row = self.rows.remove(id)?;
        self.unindex(id, &row);
        Some(row)
    }

    pub fn get(&self, id: &str) -> Option<&Row> {
        self.rows.get(id)
    }

    /// A blank row with the dictionary defaults filled in.
    pub fn blank(&self) -> Row {
        self.def.fields.iter().map(|f| f.default.to_owned()).collect()
    }

    /// sys_id of the first row whose display field equals `value` (case-insensitive).
    pub fn find_by_display(&self, value: &str) -> Option<String> {
        let pos = self.def.display_pos();
        if let Some(ids) = self.lookup(pos, value) {
            return ids.first().map(|s| (*s).to_owned());
        }
        let want = value.to_lowercase();
        self.rows
            .iter()
            .find(|(_, row)| row[pos].to_lowercase() == want)
            .map(|(id, _)| id.clone())
    }

    /// The display value of the row `id`, if it exists.
    pub fn display_of(&self, id: &str) -> Option<&str> {
        self.rows.get(id).map(|row| row[self.def.display_pos()].as_str())
    }
}

/// All tables of the instance, and the views over them (`extended`).
pub struct Store {
    tables: HashMap<&'static str, Table>,
    views: HashMap<&'static str, View>,
}

impl Store {
    /// The core tables and the views that need no plugin.
    #[cfg(test)]
    pub fn new() -> Store {
        Store::with_plugins(false)
    }

    /// With `sso`, the Multi-Provider SSO plugin's tables too.
    pub fn with_plugins(sso: bool) -> Store {
        let tables = schema::tables()
            .into_iter()
            .chain(extended::tables(sso))
            .map(|d| (d.name, Table::new(d)))
            .collect();
        let views = extended::views(sso).into_iter().map(|v| (v.def.name, v)).collect();
        Store { tables, views }
    }

    /// The table that holds the rows of `name`: itself, or a view's storage.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables
            .get(name)
            .or_else(|| self.views.get(name).and_then(|v| self.tables.get(v.storage)))
    }

    pub fn table_mut(&mut self, name: &str) -> Option<&mut Table> {
        let storage = self.views.get(name).map_or(name, |v| v.storage);
        self.tables.get_mut(storage)
    }

    /// The name of the table that stores the rows of `name`.
    pub fn storage_name<'a>(&self, name: &'a str) -> &'a str {
        self.views.get(name).map_or(name, |v| v.storage)
    }

    /// The view `name`, when its rows live in another table.
    pub fn view(&self, name: &str) -> Option<&View> {
        self.views.get(name)
    }

    /// Definitions of the views, by name.
    pub fn view_defs(&self) -> Vec<Arc<TableDef>> {
        let mut defs: Vec<_> = self.views.values().map(|v| v.def.clone()).collect();
        defs.sort_by_key(|d| d.name);
        defs
    }

    /// Table definitions in a stable order (by name).
    pub fn defs(&self) -> Vec<Arc<TableDef>> {
        let mut defs: Vec<_> = self.tables.values().map(|t| t.def.clone()).collect();
        defs.sort_by_key(|d| d.name);
        defs
    }

    /// Display value of a reference: the referenced row's display field; for keys that are not
    /// sys_ids (`global`, table and type names) the key itself; `""` for orphans.
    pub fn ref_display(&self, table: &str, value: &str) -> String {
        if value.is_empty() {
            return String::new();
        }
        match self.table(table).and_then(|t| t.display_of(value)) {
            Some(d) => d.to_owned(),
            None if !is_sys_id(value) => value.to_owned(),
            None => String::new(),
        }
    }
}

pub fn is_sys_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_follows_updates_and_deletes() {
        let mut store = Store::new();
        let t = store.table_mut("sys_user_group").unwrap();
        let mut row = t.blank();
        let name = t.def.pos("name").unwrap();
        let id = t.def.pos("sys_id").unwrap();
        row[id] = "a".repeat(32);
        row[name] = "Service Desk".into();
        t.put(row.clone());
        assert_eq!(t.lookup(name, "service desk").unwrap().len(), 1);
        row[name] = "Network".into();
        t.put(row);
        assert!(t.lookup(name, "service desk").unwrap().is_empty());
        assert_eq!(t.find_by_display("NETWORK"), Some("a".repeat(32)));
        t.remove(&"a".repeat(32));
        assert!(t.lookup(name, "network").unwrap().is_empty());
    }
}
