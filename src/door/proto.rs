//! The frames of the engine's socket: one JSON object per length-delimited frame, tagged by
//! `type`. Additions are compatible (new frame types, new optional fields); a change of
//! meaning bumps [`VERSION`].

use serde::{Deserialize, Serialize};

use super::backlog::Line;
use crate::sync::{
    Command, Counts, CycleKind, CycleStats, EngineState, ErrorKind, LogLevel, ObjectResult, SyncEvent, Totals,
};

/// The protocol's version, said in both hellos.
pub const VERSION: u32 = 1;

/// The largest frame either side accepts (a plan of a large tenant travels in one).
pub const MAX_FRAME: usize = 64 * 1024 * 1024;

/// Backlog lines per frame.
pub const BACKLOG_CHUNK: usize = 1000;

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// First frame of a connection.
    Hello {
        version: u32,
        /// Who the client is, for the log: "console", "status", …
        client: String,
        #[serde(default)]
        pid: Option<u32>,
    },
    /// A command, acknowledged with [`ServerFrame::Ack`] (or refused with an error) echoing `id`.
    Command { id: u64, command: WireCommand },
}

/// The engine commands served over the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum WireCommand {
    RunNow,
    /// A cycle that reads both sides whole (a reconciliation), whatever is due.
    Reconcile {
        #[serde(default)]
        dry_run: bool,
    },
    DryRun,
    ApplyPlan {
        plan_id: u64,
    },
    AllowDeletes,
    Pause,
    Resume,
    /// Re-read the configuration file and use the profile as saved from the next cycle.
    Reload,
    /// End the engine (the object in flight finishes); `nowsync run` exits.
    Stop,
}

impl WireCommand {
    /// The engine command, except `Reload` (the server resolves the profile first).
    pub fn command(self) -> Option<Command> {
        Some(match self {
            WireCommand::RunNow => Command::RunNow,
            WireCommand::Reconcile { dry_run } => Command::Reconcile { dry_run },
            WireCommand::DryRun => Command::DryRun,
            WireCommand::ApplyPlan { plan_id } => Command::ApplyPlan { plan_id },
            WireCommand::AllowDeletes => Command::AllowDeletes,
            WireCommand::Pause => Command::Pause,
            WireCommand::Resume => Command::Resume,
            WireCommand::Stop => Command::Stop,
            WireCommand::Reload => return None,
        })
    }

    /// How the log says it.
    pub fn words(self) -> &'static str {
        match self {
            WireCommand::RunNow => "run now",
            WireCommand::Reconcile { dry_run: false } => "reconcile now",
            WireCommand::Reconcile { dry_run: true } => "a dry run of a reconciliation",
            WireCommand::DryRun => "a dry run",
            WireCommand::ApplyPlan { .. } => "apply the shown plan",
            WireCommand::AllowDeletes => "allow the staged deletions",
            WireCommand::Pause => "pause",
            WireCommand::Resume => "resume",
            WireCommand::Reload => "reload the configuration",
            WireCommand::Stop => "stop the engine",
        }
    }
}

/// Who serves the socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineInfo {
    pub profile: String,
    pub pid: u32,
    /// When the engine started (RFC 3339, UTC).
    pub since: String,
    /// "systemd", "nowsync run" or "console".
    pub started_by: String,
    pub socket: String,
}

/// What the engine sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Welcome {
        version: u32,
        engine: EngineInfo,
        state: EngineState,
    },
    /// Part of the backlog, oldest first; `more` until its last part.
    Backlog {
        lines: Vec<Line>,
        more: bool,
    },
    Event {
        event: WireEvent,
    },
    Ack {
        id: u64,
    },
    /// A frame that was not understood or a command that cannot run; `id` when it was a
    /// command. A version mismatch closes the connection after it.
    Error {
        id: Option<u64>,
        message: String,
    },
}

/// A [`SyncEvent`] on the wire. A plan travels as its id, kind, counts and operations (JSON as
/// `sync --once --dry-run --json` prints them); query answers are not served on the socket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WireEvent {
    State {
        state: EngineState,
    },
    CycleStarted {
        cycle_id: i64,
        kind: CycleKind,
        dry_run: bool,
        totals: Totals,
    },
    FullCycle {
        cycle_id: i64,
        reason: String,
    },
    PlanReady {
        cycle_id: i64,
        plan_id: u64,
        kind: CycleKind,
        counts: Counts,
        ops: serde_json::Value,
    },
    Progress {
        cycle_id: i64,
        done: u64,
        total: u64,
    },
    ObjectDone {
        cycle_id: i64,
        result: Box<ObjectResult>,
    },
    CycleFinished {
        cycle_id: i64,
        dry_run: bool,
        stats: CycleStats,
    },
    Quarantine {
        cycle_id: Option<i64>,
        reason: Option<String>,
        next_attempt: Option<String>,
    },
    PlanRefused {
        plan_id: u64,
        reason: String,
    },
    Error {
        cycle_id: Option<i64>,
        kind: ErrorKind,
        message: String,
    },
    Log {
        level: LogLevel,
        message: String,
    },
}

