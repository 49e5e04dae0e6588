//! Stage 4, plan: the pure [`crate::sync::plan::plan`] over what the reads found, under the
//! profile's [`Rules`], and what the cycle will store once its writes are done.

use std::sync::Arc;

use super::read_target::{PlanFailures, Read};
use super::{Context, Planned};
use crate::sync::event::Totals;
use crate::sync::op::{Basis, ObjectType, OpKind, Plan};
use crate::sync::plan::{self, Prior, Rules};
use crate::sync::source::Assignments;

/// What the reads saw, stored with the watermarks once the cycle's writes are done.
pub(crate) struct Seen {
    pub assignments: Assignments,
    /// The objects failed in the plan after this cycle (the next one plans them again).
    pub plan_failures: PlanFailures,
    pub users_link: Option<String>,
    pub groups_link: Option<String>,
}

/// The rules of the plan `read` leads to: the profile's, at the reads' clock and with their
/// seed (which the unique-value lookups already used), under the profile's redaction keys.
pub(super) fn rules(cx: &Context, read: &Read) -> Rules {
    rules_at(cx, read.now, read.seed)
}

/// The profile's rules at clock `now` with randomness `seed`.
pub(super) fn rules_at(cx: &Context, now: chrono::DateTime<chrono::Utc>, seed: u64) -> Rules {
    let mut rules = Rules::new(cx.profile.mappings.clone(), &cx.profile.provisioning, now);
    rules.seed = seed;
    rules.redaction = cx.redaction.clone();
    rules
}

/// Plans cycle `cycle_id` as plan `id`, bound to the profile it is made under and to the time
/// its reads began (`read_at`), from which it is valid for `plan_valid_minutes`.
pub(super) fn plan(
    cx: &Context,
    id: u64,
    cycle_id: i64,
    read: Read,
    prior: &Prior,
    read_at: chrono::DateTime<chrono::Utc>,
) -> Planned {
    let rules = rules(cx, &read);
    let users = read.source.users.iter().filter(|u| u.in_scope).count() as u64;
    let groups = read.source.groups.iter().filter(|g| g.in_scope).count() as u64;
    let mut plan = plan::plan(id, read.kind, read.source, &read.target, prior, &rules);
    plan.basis = Basis {
        profile: cx.profile.plan_hash.clone(),
        cycle_id,
        made: Some(read_at),
        valid_until: Some(read_at + chrono::Duration::minutes(i64::from(cx.profile.provisioning.plan_valid_minutes))),
    };
    let plan = Arc::new(plan);
    let plan_failures = plan_failures(&plan, read.failed_before);
    Planned {
        totals: Totals {
            users,
            groups,
            operations: plan.len() as u64,
        },
        plan,
        seen: Some(Seen {
            assignments: read.assignments,
            plan_failures,
            users_link: read.users_link,
            groups_link: read.groups_link,
        }),
        read_back: true,
    }
}

/// The objects failed in the plan after this cycle: those failed before and not planned now,
/// and this plan's failures.
fn plan_failures(plan: &Plan, mut before: PlanFailures) -> PlanFailures {
    // Memberships are not in this list: the ops held whole are enough.
    for op in plan.objects() {
        if op.object_type != ObjectType::Membership {
            before.remove(&(op.object_type, op.source_id.to_string()));
        }
    }
    for op in plan.objects() {
        if let (OpKind::Error(f), false) = (&op.kind, op.object_type == ObjectType::Membership) {
            before.insert((op.object_type, op.source_id.to_string()), f.code);
        }
    }
    before
}
