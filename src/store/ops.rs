//! The operations issue's state: staged deletions held back by the deletion threshold (with
//! the exact op each holds, so `allow-deletes` applies that set and nothing else), the
//! quarantine (reason, series, next attempt), the escrow schedule of permanent failures, the
//! restart scopes, and the cycles' statistics for `status`.
//!
//! Plain strings, JSON text and `model`'s enums, like the rest of the store.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, now};
use crate::model::{CycleKind, ObjectType};

/// One deletion held back by the threshold.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StagedRow {
    pub object_type: ObjectType,
    pub source_id: String,
    pub source_name: String,
    pub sys_id: String,
    /// `disable` or `delete`.
    pub action: String,
    pub cycle_id: i64,
    /// The held op as JSON (the engine's `Op`).
    #[serde(skip)]
    pub op: String,
}

/// The quarantine, when the job is in one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QuarantineRow {
    pub reason: String,
    pub since: String,
    pub next_attempt: Option<String>,
    /// Cycles in this series that ended quarantined (decides the back-off step).
    pub series_count: u32,
    pub detail: String,
}

/// One escrow: a permanent failure retried on a schedule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EscrowRow {
    pub object_type: ObjectType,
    pub source_id: String,
    pub source_name: String,
    pub code: String,
    pub attempts: u32,
    pub first_failed: Option<String>,
    pub next_attempt: Option<String>,
}

/// What `restart --scope` clears (Entra's `resetScope` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetScope {
    /// The delta links and the rules hash: the next cycle is initial.
    Watermark,
    /// Every recorded failure: nothing waits for its retry time any more.
    Escrows,
    /// The quarantine (staged deletions stay until allowed or a good cycle replaces them).
    Quarantine,
    /// All of the above, the staged deletions, the links and the binding to an instance and
    /// tenant: matching runs again, against whatever the profile points at.
    Full,
}

/// One finished cycle's row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CycleRow {
    pub id: i64,
    pub kind: CycleKind,
    pub dry_run: bool,
    pub started: String,
    pub finished: Option<String>,
    pub stats: Option<String>,
}

impl CycleRow {
    /// One row of `SELECT id, kind, dry_run, started, finished, stats FROM cycles`: the one
    /// mapping of every query of cycle rows.
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CycleRow> {
        Ok(CycleRow {
            id: r.get(0)?,
            kind: r.get(1)?,
            dry_run: r.get(2)?,
            started: r.get(3)?,
            finished: r.get(4)?,
            stats: r.get(5)?,
        })
    }
}

