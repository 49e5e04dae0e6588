//! Managers set in the create (issue 16 §2): a user's create (or update) carries the reference
//! to a manager created in the same cycle as a pending change, and apply sends it once the
//! manager's create is done (`apply::waves`), so no second `PATCH` sets it. What a pending
//! change cannot wait for:
//! - a reference to a user whose create this plan does not send (its mapping failed, a
//!   permanent failure suppressed it): no write is offered that could only fail
//!   (`ReferenceNotProvisioned`, issue 14); the object waits for that user, said by name in its
//!   one op — its create or update goes without it (a warning step), or, in sync otherwise, a
//!   skip ([`SkipReason::ReferenceWaits`]); the cycle that provisions the user sets it (a
//!   touched user's reports are touched with it);
//! - one edge of each cycle of references (A manages B manages A): one of the two is created
//!   first without it, and a `SetReference` write of its own sets it after the creates. Pure.

use std::collections::{HashMap, HashSet};

use super::super::op::{Change, Id, ObjectType, Op, OpKind};
use super::objects::{set_reference, step};
use crate::sync::outcome::{SkipReason, Status};

/// The user ops' pending changes that cannot be sent in their create moved to `SetReference`
/// ops at the end of `ops`, or waiting, when the user they refer to is not created.
pub fn settle(ops: &mut Vec<Op>) {
    let creates: HashSet<Id> = ops
        .iter()
        .filter(|op| op.object_type == ObjectType::User && matches!(op.kind, OpKind::Create { .. }))
        .map(|op| op.source_id.clone())
        .collect();
    // Only the users a reference waits for are named: a map of every user's name was ~10 MB
    // at 100,000 users, for the few that wait (issue 16 §3).
    let waited: HashSet<&str> = ops
        .iter()
        .flat_map(|op| match &op.kind {
            OpKind::SetReference { source_id, .. } => vec![source_id.as_str()],
            kind => pending_of(kind).map(pending_id).collect(),
        })
        .filter(|id| !creates.contains(*id))
        .collect();
    let names: HashMap<Id, String> = ops
        .iter()
        .filter(|op| op.object_type == ObjectType::User && !matches!(op.kind, OpKind::SetReference { .. }))
        .filter(|op| waited.contains(op.source_id.as_str()))
        .map(|op| (op.source_id.clone(), op.source_name.to_string()))
        .collect();
    drop(waited);
    let waits_for = |attribute: &str, source_id: &str| SkipReason::ReferenceWaits {
        attribute: attribute.to_owned(),
        user: names.get(source_id).cloned().unwrap_or_else(|| source_id.to_owned()),
    };
    // A write of its own (`objects::update`, in sync otherwise) to a user not created: the
    // object's own op says it waits instead.
    let mut waiting: Vec<(Id, SkipReason)> = Vec::new();
    ops.retain(|op| match &op.kind {
        OpKind::SetReference { attribute, source_id } if !creates.contains(source_id.as_str()) => {
            waiting.push((op.source_id.clone(), waits_for(attribute, source_id)));
            false
        }
        _ => true,
    });
    for op in ops.iter_mut() {
        for c in take_pending(op, |c| !creates.contains(pending_id(c))) {
            let reason = waits_for(&c.attribute, pending_id(&c));
            op.steps.to_mut().push(step(
                "Action",
                Status::Warning,
                format!("{reason}; provisioned without it"),
            ));
        }
    }
    for (id, reason) in waiting {
        wait(ops, &id, reason);
    }
    let mut moved: Vec<Op> = Vec::new();
    for (i, attribute) in cycle_edges(ops) {
        let op = &mut ops[i];
        for c in take_pending(op, |c| *c.attribute == *attribute) {
            let to = pending_id(&c).to_owned();
            moved.push(set_reference(op, c.attribute.to_string(), to));
        }
    }
    ops.reserve_exact(moved.len());
    ops.append(&mut moved);
}

/// The user `id` waits for a reference `reason` names: its skip says so (an in-sync skip
/// becomes this one), any other op of it carries it as a warning.
fn wait(ops: &mut [Op], id: &Id, reason: SkipReason) {
    let Some(op) = ops
        .iter_mut()
        .find(|op| op.object_type == ObjectType::User && op.source_id == *id)
    else {
        return;
    };
    match &op.kind {
        OpKind::Skip {
            reason: SkipReason::InSync,
        } => {
            for s in op.steps.to_mut().iter_mut().filter(|s| s.name == "Action") {
                s.detail = reason.to_string().into();
            }
            op.kind = OpKind::Skip { reason };
        }
        _ => op
            .steps
            .to_mut()
            .push(step("Action", Status::Warning, reason.to_string())),
    }
}

fn pending_id(c: &Change) -> &str {
    c.new.as_deref().unwrap_or_default()
}

/// The pending changes of an op's create or update.
fn pending_of(kind: &OpKind) -> impl Iterator<Item = &Change> {
    let changes = match kind {
        OpKind::Create { fields } => fields.as_slice(),
        OpKind::Update { diff } => diff.as_slice(),
        _ => &[],
    };
    changes.iter().filter(|c| c.pending)
}

fn changes_mut(kind: &mut OpKind) -> Option<&mut Vec<Change>> {
    match kind {
        OpKind::Create { fields } => Some(fields),
        OpKind::Update { diff } => Some(diff),
        _ => None,
    }
}

/// The pending changes of `op` that `which` selects, taken out of it.
fn take_pending(op: &mut Op, which: impl Fn(&Change) -> bool) -> Vec<Change> {
    let Some(changes) = changes_mut(&mut op.kind) else {
        return Vec::new();
    };
    // In place: rebuilding every create's changes left each `Vec` up to twice its length
    // (issue 16 §3).
    changes.extract_if(.., |c| c.pending && which(c)).collect()
}

/// The pending references (op index, attribute) that close a cycle, one per cycle: found by a
/// depth-first walk in plan order (iterative: a chain of managers may be long).
fn cycle_edges(ops: &[Op]) -> Vec<(usize, String)> {
    let mut creates: HashMap<&str, usize> = HashMap::new();
    for (i, op) in ops.iter().enumerate() {
        if op.object_type == ObjectType::User && matches!(op.kind, OpKind::Create { .. }) {
            creates.insert(op.source_id.as_str(), i);
        }
    }
    let edges = |i: usize| -> Vec<(&str, usize)> {
        let changes = match &ops[i].kind {
            OpKind::Create { fields } => fields,
            OpKind::Update { diff } => diff,
            _ => return Vec::new(),
        };
        changes
            .iter()
            .filter(|c| c.pending)
            .filter_map(|c| Some((&*c.attribute, *creates.get(pending_id(c))?)))
            .collect()
    };
    // 0: not seen, 1: on the walk's path, 2: done.
    let mut state = vec![0u8; ops.len()];
    let mut out = Vec::new();
    for start in 0..ops.len() {
        if state[start] != 0 || edges(start).is_empty() {
            continue;
        }
        let mut stack: Vec<(usize, Vec<(&str, usize)>)> = vec![(start, edges(start))];
        state[start] = 1;
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            let Some((attribute, to)) = next.pop() else {
                state[node] = 2;
                stack.pop();
                continue;
            };
            match state[to] {
                0 => {
                    state[to] = 1;
                    stack.push((to, edges(to)));
                }
                1 => out.push((node, attribute.to_owned())),
                _ => {}
            }
        }
    }
    out
}
