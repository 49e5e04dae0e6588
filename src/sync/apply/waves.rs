//! The order a phase's ops start in (issue 16 §2, "waves by manager depth"): an op whose
//! changes name a user created in this cycle (a pending reference: its manager) starts once
//! that create is done, so its own create carries the manager's sys_id and no second `PATCH`
//! sets it. An op is released as soon as the creates it waits for are done — failed or not —
//! rather than a whole wave at a time, so no slot idles at a wave's end. The plan broke every
//! cycle of references (`plan::waves`); should one remain (a plan not made by it), the ops left
//! waiting are released together once nothing else can run, and `Applier::request` leaves a
//! reference it cannot resolve to a `SetReference` failure. A plan's compact memberships wait
//! for nothing: they follow the ready ops, each built as it starts (issue 16 §3).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};

use crate::sync::op::{ObjectType, Op, OpKind};

/// Ops built one by one, each waiting for nothing.
type Built<'o> = Box<dyn Iterator<Item = Op> + Send + 'o>;

/// A phase's ops: the ready ones in plan order, then the built ones, the waiting ones with what
/// they wait for.
pub(super) struct Queue<'o> {
    ready: VecDeque<&'o Op>,
    built: Option<Built<'o>>,
    /// Source id of a user created in this phase → the waiting ops (indices in `blocked`).
    waiters: HashMap<&'o str, Vec<usize>>,
    /// A waiting op and how many creates it still waits for (`None` once released).
    blocked: Vec<Option<(&'o Op, usize)>>,
    left: usize,
}

impl<'o> Queue<'o> {
    pub(super) fn new(ops: Vec<&'o Op>, built: Option<impl Iterator<Item = Op> + Send + 'o>) -> Queue<'o> {
        let creates: HashSet<&str> = ops
            .iter()
            .filter(|op| op.object_type == ObjectType::User && matches!(op.kind, OpKind::Create { .. }))
            .map(|op| op.source_id.as_str())
            .collect();
        let mut queue = Queue {
            ready: VecDeque::new(),
            built: built.map(|b| Box::new(b) as Built<'o>),
            waiters: HashMap::new(),
            blocked: Vec::new(),
            left: 0,
        };
        for op in ops {
            let waits: HashSet<&str> = pending(op)
                .filter(|id| creates.contains(id) && *id != op.source_id.as_str())
                .collect();
            if waits.is_empty() {
                queue.ready.push_back(op);
                continue;
            }
            let i = queue.blocked.len();
            queue.blocked.push(Some((op, waits.len())));
            queue.left += 1;
            for id in waits {
                queue.waiters.entry(id).or_default().push(i);
            }
        }
        queue
    }

    /// The next op to start. `idle`: nothing is in flight, so nothing will release a waiting
    /// op any more; then the waiting ones are all released (a cycle the plan left).
    pub(super) fn next(&mut self, idle: bool) -> Option<Cow<'o, Op>> {
        if let Some(op) = self.ready.pop_front() {
            return Some(Cow::Borrowed(op));
        }
        if let Some(op) = self.built.as_mut().and_then(Iterator::next) {
            return Some(Cow::Owned(op));
        }
        if idle && self.left > 0 {
            for slot in &mut self.blocked {
                if let Some((op, _)) = slot.take() {
                    self.ready.push_back(op);
                }
            }
            self.left = 0;
        }
        self.ready.pop_front().map(Cow::Borrowed)
    }

    /// `op` is done (written, failed or not sent): the ops that waited only for it are ready.
    pub(super) fn done(&mut self, op: &Op) {
        if op.object_type != ObjectType::User || !matches!(op.kind, OpKind::Create { .. }) {
            return;
        }
        for i in self.waiters.remove(op.source_id.as_str()).unwrap_or_default() {
            let Some((waiting, count)) = &mut self.blocked[i] else {
                continue;
            };
            *count -= 1;
            if *count == 0 {
                self.ready.push_back(waiting);
                self.blocked[i] = None;
                self.left -= 1;
            }
        }
    }
}

/// The source ids an op's pending changes name.
fn pending(op: &Op) -> impl Iterator<Item = &str> {
    let changes = match &op.kind {
        OpKind::Create { fields } => fields.as_slice(),
        OpKind::Update { diff } => diff.as_slice(),
        _ => &[],
    };
    changes.iter().filter(|c| c.pending).filter_map(|c| c.new.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::op::Change;

    fn user(id: &str, manager: Option<&str>) -> Op {
        let mut fields = vec![Change::new("user_name", None, Some(id.to_owned()))];
        fields.extend(manager.map(|m| Change::pending("manager", m.to_owned())));
        Op {
            object_type: ObjectType::User,
            source_id: id.into(),
            source_name: id.into(),
            target_id: None,
            member_id: None,
            kind: OpKind::Create { fields },
            steps: Vec::new().into(),
            hash: Default::default(),
        }
    }

    fn ids(ops: &[Cow<'_, Op>]) -> Vec<String> {
        ops.iter().map(|op| op.source_id.to_string()).collect()
    }

    #[test]
    fn a_report_starts_after_its_managers_create_and_not_before() {
        // c reports to b, b to a; d has no manager.
        let ops = [
            user("c", Some("b")),
            user("b", Some("a")),
            user("a", None),
            user("d", None),
        ];
        let mut q = Queue::new(ops.iter().collect(), None::<std::iter::Empty<Op>>);
        let first: Vec<Cow<'_, Op>> = std::iter::from_fn(|| q.next(false)).collect();
        assert_eq!(ids(&first), ["a", "d"], "only the ops waiting for nothing");
        q.done(&first[1]);
        assert!(q.next(false).is_none(), "d's create releases no one");
        q.done(&first[0]);
        let b = q.next(false).unwrap();
        assert_eq!(b.source_id, "b");
        assert!(q.next(false).is_none());
        q.done(&b);
        assert_eq!(q.next(false).unwrap().source_id, "c");
        assert!(q.next(true).is_none());
    }

    #[test]
    fn a_cycle_left_in_the_plan_is_released_once_nothing_runs() {
        let ops = [user("a", Some("b")), user("b", Some("a"))];
        let mut q = Queue::new(ops.iter().collect(), None::<std::iter::Empty<Op>>);
        assert!(q.next(false).is_none(), "each waits for the other");
        let released: Vec<Cow<'_, Op>> = std::iter::from_fn(|| q.next(true)).collect();
        assert_eq!(ids(&released), ["a", "b"]);
    }

    #[test]
    fn a_reference_to_a_user_not_created_here_waits_for_nothing() {
        let ops = [user("a", Some("elsewhere")), user("self", Some("self"))];
        let mut q = Queue::new(ops.iter().collect(), None::<std::iter::Empty<Op>>);
        let all: Vec<Cow<'_, Op>> = std::iter::from_fn(|| q.next(false)).collect();
        assert_eq!(ids(&all), ["a", "self"]);
    }
}
