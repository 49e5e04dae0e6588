//! The one pipe from the engine into the log pane: what each [`SyncEvent`] says as a line.
//!
//! Pure: no clock (the pane stamps the time), no state. Foreign text (names, reasons) is
//! sanitised by the pane when the line is pushed.

use super::{Level, LogLine};
use crate::sync::{Answer, CycleStats, ObjectResult, SyncEvent};

/// A cycle by its number; a dry run is not a cycle: it is named by its plan (the plan's own
/// line), not a number.
fn cycle_name(cycle_id: i64, dry_run: bool) -> String {
    if dry_run {
        "dry run".to_owned()
    } else {
        format!("cycle {cycle_id}")
    }
}

/// The quarantine's line: started (why, when next) or ended.
fn quarantine(reason: Option<&str>, next_attempt: Option<&str>) -> String {
    match reason {
        Some(r) => {
            let next = next_attempt.map(|n| format!(", next attempt {n}")).unwrap_or_default();
            format!("quarantined: {r}{next} (nowsync allow-deletes or restart --scope quarantine)")
        }
        None => "quarantine ended".to_owned(),
    }
}

/// The log pane's line for `event`, or `None` when it is not worth one (progress ticks, the
/// answers the screens show themselves).
pub fn line_of(event: &SyncEvent) -> Option<LogLine> {
    let line = |level, text: String| Some(LogLine::new(level, text));
    match event {
        SyncEvent::StateChanged(state) => line(Level::Info, format!("engine: {state:?}")),
        SyncEvent::CycleStarted {
            cycle_id,
            kind,
            dry_run,
            totals,
        } => line(
            Level::Info,
            format!(
                "{} started ({kind:?}): {}, {}, {}",
                cycle_name(*cycle_id, *dry_run),
                crate::tui::text::count(totals.users, "user", "users"),
                crate::tui::text::count(totals.groups, "group", "groups"),
                crate::tui::text::count(totals.operations, "operation", "operations")
            ),
        ),
        SyncEvent::Quarantine {
            reason, next_attempt, ..
        } => line(Level::Warn, quarantine(reason.as_deref(), next_attempt.as_deref())),
        SyncEvent::CycleReading {
            cycle_id,
            kind,
            dry_run,
        } => line(
            Level::Info,
            format!(
                "{} ({}): reading the source and the target",
                cycle_name(*cycle_id, *dry_run),
                kind.as_str()
            ),
        ),
        // The status line and the dashboard say it; a client's ask is logged by the door.
        SyncEvent::NextRun { .. } | SyncEvent::Paused { .. } => None,
        // The engine turned an incremental cycle into a full one: say why, never silently.
        SyncEvent::FullCycle { cycle_id, reason } => line(
            Level::Warn,
            format!("cycle {cycle_id}: reading everything again: {reason}"),
        ),
        SyncEvent::PlanReady { plan, cycle_id } => {
            let c = &plan.counts;
            // Only a dry run's plan has a number; a real cycle's own plan is named by the cycle.
            let name = if plan.numbered() {
                format!("plan {}", plan.id)
            } else {
                format!("cycle {cycle_id}'s own plan")
            };
            line(
                Level::Info,
                format!(
                    "{name}: {} create, {} update, {} disable, {} delete, {} (a opens it)",
                    c.create,
                    // As the plan screen counts them: reference updates are updates, staged
                    // deletes deletes.
                    c.update + c.set_reference,
                    c.disable,
                    c.delete + c.staged_delete,
                    crate::tui::text::count(c.error, "error", "errors")
                ),
            )
        }
        SyncEvent::Progress { .. } => None,
        SyncEvent::ObjectDone { cycle_id, result } => Some(object_done(*cycle_id, result)),
        SyncEvent::CycleFinished {
            cycle_id,
            dry_run,
            stats,
        } => Some(cycle_finished(*cycle_id, *dry_run, stats)),
        SyncEvent::PlanRefused { reason, .. } => line(Level::Warn, reason.clone()),
        SyncEvent::Error { kind, message, .. } => line(Level::Error, format!("engine error ({kind:?}): {message}")),
        SyncEvent::Log { level, message } => line((*level).into(), message.clone()),
        SyncEvent::Answer { answer, .. } => match answer {
            Answer::Created { table, sys_id } => line(
                Level::Info,
                format!("created the {table} row {sys_id}: run a cycle (r) to retry the failed users"),
            ),
            Answer::Failed(e) => line(Level::Warn, format!("the engine could not do it: {e}")),
            _ => None,
        },
    }
}

/// One object's result: an error when it failed, a debug line otherwise.
fn object_done(cycle_id: i64, result: &ObjectResult) -> LogLine {
    let code = result.error_code.map(|c| format!(" [{c}]")).unwrap_or_default();
    let level = if result.status == crate::sync::outcome::Status::Failure {
        Level::Error
    } else {
        Level::Debug
    };
    LogLine::new(
        level,
        format!(
            "cycle {cycle_id}: {} {} {}: {}{code} {}",
            result.object_type.as_str(),
            result.source_name,
            result.action,
            result.status,
            result.reason
        ),
    )
}

/// A cycle's counts: a warning when objects failed.
fn cycle_finished(cycle_id: i64, dry_run: bool, stats: &CycleStats) -> LogLine {
    // A cycle stopped before it planned wrote nothing: a row of zeros would read as a clean cycle.
    if let Some(stopped) = stats.stopped.as_ref().filter(|s| s.total == 0) {
        return LogLine::new(
            Level::Warn,
            format!("cycle {cycle_id} {stopped}: nothing was written; the next cycle reads again"),
        );
    }
    let ended = match &stats.stopped {
        Some(stopped) => format!("{stopped} (the next cycle plans the rest)"),
        None => "finished".to_owned(),
    };
    LogLine::new(
        if stats.failed > 0 || stats.stopped.is_some() {
            Level::Warn
        } else {
            Level::Info
        },
        format!(
            "{} {ended}: {} created, {} updated, {} disabled, {} deleted, {} skipped, {} failed in {} ms",
            if dry_run {
                "dry run (nothing written)".to_owned()
            } else {
                format!("cycle {cycle_id}")
            },
            stats.created,
            stats.updated,
            stats.disabled,
            stats.deleted,
            stats.skipped,
            stats.failed,
            stats.duration_ms
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
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
            error: 108,
            ..Default::default()
        };
        let event = SyncEvent::PlanReady {
            cycle_id: 2,
            plan: std::sync::Arc::new(plan),
        };
        assert_eq!(
            line_of(&event).map(|l| l.text),
            Some("plan 2: 0 create, 9 update, 0 disable, 1 delete, 108 errors (a opens it)".to_owned())
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
        assert_eq!(line_of(&error).unwrap().text, "engine error (Connection): 401");
    }
}
