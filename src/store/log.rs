//! The provisioning log: one record per object per cycle, with Entra's fields (DESIGN.md
//! `logs --format json`). `steps` and `modified_properties` are JSON values, stored as text.

use rusqlite::params_from_iter;
use serde::Serialize;
use serde_json::Value;

use super::{Store, StoreError};
use crate::model::ObjectType;

/// One record of the provisioning log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogRecord {
    pub cycle_id: i64,
    pub change_id: String,
    pub time: String,
    pub object_type: ObjectType,
    pub source_id: String,
    pub source_name: String,
    pub target_id: Option<String>,
    pub action: String,
    pub status: String,
    pub error_code: Option<String>,
    pub reason: String,
    pub recommended_action: Option<String>,
    pub steps: Value,
    pub modified_properties: Value,
    pub duration_ms: u64,
}

/// Narrows `logs`; every set field must hold.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub cycle_id: Option<i64>,
    pub status: Option<String>,
    pub action: Option<String>,
    /// Part of the source name, source id or target id (case-insensitive).
    pub user: Option<String>,
    /// RFC 3339: records at or after.
    pub since: Option<String>,
    pub object_type: Option<ObjectType>,
    /// Only records stored after the one with this id (`logs --follow`).
    pub after_id: Option<i64>,
}

impl Store {
    pub fn append_log(&self, r: &LogRecord) -> Result<(), StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "INSERT INTO log (cycle_id, change_id, time, object_type, source_id, source_name, target_id, action, status,
                 error_code, reason, recommended_action, steps, modified_properties, duration_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )
            .map_err(|e| self.err(e))?;
        st.execute(rusqlite::params![
            r.cycle_id,
            r.change_id,
            r.time,
            r.object_type,
            r.source_id,
            r.source_name,
            r.target_id,
            r.action,
            r.status,
            r.error_code,
            r.reason,
            r.recommended_action,
            r.steps.to_string(),
            r.modified_properties.to_string(),
            i64::try_from(r.duration_ms).unwrap_or(i64::MAX),
        ])
        .map(drop)
        .map_err(|e| self.err(e))
    }

    /// Records matching `filter`, oldest first.
    pub fn log(&self, filter: &LogFilter) -> Result<Vec<LogRecord>, StoreError> {
        Ok(self.log_with_ids(filter)?.into_iter().map(|(_, r)| r).collect())
    }

    /// Records matching `filter` with their ids (increasing in the order they were stored),
    /// oldest first.
    pub fn log_with_ids(&self, filter: &LogFilter) -> Result<Vec<(i64, LogRecord)>, StoreError> {
        let mut sql = String::from(
            "SELECT id, cycle_id, change_id, time, object_type, source_id, source_name, target_id, action, status, error_code,
             reason, recommended_action, steps, modified_properties, duration_ms FROM log WHERE 1 = 1",
        );
        let mut args: Vec<String> = Vec::new();
        if let Some(c) = filter.cycle_id {
            args.push(c.to_string());
            sql.push_str(&format!(" AND cycle_id = CAST(?{} AS INTEGER)", args.len()));
        }
        if let Some(s) = &filter.status {
            args.push(s.clone());
            sql.push_str(&format!(" AND status = ?{} COLLATE NOCASE", args.len()));
        }
        if let Some(a) = &filter.action {
            args.push(a.clone());
            sql.push_str(&format!(" AND action = ?{} COLLATE NOCASE", args.len()));
        }
        if let Some(u) = &filter.user {
            args.push(format!(
                "%{}%",
                u.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
            ));
            let n = args.len();
            sql.push_str(&format!(
                " AND (source_name LIKE ?{n} ESCAPE '\\' OR source_id LIKE ?{n} ESCAPE '\\' OR target_id LIKE ?{n} ESCAPE '\\')"
            ));
        }
        if let Some(s) = &filter.since {
            args.push(s.clone());
            sql.push_str(&format!(" AND time >= ?{}", args.len()));
        }
        if let Some(t) = filter.object_type {
            args.push(t.as_str().to_owned());
            sql.push_str(&format!(" AND object_type = ?{} COLLATE NOCASE", args.len()));
        }
        if let Some(id) = filter.after_id {
            args.push(id.to_string());
            sql.push_str(&format!(" AND id > CAST(?{} AS INTEGER)", args.len()));
        }
        sql.push_str(" ORDER BY id");
        let conn = self.conn();
        let mut st = conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params_from_iter(args.iter()), |r| {
                let steps: String = r.get(13)?;
                let modified: String = r.get(14)?;
                let duration: i64 = r.get(15)?;
                let record = LogRecord {
                    cycle_id: r.get(1)?,
                    change_id: r.get(2)?,
                    time: r.get(3)?,
                    object_type: r.get(4)?,
                    source_id: r.get(5)?,
                    source_name: r.get(6)?,
                    target_id: r.get(7)?,
                    action: r.get(8)?,
                    status: r.get(9)?,
                    error_code: r.get(10)?,
                    reason: r.get(11)?,
                    recommended_action: r.get(12)?,
                    steps: serde_json::from_str(&steps).unwrap_or(Value::Null),
                    modified_properties: serde_json::from_str(&modified).unwrap_or(Value::Null),
                    duration_ms: u64::try_from(duration).unwrap_or(0),
                };
                Ok((r.get(0)?, record))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The objects (type, source id), each once, that failed the last time they were worked on
    /// since cycle `cycle_id` (the last real cycle; provisions on demand after it have rows of
    /// their own): failures the retry queue does not hold (a reference whose row was never
    /// provisioned is planned again every cycle) are still failing objects to `status`, an
    /// object a later provision fixed is not, one it did not touch still is.
    pub fn failing_since(&self, cycle_id: i64) -> Result<Vec<(ObjectType, String)>, StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "SELECT DISTINCT l.object_type, l.source_id FROM log l
                 JOIN (SELECT object_type, source_id, MAX(cycle_id) AS last FROM log WHERE cycle_id >= ?1
                       GROUP BY object_type, source_id) m
                   ON l.object_type = m.object_type AND l.source_id = m.source_id AND l.cycle_id = m.last
                 WHERE l.status = 'failure'",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([cycle_id], |r| {
                Ok(super::columns::known(r, 0)?.map(|t| (t, r.get::<_, String>(1))))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            if let Some((t, id)) = row.map_err(|e| self.err(e))? {
                out.push((t, id.map_err(|e| self.err(e))?));
            }
        }
        Ok(out)
    }

    /// Drops log records older than `days` (retention; default 30).
    pub fn prune_log(&self, days: u32) -> Result<usize, StoreError> {
        let cutoff = (chrono::Utc::now() - chrono::Duration::days(i64::from(days)))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        self.conn()
            .execute("DELETE FROM log WHERE time < ?1", [cutoff])
            .map_err(|e| self.err(e))
    }
}
