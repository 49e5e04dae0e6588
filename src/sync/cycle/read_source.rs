//! Stage 2, read source: the app's assignments and the users and groups delta rounds (full,
//! or since the stored deltaLinks) into the source cache, and the scoped source built from it
//! (`crate::sync::source`). An expired delta token makes the read full: never silently — the
//! log, the cycle's row and [`SyncEvent::FullCycle`] say why.

use super::Context;
use super::begin::Begun;
use crate::sync::error::CycleError;
use crate::sync::event::SyncEvent;
use crate::sync::op::CycleKind;
use crate::sync::source::{self, SourceRead};

/// Reads the source: incremental when `cycle` has stored deltaLinks, else full (a cycle's
/// initial read, provision on demand, the console's scope preview).
pub(crate) async fn read_source(cx: &Context, cycle: Option<&Begun>) -> Result<SourceRead, CycleError> {
    cx.bound().await?;
    let links = cycle
        .and_then(|b| b.links.as_ref())
        .map(|(u, g)| (u.as_str(), g.as_str()));
    let read = source::read(&cx.graph, &cx.store, &cx.profile, links, &cx.redaction).await?;
    if let (Some(reason), Some(begun)) = (&read.reset, cycle) {
        let cycle_id = begun.cycle_id;
        let message = format!("the stored delta token is no longer valid ({reason}): this cycle reads everything");
        tracing::warn!(cycle_id, "{message}");
        let _ = cx.store.set_cycle_kind(cycle_id, CycleKind::Initial);
        cx.emit(SyncEvent::FullCycle {
            cycle_id,
            reason: message,
        });
    }
    Ok(read)
}
