//! The one pipe from the engine into the log pane: what each [`SyncEvent`] says as a line, in
//! the words of [`crate::sync::line`], which the engine's backlog for attaching consoles uses
//! too.
//!
//! Pure: no clock (the pane stamps the time), no state. Foreign text (names, reasons) is
//! sanitised by the pane when the line is pushed.

use super::LogLine;
use crate::sync::SyncEvent;

/// The log pane's line for `event`, or `None` when it is not worth one (progress ticks, the
/// answers the screens show themselves).
pub fn line_of(event: &SyncEvent) -> Option<LogLine> {
    crate::sync::line::line_of(event).map(|(level, text)| LogLine::new(level.into(), text))
}

#[cfg(test)]
fn cycle_finished(cycle_id: i64, dry_run: bool, stats: &crate::sync::CycleStats) -> LogLine {
    let (level, text) = crate::sync::line::cycle_finished(cycle_id, dry_run, stats);
    LogLine::new(level.into(), text)
}

#[cfg(test)]
mod tests {
    use super::super::Level;
    use super::*;
    use crate::sync::CycleStats;
    use crate::sync::{ErrorKind, LogLevel};

    /// Regression (acceptance test): a cycle stopped while reading was logged as "cycle 2
    /// finished: 0 created, … 0 failed", a clean cycle that never ran; one stopped while
    /// applying as "finished".
    #[test]
    fn a_stopped_cycle_is_logged_as_stopped_never_as_finished() {
        use crate::sync::{StopPhase, Stopped};
        let reading = CycleStats {
            stopped: Some(Stopped {
                phase: StopPhase::Reading,
                done: 0,
                total: 0,
            }),
            ..CycleStats::default()
        };
        let line = cycle_finished(2, false, &reading);
        assert_eq!(line.level, Level::Warn);
        assert_eq!(
            line.text,
            "cycle 2 stopped while reading: nothing was written; the next cycle reads again"
        );

        let applying = CycleStats {
            created: 298,
            stopped: Some(Stopped {
                phase: StopPhase::Applying,
                done: 402,
                total: 1016,
            }),
            ..CycleStats::default()
        };
        let line = cycle_finished(1, false, &applying);
        assert!(
            line.text.starts_with(
                "cycle 1 stopped after 402 of 1,016 operations (the next cycle plans the rest): 298 created"
            ),
            "{}",
            line.text
        );
        assert!(!line.text.contains("finished"), "{}", line.text);
        assert_eq!(
            cycle_finished(3, false, &CycleStats::default()).text.split(':').next(),
            Some("cycle 3 finished")
        );
    }

    /// Regression (acceptance test): the log said "0 update" for a dry run whose plan screen
    /// and confirm dialog said 9 updates (reference updates).
    #[test]
    fn a_plan_s_line_counts_what_the_plan_screen_counts() {
        let mut plan = crate::sync::Plan::new(2, crate::sync::CycleKind::Incremental, Vec::new());
        plan.counts = crate::sync::Counts {
            set_reference: 9,
            staged_delete: 1,
            held_disable: 1,
            held_remove_member: 2,
            error: 108,
            ..Default::default()
        };
        let event = SyncEvent::PlanReady {
            cycle_id: 2,
            plan: std::sync::Arc::new(plan),
        };
        // Held ops are held with their real actions, never deletes (acceptance: "843 delete").
        assert_eq!(
            line_of(&event).map(|l| l.text),
            Some(
                "plan 2: 0 create, 9 update, 0 disable, 0 delete, held by the deletion threshold: 1 disable, 2 membership removals, 108 errors (a opens it)"
                    .to_owned()
            )
        );
    }

    #[test]
    fn engine_notes_keep_their_level_and_progress_says_nothing() {
        let note = SyncEvent::Log {
            level: LogLevel::Warn,
            message: "deletion threshold exceeded".into(),
        };
        assert_eq!(
            line_of(&note),
            Some(LogLine::new(Level::Warn, "deletion threshold exceeded"))
        );
        let progress = SyncEvent::Progress {
            cycle_id: 1,
            done: 1,
            total: 2,
        };
        assert_eq!(line_of(&progress), None);
    }

    #[test]
    fn failures_are_errors_and_say_what_failed() {
        let finished = SyncEvent::CycleFinished {
            cycle_id: 4,
            dry_run: true,
            stats: CycleStats {
                failed: 2,
                ..CycleStats::default()
            },
        };
        let l = line_of(&finished).unwrap();
        assert_eq!(l.level, Level::Warn);
        assert!(l.text.starts_with("dry run (nothing written) finished: "), "{}", l.text);
        let error = SyncEvent::Error {
            cycle_id: None,
            kind: ErrorKind::Connection,
            message: "401".into(),
        };
        assert_eq!(line_of(&error).unwrap().text, "engine error (connection): 401");
    }

    /// Acceptance pass (issue 14): a console attached to an engine read its backlog in other
    /// words than the owning console's pane ("engine running" and "engine: Running", "cycle 2
    /// finished: created 3, …" and "cycle 2 finished: 3 created, …", a quarantine's next
    /// attempt). Both come from `sync::line` now.
    #[test]
    fn an_attached_consoles_backlog_says_each_event_as_the_owning_consoles_pane() {
        use crate::sync::{CycleKind, EngineState, Totals};
        let stats = CycleStats {
            created: 3,
            failed: 1,
            ..CycleStats::default()
        };
        let events = [
            SyncEvent::StateChanged(EngineState::Running),
            SyncEvent::CycleStarted {
                cycle_id: 2,
                kind: CycleKind::Incremental,
                dry_run: false,
                totals: Totals::default(),
            },
            SyncEvent::CycleReading {
                cycle_id: 2,
                kind: CycleKind::Incremental,
                dry_run: true,
            },
            SyncEvent::FullCycle {
                cycle_id: 2,
                reason: "the delta token expired".into(),
            },
            SyncEvent::CycleFinished {
                cycle_id: 2,
                dry_run: false,
                stats: stats.clone(),
            },
            SyncEvent::CycleFinished {
                cycle_id: 2,
                dry_run: true,
                stats,
            },
            SyncEvent::Quarantine {
                cycle_id: Some(2),
                reason: Some("deletion threshold".into()),
                next_attempt: Some("06:00".into()),
            },
            SyncEvent::PlanRefused {
                plan_id: 4,
                reason: "this plan is out of date".into(),
            },
            SyncEvent::Error {
                cycle_id: None,
                kind: ErrorKind::Connection,
                message: "401".into(),
            },
            SyncEvent::Log {
                level: LogLevel::Warn,
                message: "held back".into(),
            },
        ];
        for event in &events {
            let pane = line_of(event);
            let backlog = crate::door::backlog::line_of(event).map(|(level, text)| LogLine::new(level.into(), text));
            assert_eq!(backlog, pane, "{event:?}");
        }
    }
}
