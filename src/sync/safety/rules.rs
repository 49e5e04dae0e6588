//! The safety rules, pure (no I/O, no clock: times come in as arguments): the
//! accidental-deletion threshold, Entra's quarantine thresholds, the quarantine back-off and
//! the escrow retry schedule (spec §2.6–2.7).

use chrono::{DateTime, Duration, Utc};

use crate::sync::op::{ObjectType, Op, OpKind, Plan};

/// Consecutive identical permanent failures, with no success before them, after which a cycle
/// stops writing (the small-tenant rule: a revoked password fails every object alike, so
/// failing them all would only add load and noise).
pub const HALT_AFTER: u32 = 5;

/// Quarantine back-off of scheduled cycles: 1 h, 6 h, 12 h, then daily (Entra's cadence).
pub fn quarantine_backoff(series_count: u32) -> Duration {
    match series_count {
        0 | 1 => Duration::hours(1),
        2 => Duration::hours(6),
        3 => Duration::hours(12),
        _ => Duration::hours(24),
    }
}

/// When an escrowed object is next retried, given how many attempts failed (1 after the first
/// failure), when the first one was, and the schedule (`steps`: hours after the first failure,
/// Entra's 6, 12, 24; then every 24 h after the last step; until `days` after the first
/// failure, Entra's 28); `None` once that has passed (retries stop).
pub fn escrow_next(first_failed: DateTime<Utc>, attempts: u32, steps: &[u32], days: u32) -> Option<DateTime<Utc>> {
    let n = attempts.max(1) as usize;
    let last = i64::from(steps.last().copied().unwrap_or(24));
    let hours = match steps.get(n - 1) {
        Some(h) => i64::from(*h),
        None => last + 24 * (n - steps.len()) as i64,
    };
    let next = first_failed + Duration::hours(hours);
    (next <= first_failed + Duration::days(i64::from(days))).then_some(next)
}

/// Whether an op counts against the deletion threshold: disables and deletes of users and
/// groups (Entra counts disables too; memberships are not objects).
pub fn is_deletion(op: &Op) -> bool {
    matches!(op.kind, OpKind::Disable { .. } | OpKind::Delete) && op.object_type != ObjectType::Membership
}

/// The limit a plan's deletions exceed, if any: the count (`threshold`, 0 = no limit) or the
/// share of linked objects (`percent`).
pub fn threshold_exceeded(plan: &Plan, linked: usize, threshold: u32, percent: Option<u8>) -> Option<u64> {
    // A membership is never a deletion: the ops held whole are enough.
    let deletions = plan.objects().iter().filter(|op| is_deletion(op)).count() as u64;
    if threshold > 0 && deletions > u64::from(threshold) {
        return Some(u64::from(threshold));
    }
    let share = percent.map(|p| (linked as u64 * u64::from(p)) / 100)?;
    (deletions > share && deletions > 0).then_some(share)
}

/// The plan with every deletion turned into `StagedDelete`, and the held ops as they were.
pub fn stage(plan: &Plan) -> (Plan, Vec<Op>) {
    let mut held = Vec::new();
    // A membership is never a deletion: the compact memberships are kept as they are.
    let staged = plan.map_objects(|op| {
        if is_deletion(op) {
            held.push(op.clone());
            let mut staged = op.clone();
            staged.kind = OpKind::StagedDelete;
            staged
        } else {
            op.clone()
        }
    });
    (staged, held)
}

/// Entra's escrow thresholds (evaluated from 5,000 failures: more than 40 % of operations
/// failing, or more than 40,000; 60,000 in all, reference failures included).
pub fn escrow_threshold(failures: u64, reference_failures: u64, operations: u64) -> bool {
    let all = failures + reference_failures;
    if all > 60_000 {
        return true;
    }
    failures >= 5_000 && (failures * 100 > operations * 40 || failures > 40_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::op::{CycleKind, Step};

    fn op(kind: OpKind, t: ObjectType) -> Op {
        Op {
            object_type: t,
            source_id: "s".into(),
            source_name: "n".into(),
            target_id: Some("t".into()),
            member_id: None,
            kind,
            steps: Vec::<Step>::new().into(),
            hash: "h".into(),
        }
    }

    fn plan(n: usize) -> Plan {
        let mut ops: Vec<Op> = (0..n)
            .map(|_| op(OpKind::Disable { diff: vec![] }, ObjectType::User))
            .collect();
        ops.push(op(OpKind::RemoveMember, ObjectType::Membership));
        ops.push(op(OpKind::Update { diff: vec![] }, ObjectType::User));
        Plan::new(1, CycleKind::Incremental, ops)
    }

    #[test]
    fn the_threshold_counts_disables_and_deletes_of_objects_only() {
        assert_eq!(threshold_exceeded(&plan(3), 100, 3, None), None);
        assert_eq!(threshold_exceeded(&plan(4), 100, 3, None), Some(3));
        assert_eq!(threshold_exceeded(&plan(4), 100, 0, None), None);
        assert_eq!(threshold_exceeded(&plan(11), 100, 500, Some(10)), Some(10));
        assert_eq!(threshold_exceeded(&plan(10), 100, 500, Some(10)), None);
        let (staged, held) = stage(&plan(4));
        assert_eq!(held.len(), 4);
        assert_eq!(staged.counts.staged_delete, 4);
        assert_eq!(staged.counts.disable, 0);
        assert_eq!(staged.counts.remove_member, 1);
    }

    #[test]
    fn entras_worked_quarantine_cases() {
        assert!(!escrow_threshold(4_000, 0, 4_000));
        assert!(escrow_threshold(45_000, 0, 45_000));
        assert!(escrow_threshold(30_000, 0, 35_000));
        assert!(!escrow_threshold(20_000, 0, 120_000));
        assert!(escrow_threshold(40_000, 21_000, 200_000));
    }

    #[test]
    fn schedules() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().to_utc();
        let next = |n| escrow_next(t0, n, &[6, 12, 24], 28);
        assert_eq!(next(1), Some(t0 + Duration::hours(6)));
        assert_eq!(next(2), Some(t0 + Duration::hours(12)));
        assert_eq!(next(3), Some(t0 + Duration::hours(24)));
        assert_eq!(next(4), Some(t0 + Duration::hours(48)));
        assert_eq!(next(29), Some(t0 + Duration::days(27)));
        assert_eq!(next(30), Some(t0 + Duration::days(28)));
        assert_eq!(next(31), None);
        assert_eq!(escrow_next(t0, 2, &[1], 2), Some(t0 + Duration::hours(25)));
        let hours: Vec<i64> = (1..=5).map(|n| quarantine_backoff(n).num_hours()).collect();
        assert_eq!(hours, [1, 6, 12, 24, 24]);
    }
}
