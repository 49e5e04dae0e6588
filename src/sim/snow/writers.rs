//! Other writers (spec §13 #10): LDAP imports and SSO just-in-time provisioning insert and
//! delete `sys_user` rows while a client pages through the table.
//!
//! Switch: `POST /sim/faults` `{"other_writer": {"table": "sys_user", "every": N, "insert": k,
//! "delete": m, "rows": [{…}, …]}}` (`null` turns it off; setting it restarts its count). Every
//! N-th *page read* of the table — a list read ordered by `sys_id` first, whether it pages by
//! offset or by keyset — first deletes `m` rows and inserts `k` rows, all sorting *before the
//! cursor* (the first row the page would have returned), then is answered. So offset paging
//! skips `m − k` rows per trigger (and repeats rows when `k > m`), while keyset paging
//! (`sys_id>LAST^ORDERBYsys_id`) neither skips nor repeats a row that existed throughout.
//!
//! Inserted rows take the fields of `rows` in order (e.g. tenant users that a client is about to
//! create), then `ldap.import<n>` users; they go through the Table API's insert path as the
//! `system` account, so defaults and truncation apply, and a clashing `user_name` is skipped.
//! Deleted rows are the nearest before the cursor, never a seeded login; a deleted user's
//! memberships and roles go with it. `GET /sim/faults` lists what was inserted and deleted.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::State;
use super::auth::Principal;
use super::eval::{Caller, Filter};
use super::query;
use super::table_api::{Call, Params};

fn default_table() -> String {
    "sys_user".to_owned()
}

/// The `other_writer` switch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherWriter {
    #[serde(default = "default_table")]
    pub table: String,
    pub every: u64,
    #[serde(default)]
    pub insert: usize,
    #[serde(default)]
    pub delete: usize,
    #[serde(default)]
    pub rows: Vec<Map<String, Value>>,
}

/// The switch and what it has done so far.
#[derive(Default)]
pub struct Writers {
    config: Option<OtherWriter>,
    page_reads: u64,
    next_row: usize,
    synthetic: usize,
    inserted: Vec<String>,
    deleted: Vec<String>,
}

impl Writers {
    pub fn set(&mut self, config: Option<OtherWriter>) {
        *self = Writers {
            config: config.filter(|c| c.every > 0),
            ..Writers::default()
        };
    }

    pub fn json(&self) -> Value {
        match &self.config {
            None => Value::Null,
            Some(c) => {
                let mut v = json!(c);
                v["inserted"] = json!(self.inserted);
                v["deleted"] = json!(self.deleted);
                v
            }
        }
    }

    /// Counts a page read of `table`; true when the other writer acts before it.
    fn due(&mut self, table: &str) -> bool {
        let Some(c) = &self.config else { return false };
        if c.table != table {
            return false;
        }
        self.page_reads += 1;
        self.page_reads.is_multiple_of(c.every)
    }

    /// The fields of the next row to insert.
    fn next_fields(&mut self) -> Map<String, Value> {
        let given = self.config.as_ref().and_then(|c| c.rows.get(self.next_row)).cloned();
        if let Some(row) = given {
            self.next_row += 1;
            return row;
        }
        self.synthetic += 1;
        let n = self.synthetic;
        let v = json!({"user_name": format!("ldap.import{n}"), "first_name": "Ldap",
                       "last_name": format!("Import {n}"), "email": format!("ldap.import{n}@example.com")});
        v.as_object().cloned().unwrap_or_default()
    }
}

fn lock(state: &State) -> std::sync::MutexGuard<'_, Writers> {
    state.writers.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether a parsed query is a page read: ordered by `sys_id` first, ascending.
fn is_page_read(q: &query::Query) -> bool {
    q.order.first().is_some_and(|o| o.field == "sys_id" && !o.desc)
}

