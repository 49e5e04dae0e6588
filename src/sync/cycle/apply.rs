//! Stage 6, apply: the plan's writes through one [`Applier`] (`crate::sync::apply`): phased,
//! bounded concurrency, an intent before each write, links and log records after.

use std::sync::atomic::AtomicBool;

use super::Context;
use crate::sync::apply::{Applied, Applier, Links};
use crate::sync::error::CycleError;
use crate::sync::op::Plan;

/// Applies `plan` in cycle `cycle_id`; `stored`: the links the store holds. `keep_results`:
/// return each object's result too (provision on demand reports them).
pub(super) async fn apply(
    cx: &Context,
    cycle_id: i64,
    plan: &Plan,
    stored: &Links,
    stop: &AtomicBool,
    keep_results: bool,
) -> Result<Applied, CycleError> {
    let applier = Applier::new(cx, cycle_id, plan, stored, stop, keep_results);
    Ok(applier.apply(plan).await?)
}
