//! The source cache, the assignments last seen and the retry queue of plan failures, for
//! incremental cycles (migrations 4 and 5).
//!
//! `source_cache` holds each Graph user and group as the delta rounds left it: raw properties
//! (JSON text) merged item by item, because a delta item carries only what changed. It is
//! written while a round is read: replaying a round (after a crash, before the watermarks were
//! stored) merges the same items again, which is idempotent. `assignments` holds what the last
//! applied cycle saw outside the deltas (each object's assignment, as text to compare), and
//! `plan_failures` the objects its plan failed (the next incremental cycle plans them again);
//! both are written with the delta watermarks, in one transaction, once a cycle's writes are
//! done.

use crate::model::{CycleKind, ObjectType};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// One object's value in a table keyed by (object type, source id): an assignment's text, or a
/// plan failure's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectValue {
    pub object_type: ObjectType,
    pub source_id: String,
    pub value: String,
}

/// What a cycle saw, stored with its watermarks.
pub struct Seen<'a> {
    pub assignments: &'a [ObjectValue],
    pub plan_failures: &'a [ObjectValue],
}

impl Store {
    /// One cached object's JSON text.
    pub fn cached(&self, object_type: ObjectType, id: &str) -> Result<Option<String>, StoreError> {
        self.conn()
            .query_row(
                "SELECT data FROM source_cache WHERE object_type = ?1 AND id = ?2",
                params![object_type, id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every cached object of a type, in id order, given to `each` one at a time (the whole
    /// table is never held as text).
    pub fn each_cached(&self, object_type: ObjectType, mut each: impl FnMut(String, String)) -> Result<(), StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached("SELECT id, data FROM source_cache WHERE object_type = ?1 ORDER BY id")
            .map_err(|e| self.err(e))?;
        let mut rows = st.query([object_type]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            each(r.get(0).map_err(|e| self.err(e))?, r.get(1).map_err(|e| self.err(e))?);
        }
        Ok(())
    }

    /// Writes (`Some`) or removes (`None`) cached objects in one transaction.
    pub fn put_cached(&self, object_type: ObjectType, items: &[(String, Option<String>)]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| sql(self, e))?;
        for (id, data) in items {
            match data {
                Some(d) => tx.execute(
                    "INSERT INTO source_cache (object_type, id, data) VALUES (?1, ?2, ?3)
                     ON CONFLICT (object_type, id) DO UPDATE SET data = ?3",
                    params![object_type, id, d],
                ),
                None => tx.execute(
                    "DELETE FROM source_cache WHERE object_type = ?1 AND id = ?2",
                    params![object_type, id],
                ),
            }
            .map_err(|e| sql(self, e))?;
        }
        tx.commit().map_err(|e| sql(self, e))
    }

    /// Forgets the cached objects of a type whose id is not in `keep` (after a full round:
    /// the objects it did not report no longer exist in its scope).
    pub fn forget_cached_except(
        &self,
        object_type: ObjectType,
        keep: &std::collections::HashSet<String>,
    ) -> Result<(), StoreError> {
        let gone: Vec<(String, Option<String>)> = {
            let conn = self.conn();
            let mut st = conn
                .prepare_cached("SELECT id FROM source_cache WHERE object_type = ?1")
                .map_err(|e| self.err(e))?;
            let mut rows = st.query([object_type]).map_err(|e| self.err(e))?;
            let mut gone = Vec::new();
            while let Some(r) = rows.next().map_err(|e| self.err(e))? {
                let id: String = r.get(0).map_err(|e| self.err(e))?;
                if !keep.contains(&id) {
                    gone.push((id, None));
                }
            }
            gone
        };
        self.put_cached(object_type, &gone)
    }

    /// The assignments the last applied cycle saw.
    pub fn assignments_seen(&self) -> Result<Vec<ObjectValue>, StoreError> {
        self.object_values("SELECT object_type, source_id, value FROM assignments")
    }

    /// The retry queue of plan failures: the objects the last applied cycle's plan failed, with
    /// their code.
    pub fn plan_failures(&self) -> Result<Vec<ObjectValue>, StoreError> {
        self.object_values("SELECT object_type, source_id, code FROM plan_failures")
    }

    /// A row of an object type this version does not know is left out.
    fn object_values(&self, sql: &str) -> Result<Vec<ObjectValue>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| {
                let Some(object_type) = super::columns::known(r, 0)? else {
                    return Ok(None);
                };
                Ok(Some(ObjectValue {
                    object_type,
                    source_id: r.get(1)?,
                    value: r.get(2)?,
                }))
            })
            .map_err(|e| self.err(e))?;
        rows.filter_map(Result::transpose)
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    /// Ends a cycle's reading state in one transaction: the assignments it saw and its plan's
    /// failures replace the old ones, and the watermarks (delta links, rules hash) are set. A
    /// crash before this replays the same changes next cycle.
    pub fn commit_watermarks(&self, seen: &Seen<'_>, watermarks: &[(&str, &str)]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| sql(self, e))?;
        tx.execute_batch("DELETE FROM assignments; DELETE FROM plan_failures;")
            .map_err(|e| sql(self, e))?;
        for (table, rows) in [
            ("assignments (object_type, source_id, value)", seen.assignments),
            ("plan_failures (object_type, source_id, code)", seen.plan_failures),
        ] {
            for r in rows {
                tx.execute(
                    &format!("INSERT OR REPLACE INTO {table} VALUES (?1, ?2, ?3)"),
                    params![r.object_type, r.source_id, r.value],
                )
                .map_err(|e| sql(self, e))?;
            }
        }
        for (name, value) in watermarks {
            tx.execute(
                "INSERT INTO watermarks (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = ?2",
                params![name, value],
            )
            .map_err(|e| sql(self, e))?;
        }
        tx.commit().map_err(|e| sql(self, e))
    }

    /// Corrects a cycle's kind once its reads decided it (an expired delta token makes an
    /// incremental cycle full).
    pub fn set_cycle_kind(&self, id: i64, kind: CycleKind) -> Result<(), StoreError> {
        self.conn()
            .execute("UPDATE cycles SET kind = ?2 WHERE id = ?1", params![id, kind])
            .map(drop)
            .map_err(|e| self.err(e))
    }
}

fn sql(store: &Store, e: rusqlite::Error) -> StoreError {
    store.err(e)
}
