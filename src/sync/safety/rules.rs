//! The safety rules, pure (no I/O, no clock: times come in as arguments): the
//! accidental-deletion threshold, Entra's quarantine thresholds, the quarantine back-off and
//! the escrow retry schedule (spec §2.6–2.7).

use chrono::{DateTime, Duration, Utc};

use std::collections::HashSet;

use crate::config::Provisioning;
use crate::sync::op::{Held, ObjectType, Op, OpKind, Plan, Why};

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

/// The deletion threshold of `p` on a plan, the one way a cycle, its preview and a provision on
/// demand apply it: when the plan's deletions exceed the limit ([`threshold_exceeded`]), the
/// limit, the plan staged and the held ops ([`stage`]); `None` when the plan is within it.
pub fn hold_past_threshold(plan: &Plan, linked: usize, p: &Provisioning) -> Option<(u64, Plan, Vec<Op>)> {
    let limit = threshold_exceeded(plan, linked, p.deletion_threshold, p.deletion_threshold_percent)?;
    let (staged, held) = stage(plan);
    Some((limit, staged, held))
}

/// The plan with every deletion turned into `StagedDelete`, and with them every membership
/// removal that follows from a held object (a row of a held user, a row of a held group: the
/// group stays active, so its members stay too; issue 14, F21); the held ops as they were.
/// The staged plan is the same plan: its basis stays, so it is applied while current.
pub fn stage(plan: &Plan) -> (Plan, Vec<Op>) {
    let held_objects: HashSet<(ObjectType, &str)> = plan
        .objects()
        .iter()
        .filter(|op| is_deletion(op))
        .map(|op| (op.object_type, op.source_id.as_str()))
        .collect();
    // What a removal of `user`'s row in `group` is once held, if it follows from a held object.
    let held_with = |group: &str, user: &str| {
        if held_objects.contains(&(ObjectType::Group, group)) {
            Some(Why::HeldWithGroup)
        } else {
            held_objects
                .contains(&(ObjectType::User, user))
                .then_some(Why::HeldWithUser)
        }
    };
    let removal = |op: &Op| op.object_type == ObjectType::Membership && op.kind == OpKind::RemoveMember;
    let held_removal = |op: &Op| {
        removal(op)
            .then(|| held_with(&op.source_id, op.member_id.as_deref().unwrap_or_default()))
            .flatten()
    };
    let mut held: Vec<Op> = Vec::new();
    // A plan read back whole holds its memberships among its objects: held the same way.
    let staged = plan.map(
        |op| {
            let why = held_removal(op);
            if why.is_none() && !is_deletion(op) {
                return op.clone();
            }
            held.push(op.clone());
            let mut staged = op.clone();
            staged.kind = OpKind::StagedDelete { held: Held::of(op) };
            if let Some(why) = why {
                staged.steps = std::borrow::Cow::Borrowed(why.steps());
            }
            staged
        },
        |group, user, why| match why {
            Why::NoLongerMember | Why::Deactivated | Why::DuplicateRow => held_with(group, user).unwrap_or(why),
            _ => why,
        },
    );
    held.extend(plan.members().filter(|op| held_removal(op).is_some()));
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
    use crate::sync::op::{CycleKind, MembersBuilder, Step};

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

    /// Issue 14, F21: the threshold held 1,806 disables and deactivations but the same cycle
    /// removed 2,090 memberships of those users and groups.
    #[test]
    fn a_held_users_and_a_held_groups_membership_removals_are_held_with_them() {
        let member = |group: &str, user: &str| Op {
            source_id: group.into(),
            member_id: Some(user.into()),
            ..op(OpKind::RemoveMember, ObjectType::Membership)
        };
        let object = |t: ObjectType, id: &str| Op {
            source_id: id.into(),
            ..op(OpKind::Disable { diff: vec![] }, t)
        };
        let ops = vec![
            object(ObjectType::User, "u-left"),
            object(ObjectType::Group, "g-left"),
            member("g-left", "u-stays"),
            member("g-stays", "u-left"),
            member("g-stays", "u-removed-in-entra"),
        ];
        // Held whole (a plan read back), and compact as the planner makes it.
        let mut members = MembersBuilder::default();
        for m in &ops[2..] {
            let (g, u) = (
                members.end(&m.source_id, "g"),
                members.end(m.member_id.as_deref().unwrap(), "u"),
            );
            members.push(g, u, Some("row"), Why::NoLongerMember);
        }
        let compact = Plan::with_members(1, CycleKind::Initial, ops[..2].to_vec(), members.finish(), 2);
        for plan in [Plan::new(1, CycleKind::Initial, ops.clone()), compact] {
            let (staged, held) = stage(&plan);
            let held: Vec<(&str, Option<&str>)> = held
                .iter()
                .map(|o| (o.source_id.as_str(), o.member_id.as_deref()))
                .collect();
            assert_eq!(
                held,
                [
                    ("u-left", None),
                    ("g-left", None),
                    ("g-left", Some("u-stays")),
                    ("g-stays", Some("u-left"))
                ]
            );
            let c = &staged.counts;
            assert_eq!(
                (c.staged_delete, c.held_disable, c.held_deactivate, c.held_remove_member),
                (2, 1, 1, 2)
            );
            assert_eq!(
                c.remove_member, 1,
                "a removal that follows from no held object is not held"
            );
            assert_eq!(c.writes(), 1);
            assert_eq!(
                c.held_words().as_deref(),
                Some("1 disable, 1 deactivation, 2 membership removals")
            );
            let ops = staged.to_vec();
            assert!(ops[2].steps[0].detail.contains("group's deactivation"));
            assert!(ops[3].steps[0].detail.contains("user's deprovisioning"));
            assert_eq!(ops[4].kind, OpKind::RemoveMember);
        }
    }

    #[test]
    fn a_staged_plan_keeps_what_it_was_made_from() {
        // Acceptance F20: a plan the threshold held lost its basis, so every such plan was
        // refused as made under another configuration.
        let mut made = plan(4);
        made.basis = crate::sync::op::Basis {
            profile: "rules".into(),
            cycle_id: 7,
            made: Some(chrono::DateTime::UNIX_EPOCH),
            valid_until: Some(chrono::DateTime::UNIX_EPOCH + chrono::Duration::minutes(15)),
        };
        let (staged, _) = stage(&made);
        assert_eq!(staged.basis, made.basis);
        assert_eq!((staged.id, staged.kind), (made.id, made.kind));
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
