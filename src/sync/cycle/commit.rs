//! Stage 7, commit: after a real cycle's writes, the escrow schedule; then — unless the cycle
//! was stopped — what the reads saw (deltaLinks, assignments, the plan's failures) and the
//! rules hash, in one transaction, and the intents settled; the log pruned; the cycle's row
//! finished with its statistics; the quarantine decided; [`SyncEvent::CycleFinished`].
//!
//! Only now, with the writes done: a crash before this replays the same changes from the old
//! watermarks.

use std::collections::HashMap;

use super::begin::Begun;
use super::{Context, Planned};
use crate::store::{ObjectValue, Seen};
use crate::sync::apply::Applied;
use crate::sync::error::CycleError;
use crate::sync::event::{CycleStats, StopPhase, Stopped, SyncEvent};
use crate::sync::op::ObjectType;
use crate::sync::reconcile;
use crate::sync::safety::{Tripped, Verdict, escrow, quarantine};

pub(super) async fn commit(
    cx: &Context,
    begun: &Begun,
    planned: Planned,
    applied: Applied,
    tripped: Option<Tripped>,
) -> Result<(), CycleError> {
    let mut stats = applied.stats;
    stats.staged_deletes = planned.plan.counts.staged_delete;
    escrow::schedule(cx)?;
    stats.stopped = stopped_applying(cx, applied.done, applied.total);
    // A stopped cycle left operations undone: the watermarks stay where they were, so the next
    // cycle reads the same changes again and plans what is left.
    let stopped = stats.stopped.is_some();
    if !stopped {
        // Earlier cycles' unknown outcomes are settled only by a cycle that read their rows;
        // applying a shown plan read nothing.
        let read_back = planned.read_back;
        watermarks(cx, begun, planned)?;
        cx.store.settle_intents(begun.cycle_id, read_back)?;
    }
    let _ = cx.store.prune_log(cx.profile.provisioning.log_retention_days);
    let verdict = Verdict {
        tripped,
        halted: applied.halted,
        failures: applied.failures,
    };
    stats.duration_ms = begun.elapsed_ms();
    finish_row(cx, begun.cycle_id, &stats)?;
    if !stopped {
        quarantine::judge(cx, Some(begun.cycle_id), &stats, verdict).await;
    }
    cx.emit(SyncEvent::CycleFinished {
        cycle_id: begun.cycle_id,
        dry_run: false,
        stats,
    });
    Ok(())
}

/// Where a cycle Stop cut short was: the plan's operations done of all. `None` when it was not
/// stopped, or the stop came once every operation was done (the cycle then ran to its end).
pub(super) fn stopped_applying(cx: &Context, done: u64, total: u64) -> Option<Stopped> {
    (cx.stopped() && done < total).then_some(Stopped {
        phase: StopPhase::Applying,
        done,
        total,
    })
}

/// What the reads saw and the rules they were made under; after a full read of both sides,
/// when it began (`crate::sync::reconcile`: the next reconciliation counts from it).
fn watermarks(cx: &Context, begun: &Begun, planned: Planned) -> Result<(), CycleError> {
    let full = planned.plan.kind.is_full();
    let seen = planned.seen;
    match seen
        .as_ref()
        .and_then(|s| Some((s, s.users_link.as_deref()?, s.groups_link.as_deref()?)))
    {
        Some((seen, u, g)) => {
            let reconciled = reconcile::mark(begun.started);
            let mut marks = vec![
                ("rules", cx.profile.rules_hash.as_str()),
                ("users_delta", u),
                ("groups_delta", g),
            ];
            if full {
                marks.push((reconcile::MARK, reconciled.as_str()));
            }
            let assignments = rows(&seen.assignments);
            let plan_failures = rows(&seen.plan_failures);
            let seen = Seen {
                assignments: &assignments,
                plan_failures: &plan_failures,
            };
            cx.store.commit_watermarks(&seen, &marks)?;
        }
        // Nothing read (a cycle without deltaLinks to keep): the old watermarks stay and the
        // next cycle replays the changes since them. A shown plan applied stores its dry run's
        // reads above (the reconciliation counted from this cycle's start, minutes later).
        None => cx.store.set_watermark("rules", &cx.profile.rules_hash)?,
    }
    Ok(())
}

/// A map keyed by object as the state database's rows.
fn rows<V: ToString>(map: &HashMap<(ObjectType, String), V>) -> Vec<ObjectValue> {
    map.iter()
        .map(|((ot, id), value)| ObjectValue {
            object_type: *ot,
            source_id: id.clone(),
            value: value.to_string(),
        })
        .collect()
}

/// Ends a cycle that ends here (a dry run, `allow-deletes`): its row (a dry run has none) and
/// the event.
pub(super) fn finish(cx: &Context, cycle_id: i64, dry_run: bool, stats: CycleStats) -> Result<(), CycleError> {
    if !dry_run {
        finish_row(cx, cycle_id, &stats)?;
    }
    cx.emit(SyncEvent::CycleFinished {
        cycle_id,
        dry_run,
        stats,
    });
    Ok(())
}

pub(super) fn finish_row(cx: &Context, cycle_id: i64, stats: &CycleStats) -> Result<(), CycleError> {
    let stats_json = serde_json::to_string(stats).unwrap_or_default();
    Ok(cx.store.finish_cycle(cycle_id, &stats_json)?)
}
