//! The safety of a provision on demand (review R10, spec §2.6 and §2.8). A request is an
//! admin's explicit action, but a group brings its members: their disables and deletes count
//! against the deletion threshold as a cycle's do, and while the threshold's quarantine holds
//! an object (the staged set), a request writes none of its held writes unless it names that
//! very object. What is held is shown as `StagedDelete` with the reason, and not written.

use std::borrow::Cow;
use std::collections::HashSet;

use super::Context;
use crate::sync::error::CycleError;
use crate::sync::op::{CycleKind, Held, ObjectType, Op, OpKind, Plan, Step};
use crate::sync::outcome::Status;
use crate::sync::safety::{hold_past_threshold, is_deletion, staged::staged_key};

/// Entra's limit: a group on demand provisions at most this many of its members per request.
pub(super) const GROUP_MEMBERS: usize = 5;

/// The quarantine's reason for a held op.
const QUARANTINED: &str = "held: the deletion threshold's quarantine holds it; nowsync allow-deletes applies it, or a cycle that finds it no longer leaving drops it";

/// `ops` with every write the quarantine holds (`staged`, the staged set's keys:
/// `staged::held_keys`), or the deletion threshold holds in this request, turned into
/// `StagedDelete`. `named` is the object the admin named (type, Entra id): its own held writes
/// go ahead; `linked` counts the links, for a threshold in percent.
pub(super) fn hold(
    cx: &Context,
    ops: Vec<Op>,
    staged: &HashSet<(ObjectType, String)>,
    named: (ObjectType, &str),
    linked: usize,
) -> Result<Vec<Op>, CycleError> {
    let named_held = staged.contains(&(named.0, named.1.to_owned()));
    let ops = ops
        .into_iter()
        .map(|op| {
            let quarantined = holdable(&op)
                && !follows_from(&op, named, named_held)
                && staged.contains(&(op.object_type, staged_key(&op)));
            if quarantined { held(op, QUARANTINED.into()) } else { op }
        })
        .collect();
    let plan = Plan::new(Plan::UNNUMBERED, CycleKind::OnDemand, ops);
    let Some((limit, staged_plan, _)) = hold_past_threshold(&plan, linked, &cx.profile.provisioning) else {
        return Ok(plan.to_vec());
    };
    let deletions = plan.objects().iter().filter(|op| is_deletion(op)).count();
    let reason = format!(
        "held: this request disables or deletes {deletions}, more than the deletion threshold ({limit}) allows; nothing of it is written. A cycle (nowsync sync --once) holds them for nowsync allow-deletes, or provision fewer objects at a time"
    );
    let before: Vec<bool> = plan.objects().iter().map(staged_op).collect();
    Ok(staged_plan
        .objects()
        .iter()
        .zip(before)
        .map(|(op, was)| {
            if staged_op(op) && !was {
                with_reason(op.clone(), reason.clone())
            } else {
                op.clone()
            }
        })
        .collect())
}

/// A write the deletion threshold can hold: a disable, a delete, a membership removal.
fn holdable(op: &Op) -> bool {
    is_deletion(op) || (op.object_type == ObjectType::Membership && op.kind == OpKind::RemoveMember)
}

fn staged_op(op: &Op) -> bool {
    matches!(op.kind, OpKind::StagedDelete { .. })
}

/// Whether `op` is the named object's own write, or a membership removal that follows from
/// the named object being held (`named_held`): of the named group, or of the named user
/// (acceptance N4: its disable went ahead and its removals stayed held).
fn follows_from(op: &Op, named: (ObjectType, &str), named_held: bool) -> bool {
    let own = op.source_id == named.1;
    let membership = op.object_type == ObjectType::Membership && named_held;
    (op.object_type == named.0 && own)
        || (membership && named.0 == ObjectType::Group && own)
        || (membership && named.0 == ObjectType::User && op.member_id.as_deref() == Some(named.1))
}

/// `op` held, with `reason` as its Action step.
fn held(op: Op, reason: Cow<'static, str>) -> Op {
    let kind = OpKind::StagedDelete { held: Held::of(&op) };
    with_reason(Op { kind, ..op }, reason)
}

/// `op` with `reason` as its last step (a held membership's own step replaced: it names
/// `allow-deletes` for a set this request does not store).
fn with_reason(mut op: Op, reason: impl Into<Cow<'static, str>>) -> Op {
    let mut steps: Vec<Step> = if op.object_type == ObjectType::Membership {
        Vec::new()
    } else {
        op.steps.to_vec()
    };
    steps.push(Step {
        name: Cow::Borrowed("Action"),
        status: Status::Skipped,
        detail: reason.into(),
    });
    op.steps = Cow::Owned(steps);
    op
}
