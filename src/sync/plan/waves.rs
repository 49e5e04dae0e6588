//! Managers set in the create (issue 16 §2): a user's create (or update) carries the reference
//! to a manager created in the same cycle as a pending change, and apply sends it once the
//! manager's create is done (`apply::waves`), so no second `PATCH` sets it. What a pending
//! change cannot wait for becomes a `SetReference` write of its own, after everything else:
//! - a reference to a user whose create this plan does not send (its mapping failed, a
//!   permanent failure suppressed it): it fails at apply as `ReferenceNotProvisioned`, retried
//!   next cycle, as before;
//! - one edge of each cycle of references (A manages B manages A): one of the two is created
//!   first without it. Pure.

use std::collections::{HashMap, HashSet};

use super::super::op::{Change, Id, ObjectType, Op, OpKind};
use super::objects::set_reference;

/// The user ops' pending changes that cannot be sent in their create moved to `SetReference`
/// ops at the end of `ops`.
pub fn settle(ops: &mut Vec<Op>) {
    let creates: HashSet<Id> = ops
        .iter()
        .filter(|op| op.object_type == ObjectType::User && matches!(op.kind, OpKind::Create { .. }))
        .map(|op| op.source_id.clone())
        .collect();
    let mut moved: Vec<Op> = Vec::new();
    for op in ops.iter_mut() {
        for c in take_pending(op, |c| !creates.contains(pending_id(c))) {
            let to = pending_id(&c).to_owned();
            moved.push(set_reference(op, c.attribute.to_string(), to));
        }
    }
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

fn pending_id(c: &Change) -> &str {
    c.new.as_deref().unwrap_or_default()
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
