//! A plan's memberships held compactly (issue 16 §3): at 100,000 users a plan has ~526,000 of
//! them, and as whole [`Op`]s (200 bytes each) they were the largest part of an initial cycle's
//! memory. Each is kept here as a pair of indices into one table of the groups and users they
//! name (each id and name once, shared), the row a removal deletes, and why; 16 bytes. The op
//! is built when a reader asks for it ([`Memberships::op`]), equal to the one the plan held
//! before, so the plan's JSON, the door's frames and the console read the same.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use super::{Id, Name, ObjectType, Op, OpKind, Step};
use crate::sync::outcome::{MemberWait, SkipReason, Status};

/// Why a membership op is planned; it gives the op's kind and its one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The user is a member of the group in Entra and has no row: add one.
    MemberInEntra,
    /// A second row of a pair that should have one: remove it.
    DuplicateRow,
    /// The user is no longer a member in Entra: remove its row.
    NoLongerMember,
    /// The group is deactivated in ServiceNow: remove its managed users' rows.
    Deactivated,
    /// A removal held by the deletion threshold with its group's deactivation (issue 14).
    HeldWithGroup,
    /// A removal held by the deletion threshold with its user's disable or delete.
    HeldWithUser,
    /// An add that waits for its user's create, which fails in this plan: a skip naming why
    /// (its failure's reason is held where a removal's row is).
    WaitsForCreate,
}

/// A membership's steps: one of these fixed lists, borrowed by every op that has it.
const fn action(detail: &'static str) -> [Step; 1] {
    [Step {
        name: Cow::Borrowed("Action"),
        status: Status::Planned,
        detail: Cow::Borrowed(detail),
    }]
}
static MEMBER_IN_ENTRA: [Step; 1] = action("member in Entra");
static DUPLICATE_ROW: [Step; 1] = action("duplicate row");
static NO_LONGER_MEMBER: [Step; 1] = action("no longer a member in Entra");
static DEACTIVATED: [Step; 1] = action("the group is deactivated in ServiceNow (left scope or deleted in Entra)");
/// A held removal's step: why it is not written.
const fn held(detail: &'static str) -> [Step; 1] {
    [Step {
        name: Cow::Borrowed("Action"),
        status: Status::Skipped,
        detail: Cow::Borrowed(detail),
    }]
}
static HELD_WITH_GROUP: [Step; 1] = held(
    "held by the deletion threshold with its group's deactivation: the group stays active with its members until nowsync allow-deletes",
);
static WAITS_FOR_CREATE: [Step; 1] = [Step {
    name: Cow::Borrowed("Action"),
    status: Status::Skipped,
    detail: Cow::Borrowed("waits for the user's create, which failed"),
}];
static HELD_WITH_USER: [Step; 1] = held(
    "held by the deletion threshold with its user's deprovisioning: the user stays active in the group until nowsync allow-deletes",
);

impl Why {
    pub fn kind(self) -> OpKind {
        match self {
            Why::MemberInEntra => OpKind::AddMember,
            Why::HeldWithGroup | Why::HeldWithUser => OpKind::StagedDelete {
                held: super::Held::RemoveMember,
            },
            // The names and the reason are the op's (`Memberships::build`).
            Why::WaitsForCreate => OpKind::Skip {
                reason: SkipReason::MemberWaits(Box::new(MemberWait {
                    user: String::new(),
                    group: String::new(),
                    failed: String::new(),
                })),
            },
            _ => OpKind::RemoveMember,
        }
    }

    pub fn steps(self) -> &'static [Step] {
        match self {
            Why::MemberInEntra => &MEMBER_IN_ENTRA,
            Why::DuplicateRow => &DUPLICATE_ROW,
            Why::NoLongerMember => &NO_LONGER_MEMBER,
            Why::Deactivated => &DEACTIVATED,
            Why::HeldWithGroup => &HELD_WITH_GROUP,
            Why::HeldWithUser => &HELD_WITH_USER,
            Why::WaitsForCreate => &WAITS_FOR_CREATE,
        }
    }
}

/// No row (an add).
const NO_ROW: u32 = u32::MAX;

