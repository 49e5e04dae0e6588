//! What the engine tells its consumers ([`SyncEvent`]) and what it answers to the console's
//! questions ([`Answer`]). Events are small: a whole plan travels behind an `Arc`, history is
//! read from the store.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};

use super::op::{Change, CycleKind, ObjectType, Plan, Step};
use super::outcome::{Action, FailureCode, Status};
use crate::store::LogRecord;

pub use super::stats::{CycleStats, StopPhase, Stopped};

/// The engine's state, as a status line shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineState {
    Idle,
    Running,
    Paused,
    Stopped,
}

/// Totals known when a cycle starts (after the source and target reads).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub users: u64,
    pub groups: u64,
    /// Operations planned (the denominator of progress).
    pub operations: u64,
}

/// One object's result: the engine's event ([`SyncEvent::ObjectDone`]) and, through `From`,
/// the provisioning log's record (`store::LogRecord`, DESIGN.md `logs --format json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectResult {
    pub cycle_id: i64,
    /// `<cycle>-<object type>-<op hash>`.
    pub change_id: String,
    #[serde(serialize_with = "rfc3339_millis", deserialize_with = "from_rfc3339")]
    pub time: DateTime<Utc>,
    pub object_type: ObjectType,
    /// The Graph object id (for a membership: the group's).
    pub source_id: String,
    /// For a membership: the user's Graph id.
    pub member_id: Option<String>,
    /// UPN or group name (for a membership: `group / user`).
    pub source_name: String,
    pub target_id: Option<String>,
    pub action: Action,
    pub status: Status,
    pub error_code: Option<FailureCode>,
    pub reason: String,
    pub recommended_action: Option<String>,
    /// The object's pipeline (Import, Scope, Match) and its Action step.
    pub steps: Vec<Step>,
    pub modified_properties: Vec<Change>,
    pub duration_ms: u64,
}

fn rfc3339_millis<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// The other way, for a result read back from the engine's socket (`door`).
fn from_rfc3339<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(d)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| serde::de::Error::custom(format!("time {text:?}: {e}")))
}

impl From<&ObjectResult> for LogRecord {
    fn from(r: &ObjectResult) -> LogRecord {
        LogRecord {
            cycle_id: r.cycle_id,
            change_id: r.change_id.clone(),
            time: r.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            object_type: r.object_type,
            // The log names a membership by both ends.
            source_id: match &r.member_id {
                Some(member) => format!("{}/{member}", r.source_id),
                None => r.source_id.clone(),
            },
            source_name: r.source_name.clone(),
            target_id: r.target_id.clone(),
            action: r.action.to_string(),
            status: r.status.to_string(),
            error_code: r.error_code.map(|c| c.to_string()),
            reason: r.reason.clone(),
            recommended_action: r.recommended_action.clone(),
            steps: serde_json::to_value(&r.steps).unwrap_or(serde_json::Value::Null),
            modified_properties: serde_json::to_value(&r.modified_properties).unwrap_or(serde_json::Value::Null),
            duration_ms: r.duration_ms,
        }
    }
}

/// Which part of the engine an error came from; decides the CLI's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// Connection, TLS or authentication (exit 3).
    Connection,
    /// A side refused a call for a permission the app or account lacks: Graph's or
    /// ServiceNow's 403 (exit 3, as a connection problem; the message names what to grant).
    Permission,
    /// Configuration or mapping (exit 2).
    Config,
    /// The state database or the data dir (exit 2: the admin fixes the machine's state).
    Store,
    /// The command does not apply to the state as it is: a plan no longer the last one shown,
    /// nothing staged, no such object (exit 2, a usage error).
    Refused,
}

/// The kind in the admin's words, as the log and the console say it: "engine error
/// (permission): …".
impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ErrorKind::Connection => "connection",
            ErrorKind::Permission => "permission",
            ErrorKind::Config => "configuration",
            ErrorKind::Store => "state database",
            ErrorKind::Refused => "refused",
        })
    }
}

/// How much a [`SyncEvent::Log`] line matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// What the console's log pane shows at its debug level only (an object acted on).
    Debug,
    Info,
    Warn,
    Error,
}

