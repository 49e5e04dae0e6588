//! `allow-deletes` (`restart --scope force-deletes`): begin → apply exactly the staged set the
//! deletion threshold held back → commit, as a cycle of its own; a quarantine whose only
//! reason was the threshold ends. Not what a new plan would compute: the admin approved that
//! set.

use super::{Context, Failed, Planned, announce, apply, begin, commit};
use crate::sync::error::CycleError;
use crate::sync::op::CycleKind;
use crate::sync::safety::staged;

pub(in crate::sync) async fn allow_deletes(cx: &Context, plan_id: u64) -> Result<(), Failed> {
    cx.bound().await.map_err(|e| (None, e))?;
    let Some(plan) = staged::staged_plan(cx, plan_id).map_err(|e| (None, e))? else {
        return Err((None, CycleError::NothingStaged));
    };
    let cycle_id = cx
        .store
        .begin_cycle(CycleKind::AllowDeletes, false)
        .map_err(|e| (None, e.into()))?;
    let at = |e: CycleError| (Some(cycle_id), e);
    let planned = Planned::of(plan);
    announce(cx, cycle_id, false, &planned.plan, planned.totals);
    let prior = begin::prior(&cx.store).map_err(at)?;
    let applied = apply::apply(cx, cycle_id, &planned.plan, &prior.links, &cx.stop, false)
        .await
        .map_err(at)?;
    let mut stats = applied.stats;
    stats.stopped = commit::stopped_applying(cx, applied.done, applied.total);
    if stats.failed == 0 && stats.stopped.is_none() {
        staged::applied(cx, cycle_id).map_err(at)?;
    }
    commit::finish(cx, cycle_id, false, stats).map_err(at)
}
