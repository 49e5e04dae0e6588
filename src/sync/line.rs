//! What each engine event says as a log line: the one wording of the console's log pane
//! (`tui::log::line_of`) and of the engine's log backlog a console receives when it attaches
//! (`door::backlog`), so a console attached to an engine and the console that owns it say the
//! same event in the same words.
//!
//! Pure: no clock (the reader stamps the time), no state. Foreign text (names, reasons) is
//! sanitised where it reaches a terminal.

use super::{Answer, CycleStats, LogLevel, ObjectResult, SyncEvent};
use crate::model::words::count;

/// A line: how much it matters and what it says.
pub type Line = (LogLevel, String);

/// A cycle by its number; a dry run is not a cycle: it is named by its plan (the plan's own
/// line), not a number.
fn cycle_name(cycle_id: i64, dry_run: bool) -> String {
    if dry_run {
        "dry run".to_owned()
    } else {
        format!("cycle {cycle_id}")
    }
}

/// The quarantine's line: started (why, when next, the way out) or ended.
fn quarantine(reason: Option<&str>, next_attempt: Option<&str>) -> String {
    let Some(r) = reason else {
        return "quarantine ended".to_owned();
    };
    // The dashboard's time format: `Dec 08 20:47 UTC`.
    let next = next_attempt
        .map(|n| {
            let at = chrono::DateTime::parse_from_rfc3339(n)
                .map_or_else(|_| n.to_owned(), |t| t.to_utc().format("%b %d %H:%M UTC").to_string());
            format!(", next attempt {at}")
        })
        .unwrap_or_default();
    // Lifting a TooManyDeletes quarantine alone only holds the same changes again next cycle.
    let way_out = if r == "TooManyDeletes" {
        "D in the console or nowsync allow-deletes applies the held changes; or fix the rules and run a cycle"
    } else {
        "nowsync restart --scope quarantine lifts it once the cause is fixed"
    };
    format!("quarantined: {r}{next} ({way_out})")
}

/// The log pane's line for `event`, or `None` when it is not worth one (progress ticks, the
/// answers the screens show themselves).
pub fn line_of(event: &SyncEvent) -> Option<Line> {
    let line = |level, text: String| Some((level, text));
    match event {
        SyncEvent::StateChanged(state) => line(LogLevel::Info, format!("engine: {state:?}")),
        SyncEvent::CycleStarted {
            cycle_id,
            kind,
            dry_run,
            totals,
        } => line(
            LogLevel::Info,
            format!(
                "{} started ({kind:?}): {}, {}, {}",
                cycle_name(*cycle_id, *dry_run),
                count(totals.users, "user", "users"),
                count(totals.groups, "group", "groups"),
                count(totals.operations, "operation", "operations")
            ),
        ),
        SyncEvent::Quarantine {
            reason, next_attempt, ..
        } => line(LogLevel::Warn, quarantine(reason.as_deref(), next_attempt.as_deref())),
        SyncEvent::CycleReading {
            cycle_id,
            kind,
            dry_run,
        } => line(
            LogLevel::Info,
            format!(
                "{} ({}): reading the source and the target",
                cycle_name(*cycle_id, *dry_run),
                kind.as_str()
            ),
        ),
        // The status line and the dashboard say it; a client's ask is logged by the door.
        SyncEvent::NextRun { .. } | SyncEvent::Paused { .. } => None,
        // The engine's own log lines say why the held set changed; the Held row shows it.
        SyncEvent::Held { .. } => None,
        // The engine turned an incremental cycle into a full one: say why, never silently.
        SyncEvent::FullCycle { cycle_id, reason } => line(
            LogLevel::Warn,
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
            // Held ops are held, with their real actions (acceptance: "843 delete" were held
            // disables and membership removals), as the plan screen counts them.
            let held = c
                .held_words()
                .map_or(String::new(), |w| format!(", held by the deletion threshold: {w}"));
            line(
                LogLevel::Info,
                format!(
                    "{name}: {} create, {} update, {} disable, {} delete{held}, {} (a opens it)",
                    c.create,
                    // Reference updates are updates.
                    c.update + c.set_reference,
                    c.disable,
                    c.delete,
                    count(c.error, "error", "errors")
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
        SyncEvent::PlanRefused { reason, .. } => line(LogLevel::Warn, reason.clone()),
        SyncEvent::Reloaded { changed, .. } => line(LogLevel::Info, crate::sync::reloaded_words(changed)),
        SyncEvent::Error { kind, message, .. } => line(LogLevel::Error, format!("engine error ({kind}): {message}")),
        SyncEvent::Log { level, message } => line(*level, message.clone()),
        SyncEvent::Answer { answer, .. } => match answer {
            Answer::Created { table, sys_id } => line(
                LogLevel::Info,
                format!("created the {table} row {sys_id}: run a cycle (r) to retry the failed users"),
            ),
            Answer::Failed(e) => line(LogLevel::Warn, format!("the engine could not do it: {e}")),
            _ => None,
        },
    }
}

/// One object's result: an error when it failed, a debug line otherwise.
pub(crate) fn object_done(cycle_id: i64, result: &ObjectResult) -> Line {
    let code = result.error_code.map(|c| format!(" [{c}]")).unwrap_or_default();
    let level = if result.status == crate::sync::outcome::Status::Failure {
        LogLevel::Error
    } else {
        LogLevel::Debug
    };
    (
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
pub(crate) fn cycle_finished(cycle_id: i64, dry_run: bool, stats: &CycleStats) -> Line {
    // A cycle stopped before it planned wrote nothing: a row of zeros would read as a clean cycle.
    if let Some(stopped) = stats.stopped.as_ref().filter(|s| s.total == 0) {
        return (
            LogLevel::Warn,
            format!("cycle {cycle_id} {stopped}: nothing was written; the next cycle reads again"),
        );
    }
    let ended = match &stats.stopped {
        Some(stopped) => format!("{stopped} (the next cycle plans the rest)"),
        None => "finished".to_owned(),
    };
    (
        if stats.failed > 0 || stats.stopped.is_some() {
            LogLevel::Warn
        } else {
            LogLevel::Info
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