/// The engine's events (DESIGN.md "The engine's door"); the console and the headless commands
/// consume the same ones, in-process or over the engine's socket (`door`), where each travels
/// as `{"event": "plan_ready", "data": …}` (a plan whole).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum SyncEvent {
    StateChanged(EngineState),
    /// A cycle (or dry run) began and is reading the source and the target: the phase before
    /// its plan and totals ([`SyncEvent::CycleStarted`]). Not sent for a shown plan applied.
    CycleReading {
        cycle_id: i64,
        kind: CycleKind,
        dry_run: bool,
    },
    /// When the engine's schedule runs the next cycle (RFC 3339, UTC), sent whenever that
    /// changes; `None`: no cycle runs by itself (provisioning off, paused, not scheduled).
    NextRun {
        at: Option<String>,
    },
    /// Scheduled cycles were paused (`true`) or resumed: sent the moment the engine takes a
    /// `Pause` or `Resume`, also while a cycle runs (which goes on to its end).
    Paused {
        paused: bool,
    },
    /// The engine took the configuration as saved (a console's save, a client's `reload`,
    /// SIGHUP): `changed` names each part of what a plan is made from that differs (empty:
    /// nothing a plan depends on); plans are made under `plan_hash` from now on, so a plan
    /// made under another is out of date, which every console shows at once.
    Reloaded {
        changed: Vec<String>,
        plan_hash: String,
    },
    /// What the deletion threshold holds changed without the quarantine's reason changing: a
    /// cycle staged a set, a provision on demand applied some of it, `allow-deletes` or a good
    /// cycle emptied it (acceptance N15). The counts now, as `status` gives them, so every
    /// console's Held row follows.
    Held {
        held: crate::sync::HeldCounts,
    },
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
    /// `ApplyPlan` was refused: the plan is out of date (made under other rules, or before a
    /// write since) or was applied already; `reason` says which and what to do.
    PlanRefused {
        plan_id: u64,
        reason: String,
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

/// Why a plan made under other rules is out of date, naming what changed ([`SyncEvent::Reloaded`]'s
/// `changed`): "the scope (all → assigned) changed since it was made".
pub fn changed_since(changed: &[String]) -> String {
    let what = match changed {
        [] => "the configuration".to_owned(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    format!("{what} changed since it was made")
}

/// The log's words for [`SyncEvent::Reloaded`].
pub fn reloaded_words(changed: &[String]) -> String {
    if changed.is_empty() {
        return "the engine took the saved configuration (nothing a plan is made from changed)".to_owned();
    }
    format!(
        "the engine took the saved configuration: {}; a plan made before is out of date",
        changed_since(changed).trim_end_matches(" since it was made")
    )
}

/// Answers to the console's query commands. The ones asked over the engine's socket travel
/// (provision on demand too: `nowsync provision` goes through a running engine's door); test
/// connection has a command of its own (`nowsync test-connection`) and stays in-process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "answer", content = "data", rename_all = "snake_case")]
pub enum Answer {
    /// Test connection: each side's steps (`model::check::Step`), side name first.
    #[serde(skip)]
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
    /// The plan a candidate profile would make now (`Command::PreviewPlan`).
    Preview(Arc<Plan>),
    /// A reference row was created: its table and sys_id.
    Created { table: String, sys_id: String },
    /// Provision on demand: each object's steps and results (over the socket too: `nowsync
    /// provision` while an engine serves the profile).
    Provisioned(Box<super::OnDemand>),
    /// Provision on demand could not run: why, and what kind of failure (an unknown object is
    /// `Refused`, an unreachable side `Connection`).
    NotProvisioned(super::AnswerError),
    /// SSO readiness (`Command::SsoCheck`). Names and values are the instance's and the
    /// directory's text: sanitise before drawing.
    Sso(Box<super::sso::SsoReport>),
    /// The question failed, or is not served where it was asked.
    Failed(super::AnswerError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_is_its_log_record() {
        let result = ObjectResult {
            cycle_id: 7,
            change_id: "7-membership-h".into(),
            time: DateTime::UNIX_EPOCH,
            object_type: ObjectType::Membership,
            source_id: "g1".into(),
            member_id: Some("u1".into()),
            source_name: "Team / a@x".into(),
            target_id: None,
            action: Action::AddMember,
            status: Status::Failure,
            error_code: Some(FailureCode::ReferenceNotProvisioned),
            reason: "the user was not provisioned".into(),
            recommended_action: Some("fix it".into()),
            steps: vec![Step {
                name: "Action".into(),
                status: Status::Failure,
                detail: "add_member the user was not provisioned".into(),
            }],
            modified_properties: Vec::new(),
            duration_ms: 3,
        };
        let record = LogRecord::from(&result);
        assert_eq!(record.source_id, "g1/u1", "a membership names both ends");
        assert_eq!(record.time, "1970-01-01T00:00:00.000Z");
        assert_eq!(
            (
                record.object_type.as_str(),
                record.action.as_str(),
                record.status.as_str()
            ),
            ("membership", "add_member", "failure")
        );
        assert_eq!(record.error_code.as_deref(), Some("ReferenceNotProvisioned"));
        assert_eq!(record.steps[0]["status"], "failure");
        assert_eq!(serde_json::to_value(&result).unwrap()["time"], record.time);
    }
}
