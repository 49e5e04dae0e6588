//! The cycle history the dashboard draws, read from the state store (the runtime reads it
//! after the engine starts and after each real cycle): the recent real cycles' statistics
//! (with their kind: initial, incremental, reconciliation), the totals to date and the
//! reconciliation's schedule as `nowsync status` computes them (`sync::status`), so the
//! console and the CLI agree.

use serde_json::Value;

use crate::store::CycleRow;
use crate::sync::CycleKind;

/// One finished real cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    pub cycle_id: i64,
    pub kind: CycleKind,
    /// RFC 3339.
    pub started: String,
    pub created: u64,
    pub updated: u64,
    pub disabled: u64,
    pub deleted: u64,
    pub members_added: u64,
    pub members_removed: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Users and groups the deletion threshold held in this cycle.
    pub staged: u64,
    pub duration_ms: u64,
    /// The admin stopped it before its end: where.
    pub stopped: Option<crate::sync::Stopped>,
    /// It failed as a whole: why, with the way out (`CycleStats::error`).
    pub error: Option<String>,
}

/// The totals to date, from the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToDate {
    pub cycles: u64,
    pub created: u64,
    pub updated: u64,
    pub disabled: u64,
    pub deleted: u64,
    pub members_added: u64,
    pub members_removed: u64,
    pub writes: u64,
    /// Objects failing now, each once (`Status::failing`).
    pub failing: u64,
}

/// What the store says about the cycles so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Oldest first.
    pub points: Vec<Point>,
    pub to_date: ToDate,
    /// The last reconciliation and when the next is due, as `nowsync status` says.
    pub reconciliation: crate::sync::Reconciliation,
    /// The quarantine as the store holds it now: a console opened (or attached) after it
    /// began shows it from the start, not only once its own cycle says so.
    pub quarantine: Option<crate::store::QuarantineRow>,
    /// What the deletion threshold holds now (the staged set), by kind.
    pub held: crate::sync::HeldCounts,
}

/// Cycles the chart shows at most.
pub const SHOWN: u32 = 20;

impl History {
    /// From the store's recent cycles (newest first, as `Store::cycles` gives them) and the
    /// profile's status.
    pub fn of(rows: &[CycleRow], status: &crate::sync::Status) -> History {
        let mut points: Vec<Point> = rows.iter().filter(|r| !r.dry_run).map(point).collect();
        points.reverse();
        let total = |k: &str| status.to_date.get(k).and_then(Value::as_u64).unwrap_or(0);
        History {
            points,
            to_date: ToDate {
                cycles: status.cycles,
                created: total("created"),
                updated: total("updated"),
                disabled: total("disabled"),
                deleted: total("deleted"),
                members_added: total("members_added"),
                members_removed: total("members_removed"),
                writes: total("writes"),
                failing: status.failing,
            },
            reconciliation: status.reconciliation.clone(),
            quarantine: status.quarantine.clone(),
            held: status.held,
        }
    }
}

fn point(row: &CycleRow) -> Point {
    let stats: Value = row
        .stats
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let n = |k: &str| stats.get(k).and_then(Value::as_u64).unwrap_or(0);
    Point {
        cycle_id: row.id,
        kind: row.kind,
        started: row.started.clone(),
        created: n("created"),
        updated: n("updated"),
        disabled: n("disabled"),
        deleted: n("deleted"),
        members_added: n("members_added"),
        members_removed: n("members_removed"),
        skipped: n("skipped"),
        failed: n("failed"),
        staged: n("staged_deletes"),
        duration_ms: n("duration_ms"),
        stopped: stats
            .get("stopped")
            .and_then(|v| serde_json::from_value(v.clone()).ok()),
        error: stats.get("error").and_then(Value::as_str).map(str::to_owned),
    }
}

/// Why the history could not be read: the configuration (to find the profile) or its state
/// database.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Reads the history of `profile` from its state database in `data_dir`.
pub fn read(data_dir: &std::path::Path, profile: &crate::config::Profile) -> Result<History, HistoryError> {
    let status = crate::sync::status(data_dir, profile)?;
    let store = crate::store::Store::open(data_dir, &profile.name)?;
    let rows = store.cycles(SHOWN)?;
    Ok(History::of(&rows, &status))
}
