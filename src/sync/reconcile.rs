//! The periodic full reconciliation (issue 12): every `reconcile_hours` a cycle reads both
//! sides whole, as an initial cycle does, although the stored deltaLinks would allow an
//! incremental one. What no delta reports is corrected then: rows changed by hand in
//! ServiceNow (an incremental cycle reads only the rows of objects Graph reported), a user
//! restored from the recycle bin that `users/delta` left out (real Graph does when `$select`
//! is used: graph.md §14 #1, microsoft-graph-docs-contrib#6555), links whose rows vanished.
//!
//! When the last one was is the `reconciled` watermark (RFC 3339, the time its cycle began),
//! written with the other watermarks once a cycle that read both sides whole — initial,
//! reconciliation, or full because a delta token expired — committed. `restart --scope
//! watermark` clears it with the deltaLinks: the next cycle is initial, which sets it again.
//! Pure but for [`last`]: the engine's `begin` and `status` both decide through [`next`].

use chrono::{DateTime, TimeDelta, Utc};

use crate::store::{Store, StoreError};

/// The watermark holding when the last full read of both sides began.
pub const MARK: &str = "reconciled";

/// When the next reconciliation is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// `reconcile_hours = 0`.
    Never,
    /// None is recorded (a state from before reconciliations, or cleared): the next cycle.
    Unrecorded,
    /// The first cycle that begins at or after this time.
    At(DateTime<Utc>),
}

/// When the next reconciliation is due, given the last one and `reconcile_hours`.
pub fn next(last: Option<DateTime<Utc>>, hours: u32) -> Next {
    match (hours, last) {
        (0, _) => Next::Never,
        (_, None) => Next::Unrecorded,
        (h, Some(t)) => Next::At(t + TimeDelta::hours(i64::from(h))),
    }
}

/// Whether a cycle beginning at `now` is due to reconcile.
pub fn due(last: Option<DateTime<Utc>>, hours: u32, now: DateTime<Utc>) -> bool {
    match next(last, hours) {
        Next::Never => false,
        Next::Unrecorded => true,
        Next::At(t) => now >= t,
    }
}

/// When the last full read of both sides began, as the store recorded it; a value this
/// version cannot read counts as none recorded (the next cycle reconciles).
pub fn last(store: &Store) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(store
        .watermark(MARK)?
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.to_utc()))
}

/// The mark's value for a cycle that began at `started`.
pub fn mark(started: DateTime<Utc>) -> String {
    started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn a_reconciliation_is_due_reconcile_hours_after_the_last_one() {
        let last = Some(at("2026-12-06T05:00:00Z"));
        assert!(!due(last, 24, at("2026-12-07T04:59:59Z")));
        assert!(due(last, 24, at("2026-12-07T05:00:00Z")));
        assert!(due(last, 1, at("2026-12-06T06:00:00Z")));
        assert_eq!(next(last, 24), Next::At(at("2026-12-07T05:00:00Z")));
    }

    #[test]
    fn zero_hours_never_reconciles_and_none_recorded_reconciles_next() {
        assert!(!due(Some(at("2000-01-01T00:00:00Z")), 0, at("2026-12-07T05:00:00Z")));
        assert!(!due(None, 0, at("2026-12-07T05:00:00Z")));
        assert_eq!(next(None, 0), Next::Never);
        assert!(due(None, 24, at("2026-12-07T05:00:00Z")));
        assert_eq!(next(None, 24), Next::Unrecorded);
    }

    #[test]
    fn the_mark_reads_back() {
        let t = at("2026-12-07T05:10:42Z");
        assert_eq!(mark(t), "2026-12-07T05:10:42Z");
        assert_eq!(DateTime::parse_from_rfc3339(&mark(t)).unwrap().to_utc(), t);
    }
}
