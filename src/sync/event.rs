//! What the engine tells its consumers ([`SyncEvent`]) and what it answers to the console's
//! questions ([`Answer`]). Events are small: a whole plan travels behind an `Arc`, history is
//! read from the store.

use std::sync::Arc;

use serde::Serialize;

use super::op::{CycleKind, ObjectType, Plan};

/// The engine's state, as a status line shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineState {
    Idle,
    Running,
    Paused,
    Stopped,
}

/// Totals known when a cycle starts (after the source and target reads).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub users: u64,
    pub groups: u64,
    /// Operations planned (the denominator of progress).
    pub operations: u64,
}

/// One object's result, as the provisioning log records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectResult {
    pub object_type: ObjectType,
    pub source_id: String,
    pub source_name: String,
    pub target_id: Option<String>,
    pub action: String,
    /// `success`, `failure`, `skipped`, `warning`.
    pub status: String,
    pub error_code: Option<String>,
    pub reason: String,
}

/// A cycle's statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CycleStats {
    pub created: u64,
    pub updated: u64,
    pub disabled: u64,
    pub deleted: u64,
    pub members_added: u64,
    pub members_removed: u64,
    pub skipped: u64,
    pub failed: u64,
    pub writes: u64,
    pub duration_ms: u64,
    /// Disables and deletes held back by the deletion threshold (action `StagedDelete`).
    pub staged_deletes: u64,
}

impl CycleStats {
    /// What a planned cycle would do, from its plan's counts (a dry run's statistics).
    pub fn planned(c: &super::op::Counts) -> CycleStats {
        CycleStats {
            created: c.create,
            updated: c.update + c.set_reference,
            disabled: c.disable,
            deleted: c.delete,
            members_added: c.add_member,
            members_removed: c.remove_member,
            skipped: c.skip,
            failed: c.error,
            staged_deletes: c.staged_delete,
            ..CycleStats::default()
        }
    }
}

/// Which part of the engine an error came from; decides the CLI's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// Connection, TLS, authentication or permission (exit 3).
    Connection,
    /// Configuration or mapping (exit 2).
    Config,
    /// The state database or the data dir.
    Store,
    /// Anything else that stopped the cycle.
    Other,
}

/// How much a [`SyncEvent::Log`] line matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

/// The engine's events (DESIGN.md "The engine's door"); the console and the headless commands
/// consume the same ones.
#[derive(Debug, Clone)]
pub enum SyncEvent {
    StateChanged(EngineState),
    /// The source and target were read and planned.
    CycleStarted {
        cycle_id: i64,
        kind: CycleKind,
        dry_run: bool,
        totals: Totals,
    },
    /// An incremental cycle became a full one (an expired delta token): why.
    FullCycle {
        cycle_id: i64,
        reason: String,
    },
    /// The plan of the cycle (a dry run ends here).
    PlanReady {
        cycle_id: i64,
        plan: Arc<Plan>,
    },
    /// Objects done out of the planned operations.
    Progress {
        cycle_id: i64,
        done: u64,
        total: u64,
    },
    ObjectDone {
        cycle_id: i64,
        result: ObjectResult,
    },
    CycleFinished {
        cycle_id: i64,
        dry_run: bool,
        stats: CycleStats,
    },
    /// The quarantine started, changed reason or ended (`reason` is `None`): Entra's reason
    /// word (`TooManyDeletes`, …) and when scheduled cycles try again (RFC 3339). Sent before
    /// the cycle's `CycleFinished`.
    Quarantine {
        cycle_id: Option<i64>,
        reason: Option<String>,
        next_attempt: Option<String>,
    },
    /// A cycle could not run or stopped; `cycle_id` when one had started.
    Error {
        cycle_id: Option<i64>,
        kind: ErrorKind,
        message: String,
    },
    /// Something the engine has to say that no other event carries (a deletion threshold
    /// hold, a notification sent or not, state it could not save): the console's log pane
    /// shows it as a line. The same text goes to the log file.
    Log {
        level: LogLevel,
        message: String,
    },
    /// The answer to a query command, echoing its `request` id.
    Answer {
        request: u64,
        answer: Answer,
    },
}

/// Answers to the console's query commands.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Test connection: each side's steps (`model::check::Step`), side name first.
    Connection(Vec<(String, Vec<crate::model::check::Step>)>),
    /// Source users matching a search: (object id, UPN, display name).
    Users(Vec<(String, String, Option<String>)>),
    /// A mapping evaluated for one user: target attribute → value (or the error's text).
    Evaluated(Vec<(String, Result<Option<String>, String>)>),
    /// One source user's attributes as the mappings see them (name → value; the manager is
    /// its object id). Values are the source's text: sanitise before drawing.
    SourceAttributes {
        attributes: std::collections::BTreeMap<String, crate::mapping::Value>,
    },
    /// Scope preview: counts and a few samples of each side of the decision.
    ScopePreview {
        users_in: u64,
        users_out: u64,
        groups_in: u64,
        samples_in: Vec<String>,
        samples_out: Vec<String>,
    },
    /// A reference row was created: its table and sys_id.
    Created { table: String, sys_id: String },
    /// Provision on demand: each object's steps and results.
    Provisioned(Box<super::OnDemand>),
    /// Provision on demand could not run: why, and what kind of failure (an unknown object is
    /// `Config`, an unreachable side `Connection`).
    NotProvisioned { kind: ErrorKind, message: String },
    /// The query failed.
    Failed(String),
}