/// Called before a list read of `table` is answered: lets the other writer act when due.
pub fn before_list(state: &State, table: &str, params: &Params, caller: &Principal) {
    let parsed = query::parse(params.get("sysparm_query").unwrap_or_default());
    if !is_page_read(&parsed) || !lock(state).due(table) {
        return;
    }
    let Some(cursor) = cursor(state, table, &parsed, params, caller) else {
        return;
    };
    let (insert, delete) = match &lock(state).config {
        Some(c) => (c.insert, c.delete),
        None => return,
    };
    for id in victims(state, table, &cursor, delete) {
        let mut store = state.write_store();
        if let Some(old) = store.table_mut(table).and_then(|t| t.remove(&id)) {
            super::roles::after_write(&mut store, table, Some(&old), None);
            drop(store);
            state.stats.injected("other_writer_delete");
            lock(state).deleted.push(id);
        }
    }
    for _ in 0..insert {
        let Some(id) = id_before(&cursor) else { break };
        let mut fields = lock(state).next_fields();
        fields.insert("sys_id".into(), json!(id));
        if let Ok(id) = insert_row(state, table, &fields) {
            state.stats.injected("other_writer_insert");
            lock(state).inserted.push(id);
        }
    }
}

/// The first sys_id the page would return now; `None` for an empty page.
fn cursor(state: &State, table: &str, parsed: &query::Query, params: &Params, caller: &Principal) -> Option<String> {
    let store = state.read_store();
    let t = store.table(table)?;
    let who = Caller {
        sys_id: &caller.sys_id,
        user_name: &caller.user_name,
    };
    let filter = Filter::compile(&store, table, parsed, &who);
    let offset = params
        .get("sysparm_offset")
        .and_then(|o| o.trim().parse().ok())
        .unwrap_or(0);
    filter.page(&store, t, offset, 1).into_iter().next()
}

/// Up to `n` rows right before `cursor`, nearest first, never a seeded login.
fn victims(state: &State, table: &str, cursor: &str, n: usize) -> Vec<String> {
    let store = state.read_store();
    let Some(t) = store.table(table) else { return Vec::new() };
    let name = t.def.pos("user_name");
    let seeded = |row: &Vec<String>| {
        name.is_some_and(|p| state.accounts.iter().any(|a| a.user_name.eq_ignore_ascii_case(&row[p])))
    };
    t.rows
        .range::<str, _>((std::ops::Bound::Unbounded, std::ops::Bound::Excluded(cursor)))
        .rev()
        .filter(|(_, row)| !seeded(row))
        .take(n)
        .map(|(id, _)| id.clone())
        .collect()
}

/// A random free-form sys_id that sorts before `cursor`; `None` when none can.
fn id_before(cursor: &str) -> Option<String> {
    let bound = u128::from_str_radix(cursor, 16).ok().filter(|b| *b > 0)?;
    Some(format!("{:032x}", rand::random::<u128>() % bound))
}

fn insert_row(state: &State, table: &str, fields: &Map<String, Value>) -> Result<String, ()> {
    let body = serde_json::to_vec(fields).map_err(|_| ())?;
    let system = Principal {
        sys_id: String::new(),
        user_name: "system".to_owned(),
        admin: true,
    };
    let call = Call {
        method: "POST",
        path: "",
        query: "",
        host: "localhost",
        body: &body,
        caller: &system,
        no_response_body: true,
    };
    super::writes::write(state, &call, table, None).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_before_the_cursor_sort_before_it() {
        for _ in 0..100 {
            let id = id_before("00000000000000000000000000000f00").unwrap();
            assert!(id.as_str() < "00000000000000000000000000000f00", "{id}");
            assert_eq!(id.len(), 32);
        }
        assert_eq!(id_before(&"0".repeat(32)), None);
    }

    #[test]
    fn due_every_nth_page_read_of_its_table() {
        let mut w = Writers::default();
        w.set(Some(OtherWriter {
            table: "sys_user".into(),
            every: 2,
            insert: 1,
            delete: 0,
            rows: Vec::new(),
        }));
        let due: Vec<bool> = (0..4).map(|_| w.due("sys_user")).collect();
        assert_eq!(due, [false, true, false, true]);
        assert!(!w.due("sys_user_group"));
        assert_eq!(w.next_fields()["user_name"], "ldap.import1");
        w.set(None);
        assert!(!w.due("sys_user"));
    }
}
