//! Escrows: each permanent failure's next retry, on Entra's schedule (`rules::escrow_next`),
//! written after every real cycle. A failure whose retry time has come is left out of the
//! plan's prior state, so the plan retries it (`crate::sync::cycle`'s begin stage).

use chrono::{DateTime, Utc};

use super::rules;
use crate::sync::cycle::Context;
use crate::sync::error::CycleError;

pub(super) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.to_utc())
}

pub(super) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Writes each permanent failure's next retry.
pub(crate) fn schedule(cx: &Context) -> Result<(), CycleError> {
    let p = &cx.profile.provisioning;
    for e in cx.store.escrows()? {
        let first = e.first_failed.as_deref().and_then(parse_time).unwrap_or_else(Utc::now);
        let next = rules::escrow_next(first, e.attempts, &p.escrow_retry_hours, p.escrow_days).map(rfc3339);
        if next != e.next_attempt || e.first_failed.is_none() {
            cx.store
                .schedule_failure(e.object_type, &e.source_id, &e.source_name, next.as_deref())?;
        }
    }
    Ok(())
}
