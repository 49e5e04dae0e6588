//! [`Plan`]: every operation of one cycle, in apply order. Its memberships are held compactly
//! ([`Memberships`], issue 16 §3) and built as ops when read: every reader (the applier, the
//! door, the console, the CLI, the safety rules) reads the ops through [`Plan::ops`], and the
//! plan serialises exactly as a list of whole ops did.

use std::borrow::Cow;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

use super::{Basis, Counts, CycleKind, Memberships, Op, Why};

/// Every operation of one cycle, in apply order. Travels whole over the engine's socket
/// (`door`): an attached console shows it and names it to `ApplyPlan`, which the engine
/// checks against its own copy (a redacted change arrives as `***`: only the engine writes).
#[derive(Debug, Clone)]
pub struct Plan {
    /// A dry run's plan number, given in order over the profile's life (the store keeps the
    /// last); `Command::ApplyPlan` names it. [`Plan::UNNUMBERED`] for the plan a real cycle
    /// makes and applies itself, a provision's and allow-deletes': those are named by their
    /// cycle, so plan numbers are those of the plans an admin may apply, with no gaps.
    pub id: u64,
    pub kind: CycleKind,
    pub counts: Counts,
    /// The ops held whole: all of them but the compact memberships.
    objects: Vec<Op>,
    members: Memberships,
    /// Where among `objects` the memberships come (after the users and groups, before the
    /// references set once both ends exist).
    members_at: usize,
    /// What it was made from: `ApplyPlan` refuses it once that changed.
    pub basis: Basis,
}

impl Plan {
    /// The id of a plan no dry run showed (`Plan::id`).
    pub const UNNUMBERED: u64 = 0;

    /// Whether it is a dry run's plan, numbered for `Command::ApplyPlan`.
    pub fn numbered(&self) -> bool {
        self.id != Self::UNNUMBERED
    }

    /// Whether `other` is this plan arriving again (a dry run's plan being applied); two
    /// cycles' own plans are never the same.
    pub fn same(&self, other: &Plan) -> bool {
        self.numbered() && self.id == other.id
    }

    /// A plan of these ops, each held whole.
    pub fn new(id: u64, kind: CycleKind, ops: Vec<Op>) -> Plan {
        let at = ops.len();
        Plan::with_members(id, kind, ops, Memberships::default(), at)
    }

    /// A plan of `objects` with `members` applied after the first `at` of them.
    pub fn with_members(id: u64, kind: CycleKind, objects: Vec<Op>, members: Memberships, at: usize) -> Plan {
        let mut counts = Counts::of(&objects);
        for kind in members.kinds() {
            counts.add(&kind);
        }
        Plan {
            id,
            kind,
            counts,
            members_at: at.min(objects.len()),
            objects,
            members,
            basis: Basis::default(),
        }
    }

    /// How many ops it has.
    pub fn len(&self) -> usize {
        self.objects.len() + self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`th op in apply order (a membership built when asked).
    pub fn get(&self, i: usize) -> Option<Cow<'_, Op>> {
        let members = self.members.len();
        if i < self.members_at {
            self.objects.get(i).map(Cow::Borrowed)
        } else if i < self.members_at + members {
            self.members.op(i - self.members_at).map(Cow::Owned)
        } else {
            self.objects.get(i - members).map(Cow::Borrowed)
        }
    }

    /// Every op in apply order; a compact membership is built as it is reached.
    pub fn ops(&self) -> Ops<'_> {
        Ops {
            plan: self,
            next: 0,
            end: self.len(),
        }
    }

    /// The ops held whole, in order: every op but the compact memberships. A reader that needs
    /// only users', groups' and references' ops reads these and builds no membership (a plan
    /// read back from JSON holds its memberships here too: such a reader still checks the type).
    pub fn objects(&self) -> &[Op] {
        &self.objects
    }

    /// The compact memberships, built one by one (the applier's membership phase).
    pub fn members(&self) -> impl ExactSizeIterator<Item = Op> + '_ {
        self.members.ops()
    }

    /// Every op, each whole: for a caller that needs a slice (tests, a small plan).
    pub fn to_vec(&self) -> Vec<Op> {
        self.ops().map(Cow::into_owned).collect()
    }

    /// This plan with `change` made to each op held whole and `why` to each compact membership
    /// (given its group's and its user's ids), its counts taken again.
    pub fn map(&self, change: impl FnMut(&Op) -> Op, why: impl FnMut(&str, &str, Why) -> Why) -> Plan {
        let objects = self.objects.iter().map(change).collect();
        let members = self.members.map_why(why);
        let mut plan = Plan::with_members(self.id, self.kind, objects, members, self.members_at);
        plan.basis = self.basis.clone();
        plan
    }
}

/// A plan's ops in apply order ([`Plan::ops`]).
pub struct Ops<'a> {
    plan: &'a Plan,
    next: usize,
    end: usize,
}

impl<'a> Iterator for Ops<'a> {
    type Item = Cow<'a, Op>;

    fn next(&mut self) -> Option<Cow<'a, Op>> {
        if self.next >= self.end {
            return None;
        }
        let op = self.plan.get(self.next);
        self.next += 1;
        op
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.end - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Ops<'_> {}

/// The ops as one JSON list, built one at a time: a plan serialises as the list of whole ops
/// it was before its memberships were compact, byte for byte.
pub struct OpsSeq<'a>(pub &'a Plan);

impl Serialize for OpsSeq<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.ops())
    }
}

impl Serialize for Plan {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Plan", 5)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("kind", &self.kind)?;
        st.serialize_field("counts", &self.counts)?;
        st.serialize_field("ops", &OpsSeq(self))?;
        st.serialize_field("basis", &self.basis)?;
        st.end()
    }
}

/// A plan as it travels: its ops whole.
#[derive(Deserialize)]
struct Wire {
    id: u64,
    kind: CycleKind,
    counts: Counts,
    ops: Vec<Op>,
    basis: Basis,
}

impl<'de> Deserialize<'de> for Plan {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Plan, D::Error> {
        let w = Wire::deserialize(d)?;
        let at = w.ops.len();
        Ok(Plan {
            id: w.id,
            kind: w.kind,
            counts: w.counts,
            objects: w.ops,
            members: Memberships::default(),
            members_at: at,
            basis: w.basis,
        })
    }
}

/// Equal when they hold the same ops in the same order (however they hold them).
impl PartialEq for Plan {
    fn eq(&self, other: &Plan) -> bool {
        self.id == other.id
            && self.kind == other.kind
            && self.counts == other.counts
            && self.basis == other.basis
            && self.len() == other.len()
            && self.ops().zip(other.ops()).all(|(a, b)| a == b)
    }
}

impl Eq for Plan {}
