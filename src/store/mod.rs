//! The engine's state: one SQLite database per profile in the data dir
//! (`<profile>.state.db`, WAL, file mode 0600), with append-only migrations.
//!
//! Tables: `links` (source id ↔ sys_id, per object type), `watermarks` (delta links and the
//! hash of the rules they were made under), `failures` (objects that failed, with the hash of
//! what they were computed from and whether it was transient: the retry queue), `intents`
//! (every ServiceNow write recorded before it is sent, with the object it is for, and marked
//! done once its outcome is known: a crash or a lost answer leaves it open, and the next cycle
//! reads that object's rows before planning it, so a create whose answer was lost is matched,
//! never sent twice),
//! `cycles` (statistics), `log` (the provisioning log, one record per object per cycle), and
//! for incremental cycles `source_cache`, `assignments` and `plan_failures` (see `cache.rs`).
//! Also [`ProfileLock`]: one engine per profile.
//!
//! Knows nothing of HTTP or of the engine's types: plain strings, JSON text and the domain's
//! enums of `model` (`ObjectType`, `CycleKind`), which become words only at the SQL boundary
//! (`columns.rs`). No secret is ever written here.

mod binding;
mod cache;
mod columns;
mod csv;
mod lock;
mod log;
mod migrate;
mod open;
mod ops;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::model::{CycleKind, ObjectType};
pub use binding::{Binding, Kept, kept_digest};
pub use cache::{ObjectValue, Seen};
pub use csv::{LOG_COLUMNS, csv_cell, csv_field, csv_table, log_csv};
pub use lock::ProfileLock;
pub use log::{LogFilter, LogRecord};
pub use ops::{CycleRow, EscrowRow, QuarantineRow, ResetScope, StagedRow};
use rusqlite::{Connection, OptionalExtension, params};

/// A state-database failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error("state database {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "state database {path} has schema version {found}, this nowsync reads version {expected}: run `nowsync sync --once` with this version to upgrade it (or use the nowsync that wrote it)"
    )]
    Schema { path: String, found: i64, expected: i64 },
    #[error(
        "profile '{profile}' is already run by another nowsync ({owner}); stop that one first (it holds the lock on {path})"
    )]
    Locked {
        profile: String,
        owner: String,
        path: String,
    },
}

impl StoreError {
    /// A busy database may free up; nothing else here heals by waiting.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Sqlite { source: rusqlite::Error::SqliteFailure(e, _), .. }
            if e.code == rusqlite::ErrorCode::DatabaseBusy)
    }
}

/// One link: a Graph object and the ServiceNow row it is provisioned to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Link {
    pub object_type: ObjectType,
    pub source_id: String,
    pub source_name: String,
    pub sys_id: String,
    pub updated: String,
}

/// A recorded failure of one object (the retry queue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureRow {
    pub hash: String,
    pub code: String,
    pub transient: bool,
    pub attempts: u32,
}

/// The state of one profile.
pub struct Store {
    // A mutex makes the store `Sync`, so the engine can hold it across awaits; the engine is
    // its only user, so it is never contended.
    conn: Mutex<Connection>,
    path: PathBuf,
}

/// The state database's path for a profile.
pub fn db_path(data_dir: &Path, profile: &str) -> PathBuf {
    data_dir.join(format!("{profile}.state.db"))
}

