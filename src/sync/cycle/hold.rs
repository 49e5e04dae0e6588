//! Stage 5, hold: the deletion threshold (spec §2.6). A plan whose disables and deletes
//! exceed it has them turned into `StagedDelete`; a real cycle stores the held ops so
//! `allow-deletes` applies exactly them (`crate::sync::safety::staged`).

use super::begin::Begun;
use super::{Context, Planned, Shown};
use crate::sync::error::CycleError;
use crate::sync::safety::{Tripped, staged};

/// Holds back the plan's deletions when they exceed the threshold; stores them when `persist`
/// (a real cycle; a dry run shows the same staged plan and stores nothing).
pub(super) fn hold(
    cx: &Context,
    begun: &Begun,
    planned: Planned,
    persist: bool,
) -> Result<(Planned, Option<Tripped>), CycleError> {
    let linked = begun.prior.links.len();
    let (plan, tripped) = staged::hold(cx, planned.plan, begun.cycle_id, linked, persist)?;
    Ok((Planned { plan, ..planned }, tripped))
}

/// A plan a dry run showed, applied: what the threshold held back in it is stored now, and
/// what the dry run's reads saw is stored once it is applied.
pub(super) fn shown(cx: &Context, begun: &Begun, shown: Shown) -> Result<(Planned, Option<Tripped>), CycleError> {
    if let Some((_, held)) = &shown.held {
        staged::persist(cx, held, begun.cycle_id)?;
    }
    Ok((
        Planned {
            seen: shown.seen,
            ..Planned::of(shown.plan)
        },
        shown.held,
    ))
}
