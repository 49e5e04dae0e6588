//! The source cache and the assignments last seen, for incremental cycles (migration 3).
//!
//! `source_cache` holds each Graph user and group as the delta rounds left it: raw properties
//! (JSON text) merged item by item, because a delta item carries only what changed. It is
//! written while a round is read: replaying a round (after a crash, before the watermarks were
//! stored) merges the same items again, which is idempotent. `assignments_seen` holds what the
//! last applied cycle saw outside the deltas — the assignments (`u:`/`g:` keys) and the objects
//! its plan failed (`eu:`/`eg:`) — and is written with the delta watermarks, in one
//! transaction, once a cycle's writes are done.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

impl Store {
    /// One cached object's JSON text.
    pub fn cached(&self, object_type: &str, id: &str) -> Result<Option<String>, StoreError> {
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
    pub fn each_cached(&self, object_type: &str, mut each: impl FnMut(String, String)) -> Result<(), StoreError> {
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
    pub fn put_cached(&self, object_type: &str, items: &[(String, Option<String>)]) -> Result<(), StoreError> {
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

    /// Forgets every cached object of a type (before a full round).
    pub fn clear_cached(&self, object_type: &str) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM source_cache WHERE object_type = ?1", [object_type])
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// The assignments the last applied cycle saw: key → value.
    pub fn assignments_seen(&self) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached("SELECT key, value FROM assignments_seen")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Ends a cycle's reading state in one transaction: the assignments it saw replace the old
    /// ones, and the watermarks (delta links, rules hash) are set. A crash before this replays
    /// the same changes next cycle.
    pub fn commit_watermarks(
        &self,
        assignments: &[(String, String)],
        watermarks: &[(&str, &str)],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| sql(self, e))?;
        tx.execute("DELETE FROM assignments_seen", [])
            .map_err(|e| sql(self, e))?;
        for (k, v) in assignments {
            tx.execute(
                "INSERT INTO assignments_seen (key, value) VALUES (?1, ?2)",
                params![k, v],
            )
            .map_err(|e| sql(self, e))?;
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
    pub fn set_cycle_kind(&self, id: i64, kind: &str) -> Result<(), StoreError> {
        self.conn()
            .execute("UPDATE cycles SET kind = ?2 WHERE id = ?1", params![id, kind])
            .map(drop)
            .map_err(|e| self.err(e))
    }
}

fn sql(store: &Store, e: rusqlite::Error) -> StoreError {
    store.err(e)
}
