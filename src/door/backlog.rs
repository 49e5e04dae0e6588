//! The engine's log backlog: the last [`LINES`] lines of what it did, sent to a client when it
//! attaches so a console opened mid-cycle (or after) shows what happened before it.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::sync::outcome::Status;
use crate::sync::{LogLevel, SyncEvent};

/// Lines kept (issue 15: at least 10,000).
pub const LINES: usize = 10_000;

/// One line of the backlog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// RFC 3339, UTC.
    pub time: String,
    pub level: LogLevel,
    /// The engine's words and the directory's values: sanitise before a terminal.
    pub text: String,
}

/// The last `capacity` lines, oldest first.
#[derive(Debug)]
pub struct Backlog {
    lines: VecDeque<Line>,
    capacity: usize,
    /// Lines dropped from the front so far.
    pub dropped: u64,
}

impl Backlog {
    pub fn new(capacity: usize) -> Backlog {
        Backlog {
            lines: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
            dropped: 0,
        }
    }

    pub fn push(&mut self, level: LogLevel, text: String) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
            self.dropped += 1;
        }
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        self.lines.push_back(Line { time, level, text });
    }

    /// The event's line, if it makes one.
    pub fn record(&mut self, event: &SyncEvent) {
        if let Some((level, text)) = line_of(event) {
            self.push(level, text);
        }
    }

    pub fn lines(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter()
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// A cycle by its number; a dry run takes none (its id is the next cycle's, issue 14).
fn cycle_name(cycle_id: i64, dry_run: bool) -> String {
    if dry_run {
        "dry run".to_owned()
    } else {
        format!("cycle {cycle_id}")
    }
}

/// `1 user`, `2 users`.
fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The backlog's line of an event: cycles, objects acted on, errors, the engine's own lines.
/// Progress, plans and answers make none (the console shows them elsewhere).
pub fn line_of(event: &SyncEvent) -> Option<(LogLevel, String)> {
    let info = |t: String| Some((LogLevel::Info, t));
    match event {
        SyncEvent::StateChanged(state) => info(format!("engine {}", serde_state(*state))),
        SyncEvent::CycleStarted {
            cycle_id,
            kind,
            dry_run,
            totals,
        } => info(format!(
            "{} started ({kind:?}): {}, {}, {}",
            cycle_name(*cycle_id, *dry_run),
            plural(totals.users, "user"),
            plural(totals.groups, "group"),
            plural(totals.operations, "operation")
        )),
        SyncEvent::CycleReading {
            cycle_id,
            kind,
            dry_run,
        } => info(format!(
            "{} ({kind:?}): reading the source and the target",
            cycle_name(*cycle_id, *dry_run)
        )),
        SyncEvent::FullCycle { cycle_id, reason } => info(format!("cycle {cycle_id} is a full one: {reason}")),
        SyncEvent::ObjectDone { result, .. } if result.status != Status::Skipped => {
            let level = if result.status == Status::Failure {
                LogLevel::Error
            } else {
                LogLevel::Info
            };
            let mut text = format!(
                "{} {} {} {}",
                result.status,
                result.action,
                result.object_type.as_str(),
                result.source_name
            );
            if let Some(code) = &result.error_code {
                text.push_str(&format!(" {code}: {}", result.reason));
            }
            Some((level, text))
        }
        SyncEvent::CycleFinished {
            cycle_id,
            dry_run,
            stats,
        } => info(format!(
            "{} finished: created {}, updated {}, disabled {}, deleted {}, members added {}, removed {}, failed {}; {} writes in {:.1} s",
            cycle_name(*cycle_id, *dry_run),
            stats.created,
            stats.updated,
            stats.disabled,
            stats.deleted,
            stats.members_added,
            stats.members_removed,
            stats.failed,
            stats.writes,
            stats.duration_ms as f64 / 1000.0
        )),
        SyncEvent::Quarantine {
            reason, next_attempt, ..
        } => Some(match reason {
            Some(r) => (
                LogLevel::Warn,
                format!(
                    "quarantined: {r}; next attempt {}",
                    next_attempt.as_deref().unwrap_or("-")
                ),
            ),
            None => (LogLevel::Info, "quarantine ended".to_owned()),
        }),
        SyncEvent::PlanRefused { reason, .. } => Some((LogLevel::Warn, reason.clone())),
        SyncEvent::Error { message, .. } => Some((LogLevel::Error, message.clone())),
        SyncEvent::Log { level, message } => Some((*level, message.clone())),
        _ => None,
    }
}

fn serde_state(state: crate::sync::EngineState) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines_and_counts_the_dropped() {
        let mut backlog = Backlog::new(LINES);
        for i in 0..LINES + 25 {
            backlog.push(LogLevel::Info, format!("line {i}"));
        }
        assert_eq!(backlog.len(), LINES);
        assert_eq!(backlog.dropped, 25);
        assert_eq!(backlog.lines().next().map(|l| l.text.as_str()), Some("line 25"));
        assert_eq!(
            backlog.lines().last().map(|l| l.text.clone()),
            Some(format!("line {}", LINES + 24))
        );
    }

    #[test]
    fn an_engine_line_and_a_state_change_make_lines_progress_does_not() {
        let mut backlog = Backlog::new(10);
        backlog.record(&SyncEvent::Progress {
            cycle_id: 1,
            done: 1,
            total: 2,
        });
        backlog.record(&SyncEvent::StateChanged(crate::sync::EngineState::Running));
        backlog.record(&SyncEvent::Log {
            level: LogLevel::Warn,
            message: "held back".into(),
        });
        let texts: Vec<_> = backlog.lines().map(|l| (l.level, l.text.as_str())).collect();
        assert_eq!(
            texts,
            [(LogLevel::Info, "engine running"), (LogLevel::Warn, "held back")]
        );
    }
}
