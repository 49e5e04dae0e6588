//! The frames of the engine's socket: one JSON object per length-delimited frame, tagged by
//! `type`. Additions are compatible (new frame types, new optional fields); a change of
//! meaning bumps [`VERSION`].

use serde::{Deserialize, Serialize};

use super::backlog::Line;
use crate::sync::{Command, EngineState, SyncEvent};

/// The protocol's version, said in both hellos. 2: commands are `sync::Command` itself (a
/// question no longer wrapped in `query`) and a reload is its own frame.
pub const VERSION: u32 = 2;

/// The largest frame either side accepts (a plan of a large tenant travels in one).
pub const MAX_FRAME: usize = 64 * 1024 * 1024;

/// Backlog lines per frame.
pub const BACKLOG_CHUNK: usize = 1000;

/// What a client sends.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// An engine command, `sync::Command` itself (tagged by `command`), acknowledged with
    /// [`ServerFrame::Ack`] (or refused with an error) echoing `id`. The console's questions
    /// ([`Command::is_query`]) are answered by a [`SyncEvent::Answer`] with their `request`
    /// id, to this client only; what holds a resolved profile does not travel (serde skips it).
    Command { id: u64, command: Command },
    /// Re-read the configuration file and use the profile as saved from the next cycle: the
    /// engine's [`Command::Reload`] holds a resolved profile, which does not travel, so the
    /// serving side resolves it from the file. Acknowledged as a command is.
    Reload { id: u64 },
}