/// One membership: indices into [`Memberships`]' tables.
#[derive(Debug, Clone, Copy)]
struct Member {
    group: u32,
    user: u32,
    row: u32,
    why: Why,
}

/// Every membership op of a plan, in plan order.
#[derive(Debug, Clone, Default)]
pub struct Memberships {
    /// The groups and users named, each once: its id and name as the ops share them.
    ends: Vec<(Id, Arc<str>)>,
    /// The sys_ids of the rows the removals delete.
    rows: Vec<String>,
    list: Vec<Member>,
}

impl Memberships {
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The ops' kinds, without building them (counts).
    pub fn kinds(&self) -> impl Iterator<Item = OpKind> + '_ {
        self.list.iter().map(|m| m.why.kind())
    }

    /// These memberships with each one's why given by `why` (its group's id, its user's id,
    /// its why now).
    pub fn map_why(&self, mut why: impl FnMut(&str, &str, Why) -> Why) -> Memberships {
        let mut out = self.clone();
        for m in &mut out.list {
            let (group, user) = (&self.ends[m.group as usize].0, &self.ends[m.user as usize].0);
            m.why = why(group.as_str(), user.as_str(), m.why);
        }
        out
    }

    /// The `i`th membership op, built as the plan held it before it was compact.
    pub fn op(&self, i: usize) -> Option<Op> {
        self.list.get(i).map(|m| self.build(m))
    }

    /// Every op, in order.
    pub fn ops(&self) -> impl ExactSizeIterator<Item = Op> + '_ {
        self.list.iter().map(|m| self.build(m))
    }

    /// The op of `m`, whose indices the builder gave.
    fn build(&self, m: &Member) -> Op {
        let (group, group_name) = &self.ends[m.group as usize];
        let (user, user_name) = &self.ends[m.user as usize];
        let row = (m.row != NO_ROW).then(|| self.rows[m.row as usize].clone());
        let (kind, row) = match m.why {
            Why::WaitsForCreate => (
                OpKind::Skip {
                    reason: SkipReason::MemberWaits(Box::new(MemberWait {
                        user: user_name.to_string(),
                        group: group_name.to_string(),
                        failed: row.unwrap_or_default(),
                    })),
                },
                None,
            ),
            why => (why.kind(), row),
        };
        let hash = crate::model::stable_hash(&[group.as_str(), user.as_str(), kind.action().as_str()]);
        Op {
            object_type: ObjectType::Membership,
            source_id: group.clone(),
            source_name: Name::member(group_name.clone(), user_name.clone()),
            target_id: row,
            member_id: Some(user.clone()),
            steps: Cow::Borrowed(m.why.steps()),
            kind,
            hash: hash.into(),
        }
    }
}

/// Builds a plan's [`Memberships`]: each group and user entered once by its id.
#[derive(Default)]
pub struct MembersBuilder {
    index: HashMap<Id, u32>,
    out: Memberships,
}

impl MembersBuilder {
    /// The index of the group or user `id` named `name` (entered the first time).
    pub fn end(&mut self, id: &str, name: &str) -> u32 {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let id = Id::from(id);
        let ends = &mut self.out.ends;
        ends.push((id.clone(), Arc::from(name)));
        let i = u32::try_from(ends.len() - 1).unwrap_or(u32::MAX);
        self.index.insert(id, i);
        i
    }

    /// A membership of `user` in `group`; `row` the row a removal deletes.
    pub fn push(&mut self, group: u32, user: u32, row: Option<&str>, why: Why) {
        let row = row.map_or(NO_ROW, |r| {
            self.out.rows.push(r.to_owned());
            u32::try_from(self.out.rows.len() - 1).unwrap_or(NO_ROW)
        });
        self.out.list.push(Member { group, user, row, why });
    }

    pub fn finish(mut self) -> Memberships {
        self.out.list.shrink_to_fit();
        self.out.ends.shrink_to_fit();
        self.out.rows.shrink_to_fit();
        self.out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_membership_costs_16_bytes() {
        // ~526,000 of them at 100,000 users (an `Op` is 200 bytes).
        assert!(std::mem::size_of::<super::Member>() <= 16);
    }
}