impl Store {
    fn with(conn: Connection, path: PathBuf) -> Store {
        Store {
            conn: Mutex::new(conn),
            path,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding it cannot leave SQLite half-written (transactions roll back).
        self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        sql(&self.path, e)
    }

    /// Every link of one object type: source id → (sys_id, source name).
    pub fn links(&self, object_type: ObjectType) -> Result<Vec<Link>, StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "SELECT object_type, source_id, source_name, sys_id, updated FROM links WHERE object_type = ?1 ORDER BY source_name",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([object_type], |r| {
                Ok(Link {
                    object_type: r.get(0)?,
                    source_id: r.get(1)?,
                    source_name: r.get(2)?,
                    sys_id: r.get(3)?,
                    updated: r.get(4)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    pub fn set_link(
        &self,
        object_type: ObjectType,
        source_id: &str,
        source_name: &str,
        sys_id: &str,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO links (object_type, source_id, source_name, sys_id, updated) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (object_type, source_id) DO UPDATE SET source_name = ?3, sys_id = ?4, updated = ?5",
            )
            .and_then(|mut st| st.execute(params![object_type, source_id, source_name, sys_id, now()]))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    pub fn remove_link(&self, object_type: ObjectType, source_id: &str) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("DELETE FROM links WHERE object_type = ?1 AND source_id = ?2")
            .and_then(|mut st| st.execute(params![object_type, source_id]))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    pub fn watermark(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.conn()
            .query_row("SELECT value FROM watermarks WHERE name = ?1", [name], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn set_watermark(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO watermarks (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = ?2",
                params![name, value],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Every recorded failure: (object type, source id) → row. A row of an object type this
    /// version does not know is left out (its object is retried, not skipped forever).
    pub fn failures(&self) -> Result<Vec<(ObjectType, String, FailureRow)>, StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached("SELECT object_type, source_id, hash, code, transient, attempts FROM failures")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| {
                let Some(object_type) = columns::known(r, 0)? else {
                    return Ok(None);
                };
                Ok(Some((
                    object_type,
                    r.get(1)?,
                    FailureRow {
                        hash: r.get(2)?,
                        code: r.get(3)?,
                        transient: r.get(4)?,
                        attempts: r.get(5)?,
                    },
                )))
            })
            .map_err(|e| self.err(e))?;
        rows.filter_map(Result::transpose)
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    pub fn set_failure(&self, object_type: ObjectType, source_id: &str, row: &FailureRow) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO failures (object_type, source_id, hash, code, transient, attempts, updated) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)
                 ON CONFLICT (object_type, source_id) DO UPDATE SET hash = ?3, code = ?4, transient = ?5, attempts = attempts + 1, updated = ?6",
            )
            .and_then(|mut st| st.execute(params![object_type, source_id, row.hash, row.code, row.transient, now()]))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    pub fn clear_failure(&self, object_type: ObjectType, source_id: &str) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("DELETE FROM failures WHERE object_type = ?1 AND source_id = ?2")
            .and_then(|mut st| st.execute(params![object_type, source_id]))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Records a write before it is sent; returns its id for [`Store::intent_done`].
    /// `object_type` and `source_id` name the object the write is for (a membership: its group).
    pub fn intent(
        &self,
        cycle_id: i64,
        object_type: ObjectType,
        table: &str,
        method: &str,
        source_id: &str,
    ) -> Result<i64, StoreError> {
        // One guard for the insert and its row id: no other insert can come between.
        let conn = self.conn();
        conn.prepare_cached(
            "INSERT INTO intents (cycle_id, object_type, tbl, method, source_id, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut st| st.execute(params![cycle_id, object_type, table, method, source_id, now()]))
        .map_err(|e| self.err(e))?;
        Ok(conn.last_insert_rowid())
    }

    /// The write's outcome is known (it was answered, with success or a refusal that says the
    /// instance did not act); `sys_id` is the row written.
    pub fn intent_done(&self, id: i64, sys_id: Option<&str>) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("UPDATE intents SET done = 1, sys_id = ?2 WHERE id = ?1")
            .and_then(|mut st| st.execute(params![id, sys_id]))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Writes of cycles before `cycle_id` whose outcome is unknown (the process died between
    /// send and answer, or the answer was lost): the objects they were for, (object type,
    /// source id), each once. The next cycle reads their rows before planning them. An object
    /// type this version does not know is left out.
    pub fn unresolved_intents(&self, cycle_id: i64) -> Result<Vec<(ObjectType, String)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT DISTINCT object_type, source_id FROM intents
                 WHERE done = 0 AND cycle_id < ?1 AND object_type != '' ORDER BY object_type, source_id",
            )
            .map_err(|e| self.err(e))?;
        let rows: rusqlite::Result<Vec<(ObjectType, String)>> = stmt
            .query_map([cycle_id], |r| {
                Ok(match columns::known(r, 0)? {
                    Some(object_type) => Some((object_type, r.get(1)?)),
                    None => None,
                })
            })
            .and_then(|rows| rows.filter_map(Result::transpose).collect());
        rows.map_err(|e| self.err(e))
    }

    /// After cycle `cycle_id`: the intents whose outcome is known go; the unresolved ones of
    /// earlier cycles go too when this cycle read their objects' rows (`read_back`), since its
    /// plan was made from what the instance holds. This cycle's unresolved intents stay for the
    /// next one.
    pub fn settle_intents(&self, cycle_id: i64, read_back: bool) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "DELETE FROM intents WHERE done = 1 OR (?2 AND cycle_id < ?1)",
                params![cycle_id, read_back],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// The id the next cycle will take (a dry run's: it plans as that cycle would, and takes no
    /// number of its own, issue 14). Ids are rowids: the largest plus one.
    pub fn next_cycle_id(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM cycles", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    pub fn begin_cycle(&self, kind: CycleKind, dry_run: bool) -> Result<i64, StoreError> {
        self.conn()
            .execute(
                "INSERT INTO cycles (kind, dry_run, started) VALUES (?1, ?2, ?3)",
                params![kind, dry_run, now()],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn().last_insert_rowid())
    }

    pub fn finish_cycle(&self, id: i64, stats_json: &str) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE cycles SET finished = ?2, stats = ?3 WHERE id = ?1",
                params![id, now(), stats_json],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn sql(path: &Path, source: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(unix)]
fn restrict(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| StoreError::Io(path.display().to_string(), e))
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(test)]
mod tests;
