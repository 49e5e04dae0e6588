//! The engine's log backlog: the last [`LINES`] lines of what it did, sent to a client when it
//! attaches so a console opened mid-cycle (or after) shows what happened before it.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

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

/// The backlog's line of an event, in the console's log pane's words (`sync::line`, one
/// wording for the console owning the engine and every console attached to it). An answer
/// makes none: it goes to the client that asked only.
pub fn line_of(event: &SyncEvent) -> Option<(LogLevel, String)> {
    match event {
        SyncEvent::Answer { .. } => None,
        event => crate::sync::line::line_of(event),
    }
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
            [(LogLevel::Info, "engine: Running"), (LogLevel::Warn, "held back")]
        );
    }
}