impl WireEvent {
    /// The event's wire form; `None` for what the socket does not carry (query answers).
    pub fn of(event: &SyncEvent) -> Option<WireEvent> {
        Some(match event.clone() {
            SyncEvent::StateChanged(state) => WireEvent::State { state },
            SyncEvent::CycleStarted {
                cycle_id,
                kind,
                dry_run,
                totals,
            } => WireEvent::CycleStarted {
                cycle_id,
                kind,
                dry_run,
                totals,
            },
            SyncEvent::FullCycle { cycle_id, reason } => WireEvent::FullCycle { cycle_id, reason },
            SyncEvent::PlanReady { cycle_id, plan } => WireEvent::PlanReady {
                cycle_id,
                plan_id: plan.id,
                kind: plan.kind,
                counts: plan.counts.clone(),
                ops: serde_json::to_value(&plan.ops).unwrap_or_default(),
            },
            SyncEvent::Progress { cycle_id, done, total } => WireEvent::Progress { cycle_id, done, total },
            SyncEvent::ObjectDone { cycle_id, result } => WireEvent::ObjectDone {
                cycle_id,
                result: Box::new(result),
            },
            SyncEvent::CycleFinished {
                cycle_id,
                dry_run,
                stats,
            } => WireEvent::CycleFinished {
                cycle_id,
                dry_run,
                stats,
            },
            SyncEvent::Quarantine {
                cycle_id,
                reason,
                next_attempt,
            } => WireEvent::Quarantine {
                cycle_id,
                reason,
                next_attempt,
            },
            SyncEvent::PlanRefused { plan_id, reason } => WireEvent::PlanRefused { plan_id, reason },
            SyncEvent::Error {
                cycle_id,
                kind,
                message,
            } => WireEvent::Error {
                cycle_id,
                kind,
                message,
            },
            SyncEvent::Log { level, message } => WireEvent::Log { level, message },
            SyncEvent::Answer { .. } => return None,
        })
    }

    /// The event as the engine sent it, for a client that consumes `SyncEvent`s (the
    /// console); `None` for a plan, which does not travel whole.
    pub fn to_event(&self) -> Option<SyncEvent> {
        Some(match self.clone() {
            WireEvent::State { state } => SyncEvent::StateChanged(state),
            WireEvent::CycleStarted {
                cycle_id,
                kind,
                dry_run,
                totals,
            } => SyncEvent::CycleStarted {
                cycle_id,
                kind,
                dry_run,
                totals,
            },
            WireEvent::FullCycle { cycle_id, reason } => SyncEvent::FullCycle { cycle_id, reason },
            WireEvent::PlanReady { .. } => return None,
            WireEvent::Progress { cycle_id, done, total } => SyncEvent::Progress { cycle_id, done, total },
            WireEvent::ObjectDone { cycle_id, result } => SyncEvent::ObjectDone {
                cycle_id,
                result: *result,
            },
            WireEvent::CycleFinished {
                cycle_id,
                dry_run,
                stats,
            } => SyncEvent::CycleFinished {
                cycle_id,
                dry_run,
                stats,
            },
            WireEvent::Quarantine {
                cycle_id,
                reason,
                next_attempt,
            } => SyncEvent::Quarantine {
                cycle_id,
                reason,
                next_attempt,
            },
            WireEvent::PlanRefused { plan_id, reason } => SyncEvent::PlanRefused { plan_id, reason },
            WireEvent::Error {
                cycle_id,
                kind,
                message,
            } => SyncEvent::Error {
                cycle_id,
                kind,
                message,
            },
            WireEvent::Log { level, message } => SyncEvent::Log { level, message },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_tagged_json() {
        let hello = ClientFrame::Hello {
            version: VERSION,
            client: "console".into(),
            pid: Some(7),
        };
        let text = serde_json::to_string(&hello).unwrap();
        assert_eq!(text, r#"{"type":"hello","version":1,"client":"console","pid":7}"#);
        let command: ClientFrame =
            serde_json::from_str(r#"{"type":"command","id":3,"command":{"command":"apply_plan","plan_id":9}}"#)
                .unwrap();
        assert_eq!(
            command,
            ClientFrame::Command {
                id: 3,
                command: WireCommand::ApplyPlan { plan_id: 9 }
            }
        );
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"launch_missiles"}"#).is_err());
        assert!(
            serde_json::from_str::<ClientFrame>(r#"{"type":"command","id":1,"command":{"command":"format_disk"}}"#)
                .is_err()
        );
    }

    #[test]
    fn events_round_trip_except_plans() {
        let event = SyncEvent::CycleFinished {
            cycle_id: 4,
            dry_run: false,
            stats: CycleStats {
                created: 3,
                ..CycleStats::default()
            },
        };
        let wire = WireEvent::of(&event).unwrap();
        let back: WireEvent = serde_json::from_str(&serde_json::to_string(&wire).unwrap()).unwrap();
        assert_eq!(back.to_event().and_then(|e| WireEvent::of(&e)), Some(wire));
        assert_eq!(
            WireEvent::of(&SyncEvent::Answer {
                request: 1,
                answer: crate::sync::Answer::Failed("x".into())
            }),
            None
        );
    }
}
