//! The live log pane's buffer: a bounded ring of lines, with follow, scroll, pause and
//! filters by level and text. Lines come from the engine's events through one pure function,
//! [`line_of`], and from the console's own reports (an export written, a signal).
//!
//! Invariants: at most `capacity` lines are kept (the oldest go first, and are counted);
//! every line was sanitised for the terminal when it was pushed; drawing a frame visits only
//! the lines it shows (plus the ones a filter skips), never the whole buffer.

mod line;

pub use line::line_of;

use std::collections::VecDeque;

use crate::model::text::sanitize_for_terminal;

/// The default capacity: issue 7 asks for at least 100,000 lines.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Severity of a line, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }

    /// The next stricter level, wrapping to `Debug`: the `l` key.
    pub fn next(self) -> Self {
        match self {
            Level::Debug => Level::Info,
            Level::Info => Level::Warn,
            Level::Warn => Level::Error,
            Level::Error => Level::Debug,
        }
    }
}

impl From<crate::sync::LogLevel> for Level {
    fn from(level: crate::sync::LogLevel) -> Self {
        match level {
            crate::sync::LogLevel::Debug => Level::Debug,
            crate::sync::LogLevel::Info => Level::Info,
            crate::sync::LogLevel::Warn => Level::Warn,
            crate::sync::LogLevel::Error => Level::Error,
        }
    }
}

/// What a line says, before the pane stamps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub level: Level,
    pub text: String,
}

impl LogLine {
    pub fn new(level: Level, text: impl Into<String>) -> Self {
        Self {
            level,
            text: text.into(),
        }
    }
}

/// One line of the pane, as kept: stamped and sanitised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamped {
    /// `HH:MM:SS` (UTC).
    pub time: String,
    pub level: Level,
    pub text: String,
}

/// The ring buffer and the view over it.
#[derive(Debug, Clone)]
pub struct LogBuffer {
    lines: VecDeque<Stamped>,
    capacity: usize,
    /// Lines dropped because the buffer was full.
    pub dropped: u64,
    /// Matching lines between the newest and the bottom of the view; 0 follows the tail.
    pub offset: usize,
    /// The view stays where it is while lines arrive.
    pub paused: bool,
    pub min_level: Level,
    /// Case-insensitive text every shown line contains (lower-cased).
    pub filter: String,
}

impl Default for LogBuffer {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl LogBuffer {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            lines: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
            dropped: 0,
            offset: 0,
            paused: false,
            min_level: Level::Debug,
            filter: String::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Adds a line (sanitised here); a paused or scrolled view keeps showing the same lines.
    pub fn push(&mut self, time: String, level: Level, text: &str) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
            self.dropped += 1;
        }
        let line = Stamped {
            time,
            level,
            text: sanitize_for_terminal(text),
        };
        if (self.paused || self.offset > 0) && self.matches(&line) {
            self.offset += 1;
        }
        self.lines.push_back(line);
    }

    /// Adds what `line` says, stamped `time`.
    pub fn push_line(&mut self, time: String, line: LogLine) {
        self.push(time, line.level, &line.text);
    }

    /// Whether follow mode is on (the view shows the newest lines as they come).
    pub fn following(&self) -> bool {
        self.offset == 0 && !self.paused
    }

    /// Back by `n` matching lines, stopping at the oldest matching line (it stays shown: a
    /// filtered view of one line scrolled it away and Enter then said the log was empty).
    pub fn scroll_up(&mut self, n: usize) {
        let oldest = self.matching().saturating_sub(1);
        self.offset = self.offset.saturating_add(n).min(oldest);
    }

    /// The lines the level and the text filter let through.
    pub fn matching(&self) -> usize {
        self.lines.iter().filter(|l| self.matches(l)).count()
    }

    pub fn scroll_down(&mut self, n: usize) {
        self.offset = self.offset.saturating_sub(n);
    }

    /// Back to the newest line, following.
    pub fn follow(&mut self) {
        self.offset = 0;
        self.paused = false;
    }

    pub fn set_filter(&mut self, text: &str) {
        self.filter = text.to_lowercase();
        self.offset = 0;
    }

    fn matches(&self, line: &Stamped) -> bool {
        line.level >= self.min_level && (self.filter.is_empty() || line.text.to_lowercase().contains(&self.filter))
    }

    /// The `height` matching lines that end `offset` matching lines before the newest, oldest
    /// first.
    pub fn visible(&self, height: usize) -> Vec<&Stamped> {
        let mut out: Vec<&Stamped> = self
            .lines
            .iter()
            .rev()
            .filter(|l| self.matches(l))
            .skip(self.offset)
            .take(height)
            .collect();
        out.reverse();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push_n(log: &mut LogBuffer, n: usize) {
        for i in 0..n {
            let level = if i % 10 == 0 { Level::Error } else { Level::Info };
            log.push("00:00:00".into(), level, &format!("line {i}"));
        }
    }

    #[test]
    fn bounded_and_counts_drops() {
        let mut log = LogBuffer::with_capacity(5);
        push_n(&mut log, 12);
        assert_eq!(log.len(), 5);
        assert_eq!(log.dropped, 7);
        let shown: Vec<_> = log.visible(3).iter().map(|l| l.text.clone()).collect();
        assert_eq!(shown, ["line 9", "line 10", "line 11"]);
    }

    #[test]
    fn scrolled_view_stays_put_while_lines_arrive() {
        let mut log = LogBuffer::default();
        push_n(&mut log, 20);
        log.scroll_up(5);
        let before: Vec<_> = log.visible(2).iter().map(|l| l.text.clone()).collect();
        push_n(&mut log, 3);
        let after: Vec<_> = log.visible(2).iter().map(|l| l.text.clone()).collect();
        assert_eq!(before, after);
        log.follow();
        assert!(log.following());
    }

    #[test]
    fn filters_by_level_and_text_and_sanitises() {
        let mut log = LogBuffer::default();
        push_n(&mut log, 30);
        log.min_level = Level::Error;
        assert_eq!(log.visible(100).len(), 3);
        log.min_level = Level::Debug;
        log.set_filter("LINE 2");
        assert_eq!(log.visible(100).len(), 11);
        log.push("t".into(), Level::Info, "\x1b[2Jboom");
        log.set_filter("");
        assert_eq!(log.visible(1)[0].text, "\\u{1b}[2Jboom");
    }

    /// Acceptance F9: ↑ on a filtered view of one line scrolled it away (blank pane, "scrolled
    /// 1"); the oldest matching line stays at the bottom however far back the view goes.
    #[test]
    fn scrolling_back_stops_at_the_oldest_matching_line() {
        let mut log = LogBuffer::default();
        push_n(&mut log, 30);
        log.set_filter("line 17");
        log.scroll_up(1);
        assert_eq!(log.offset, 0);
        assert_eq!(
            log.visible(10).iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            ["line 17"]
        );
        log.set_filter("line 1");
        log.scroll_up(usize::MAX / 2);
        assert_eq!(log.offset, 10, "11 lines match: the oldest at the bottom");
        assert_eq!(log.visible(1)[0].text, "line 1");
        log.set_filter("");
        log.scroll_up(100);
        assert_eq!(log.visible(1)[0].text, "line 0");
    }
}