impl Store {
    /// Replaces the staged set with `rows` (a new trip stages what that cycle held back).
    pub fn set_staged(&self, rows: &[StagedRow]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        tx.execute("DELETE FROM staged_deletes", []).map_err(|e| self.err(e))?;
        for r in rows {
            tx.execute(
                "INSERT OR REPLACE INTO staged_deletes (object_type, source_id, sys_id, action, cycle_id, op, source_name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![r.object_type, r.source_id, r.sys_id, r.action, r.cycle_id, r.op, r.source_name],
            )
            .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    pub fn staged(&self) -> Result<Vec<StagedRow>, StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "SELECT object_type, source_id, source_name, sys_id, action, cycle_id, op FROM staged_deletes
                 ORDER BY object_type DESC, source_name",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| {
                Ok(StagedRow {
                    object_type: r.get(0)?,
                    source_id: r.get(1)?,
                    source_name: r.get(2)?,
                    sys_id: r.get(3)?,
                    action: r.get(4)?,
                    cycle_id: r.get(5)?,
                    op: r.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Takes `keys` (object type, staged key) out of the staged set: held ops an admin
    /// applied one object at a time (`provision`); the rest stays held.
    pub fn drop_staged(&self, keys: &[(ObjectType, String)]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        for (object_type, key) in keys {
            tx.execute(
                "DELETE FROM staged_deletes WHERE object_type = ?1 AND source_id = ?2",
                params![object_type, key],
            )
            .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    pub fn clear_staged(&self) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM staged_deletes", [])
            .map(drop)
            .map_err(|e| self.err(e))
    }

    pub fn quarantine(&self) -> Result<Option<QuarantineRow>, StoreError> {
        self.conn()
            .query_row(
                "SELECT reason, since, next_attempt, series_count, detail FROM quarantine WHERE id = 1",
                [],
                |r| {
                    Ok(QuarantineRow {
                        reason: r.get(0)?,
                        since: r.get(1)?,
                        next_attempt: r.get(2)?,
                        series_count: r.get(3)?,
                        detail: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn set_quarantine(&self, q: &QuarantineRow) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO quarantine (id, reason, since, next_attempt, series_count, detail) VALUES (1, ?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET reason = ?1, since = ?2, next_attempt = ?3, series_count = ?4, detail = ?5",
                params![q.reason, q.since, q.next_attempt, q.series_count, q.detail],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    pub fn clear_quarantine(&self) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM quarantine", [])
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Sets the escrow schedule of a recorded failure (first failure time kept once set).
    pub fn schedule_failure(
        &self,
        object_type: ObjectType,
        source_id: &str,
        source_name: &str,
        next_attempt: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE failures SET first_failed = COALESCE(first_failed, ?3), next_attempt = ?4, source_name = ?5
                 WHERE object_type = ?1 AND source_id = ?2",
                params![object_type, source_id, now(), next_attempt, source_name],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Records a permanent failure found by planning (e.g. InvalidLookupReference): planning
    /// finds it again every cycle, so a row is written only when the failure is new or its
    /// hash changed (its attempts count retries of what changed, not cycles).
    pub fn note_failure(
        &self,
        object_type: ObjectType,
        source_id: &str,
        source_name: &str,
        hash: &str,
        code: &str,
    ) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO failures (object_type, source_id, hash, code, transient, attempts, updated, first_failed, source_name)
                 VALUES (?1, ?2, ?3, ?4, 0, 1, ?6, ?6, ?5)
                 ON CONFLICT (object_type, source_id) DO UPDATE SET hash = ?3, code = ?4, transient = 0,
                   attempts = attempts + 1, updated = ?6, source_name = ?5 WHERE failures.hash <> ?3",
                params![object_type, source_id, hash, code, source_name, now()],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// The failure recorded for one object, as (op hash, code), if any.
    pub fn failure_of(&self, object_type: ObjectType, source_id: &str) -> Result<Option<(String, String)>, StoreError> {
        use rusqlite::OptionalExtension;
        self.conn()
            .query_row(
                "SELECT hash, code FROM failures WHERE object_type = ?1 AND source_id = ?2",
                params![object_type, source_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Permanent failures (the escrows), soonest retry first. A row of an object type this
    /// version does not know is left out.
    pub fn escrows(&self) -> Result<Vec<EscrowRow>, StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "SELECT object_type, source_id, source_name, code, attempts, first_failed, next_attempt FROM failures
                 WHERE transient = 0 ORDER BY next_attempt, source_name",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| {
                let Some(object_type) = super::columns::known(r, 0)? else {
                    return Ok(None);
                };
                Ok(Some(EscrowRow {
                    object_type,
                    source_id: r.get(1)?,
                    source_name: r.get(2)?,
                    code: r.get(3)?,
                    attempts: r.get(4)?,
                    first_failed: r.get(5)?,
                    next_attempt: r.get(6)?,
                }))
            })
            .map_err(|e| self.err(e))?;
        rows.filter_map(Result::transpose)
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    /// Clears what a restart scope names. The last plan number (watermark `plan_id`) stays:
    /// plan numbers are never given twice in a profile's life.
    pub fn reset(&self, scope: ResetScope) -> Result<(), StoreError> {
        let sql = match scope {
            ResetScope::Watermark => "DELETE FROM watermarks WHERE name <> 'plan_id';",
            ResetScope::Escrows => "DELETE FROM failures;",
            ResetScope::Quarantine => "DELETE FROM quarantine;",
            ResetScope::Full => {
                "DELETE FROM watermarks WHERE name <> 'plan_id'; DELETE FROM failures; DELETE FROM quarantine; DELETE FROM staged_deletes;
                 DELETE FROM links; DELETE FROM binding; DELETE FROM kept;"
            }
        };
        self.conn().execute_batch(sql).map_err(|e| self.err(e))
    }

    /// Finished real cycles, newest first, at most `limit`. A provision on demand has a row
    /// (its log records name it) but is not a cycle: not the last cycle, not counted, its one
    /// object's statistics not summed with the cycles'.
    pub fn cycles(&self, limit: u32) -> Result<Vec<CycleRow>, StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "SELECT id, kind, dry_run, started, finished, stats FROM cycles
                 WHERE dry_run = 0 AND finished IS NOT NULL AND kind <> 'on-demand'
                 ORDER BY id DESC LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        let rows = st.query_map([limit], CycleRow::from_row).map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The last finished provision on demand: one object's run, which `cycles` leaves out.
    pub fn last_on_demand(&self) -> Result<Option<CycleRow>, StoreError> {
        let conn = self.conn();
        conn.query_row(
            "SELECT id, kind, dry_run, started, finished, stats FROM cycles
             WHERE dry_run = 0 AND finished IS NOT NULL AND kind = 'on-demand'
             ORDER BY id DESC LIMIT 1",
            [],
            CycleRow::from_row,
        )
        .optional()
        .map_err(|e| self.err(e))
    }

    /// One cycle's row by its id (`logs --cycle N` says a cycle that failed as a whole, which
    /// has no record).
    pub fn cycle(&self, id: i64) -> Result<Option<CycleRow>, StoreError> {
        let conn = self.conn();
        conn.query_row(
            "SELECT id, kind, dry_run, started, finished, stats FROM cycles WHERE id = ?1",
            [id],
            |r| {
                Ok(CycleRow {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    dry_run: r.get(2)?,
                    started: r.get(3)?,
                    finished: r.get(4)?,
                    stats: r.get(5)?,
                })
            },
        )
        .optional()
        .map_err(|e| self.err(e))
    }
}