/// How the socket's log says what a client asked (`console asked: run now`).
pub fn words(command: &Command) -> &'static str {
    match command {
        Command::RunNow => "run now",
        Command::Reconcile { dry_run: false } => "reconcile now",
        Command::Reconcile { dry_run: true } => "a dry run of a reconciliation",
        Command::DryRun => "a dry run",
        Command::ApplyPlan { .. } => "apply the shown plan",
        Command::AllowDeletes => "allow the staged deletions",
        Command::Pause => "pause",
        Command::Resume => "resume",
        Command::Reload(_) => "reload the configuration",
        Command::Stop => "stop the engine",
        query => crate::sync::describe(query),
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
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// After the backlog: the running cycle, the last plan and where it stands, the next
    /// scheduled cycle ([`super::replay`]).
    Replay {
        replay: super::replay::Replay,
    },
    Event {
        event: SyncEvent,
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
        assert_eq!(text, r#"{"type":"hello","version":2,"client":"console","pid":7}"#);
        let command: ClientFrame =
            serde_json::from_str(r#"{"type":"command","id":3,"command":{"command":"apply_plan","plan_id":9}}"#)
                .unwrap();
        assert!(matches!(
            command,
            ClientFrame::Command {
                id: 3,
                command: Command::ApplyPlan { plan_id: 9 }
            }
        ));
        let reload = serde_json::to_string(&ClientFrame::Reload { id: 4 }).unwrap();
        assert_eq!(reload, r#"{"type":"reload","id":4}"#);
        let search: ClientFrame = serde_json::from_str(
            r#"{"type":"command","id":5,"command":{"command":"search_users","request":1,"text":"ann","limit":5}}"#,
        )
        .unwrap();
        assert!(matches!(
            search,
            ClientFrame::Command {
                id: 5,
                command: Command::SearchUsers {
                    request: 1,
                    limit: 5,
                    ..
                }
            }
        ));
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"launch_missiles"}"#).is_err());
        assert!(
            serde_json::from_str::<ClientFrame>(r#"{"type":"command","id":1,"command":{"command":"format_disk"}}"#)
                .is_err()
        );
        // What holds a resolved profile does not travel, either way.
        assert!(
            serde_json::from_str::<ClientFrame>(r#"{"type":"command","id":1,"command":{"command":"reload"}}"#).is_err()
        );
        assert!(
            serde_json::from_str::<ClientFrame>(
                r#"{"type":"command","id":1,"command":{"command":"apply_plan","plan_id":1,"launch":true}}"#
            )
            .is_err()
        );
    }

    #[test]
    fn the_log_says_what_a_client_asked_in_its_own_words() {
        assert_eq!(words(&Command::Reconcile { dry_run: false }), "reconcile now");
        assert_eq!(
            words(&Command::Reconcile { dry_run: true }),
            "a dry run of a reconciliation"
        );
        assert_eq!(words(&Command::RunNow), "run now");
        assert_eq!(words(&Command::Stop), "stop the engine");
        let search = Command::SearchUsers {
            request: 1,
            text: "a".into(),
            limit: 1,
        };
        assert_eq!(words(&search), crate::sync::describe(&search));
    }

    #[test]
    fn events_travel_whole_plans_included() {
        use crate::sync::op::{CycleKind, ObjectType, Op, OpKind, Plan};
        use crate::sync::outcome::SkipReason;
        let op = |kind| Op {
            object_type: ObjectType::User,
            source_id: "u1".into(),
            source_name: "a@x".into(),
            target_id: Some("s1".into()),
            member_id: None,
            kind,
            steps: Vec::new().into(),
            hash: "h".into(),
        };
        let mut plan = Plan::new(
            7,
            CycleKind::Initial,
            vec![
                op(OpKind::Update {
                    diff: vec![crate::sync::op::Change::new(
                        "title",
                        Some("a".into()),
                        Some("b".into()),
                    )],
                }),
                op(OpKind::Skip {
                    reason: SkipReason::InSync,
                }),
                op(OpKind::Delete),
            ],
        );
        plan.basis.profile = "p".into();
        plan.basis.cycle_id = 4;
        let event = SyncEvent::PlanReady {
            cycle_id: 4,
            plan: std::sync::Arc::new(plan.clone()),
        };
        let text = serde_json::to_string(&ServerFrame::Event { event }).unwrap();
        let Ok(ServerFrame::Event {
            event: SyncEvent::PlanReady {
                cycle_id: 4,
                plan: back,
            },
        }) = serde_json::from_str(&text)
        else {
            panic!("{text}");
        };
        assert_eq!(*back, plan, "the whole plan, its basis too");
        let state: ServerFrame = serde_json::from_str(
            &serde_json::to_string(&ServerFrame::Event {
                event: SyncEvent::StateChanged(EngineState::Paused),
            })
            .unwrap(),
        )
        .unwrap();
        assert!(matches!(
            state,
            ServerFrame::Event {
                event: SyncEvent::StateChanged(EngineState::Paused)
            }
        ));
    }

    #[test]
    fn answers_of_in_process_queries_do_not_serialise() {
        let answer = SyncEvent::Answer {
            request: 1,
            answer: crate::sync::Answer::Connection(Vec::new()),
        };
        assert!(serde_json::to_string(&answer).is_err());
        let users = SyncEvent::Answer {
            request: 1,
            answer: crate::sync::Answer::Users(vec![("id".into(), "a@x".into(), None)]),
        };
        let failed = SyncEvent::Answer {
            request: 2,
            answer: crate::sync::Answer::Failed(crate::sync::AnswerError::not_served("not here")),
        };
        let text = serde_json::to_string(&failed).unwrap();
        let Ok(SyncEvent::Answer {
            answer: crate::sync::Answer::Failed(back),
            ..
        }) = serde_json::from_str(&text)
        else {
            panic!("{text}");
        };
        assert_eq!(
            back.kind,
            crate::sync::ErrorKind::Refused,
            "a failure travels typed: {text}"
        );
        assert_eq!(back.message, "not here");
        let text = serde_json::to_string(&users).unwrap();
        assert!(matches!(
            serde_json::from_str(&text).unwrap(),
            SyncEvent::Answer {
                request: 1,
                answer: crate::sync::Answer::Users(_)
            }
        ));
    }
}
