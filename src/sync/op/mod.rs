//! The plan's vocabulary: what one cycle intends to do to each object, with its attribute diff
//! (old → new), in the order it will be applied (users, groups, memberships, references).
//!
//! A [`Plan`] is data: the dry run prints it, the console shows it, and the real cycle applies
//! exactly these operations. Values are ServiceNow's wire form, normalised (booleans
//! `true`/`false`, references as sys_ids).

use serde::{Deserialize, Serialize};

use super::outcome::{Action, FailureCode, SkipReason, Status};
use crate::model::words::thousands;

pub use crate::model::{CycleKind, ObjectType, UnknownObjectType};

mod change;
mod compact;
mod members;
mod plan;
#[cfg(test)]
mod tests;

pub use change::Change;
pub use compact::{Id, Name, OpHash};
pub use members::{MembersBuilder, Memberships, Why};
pub use plan::{Ops, OpsSeq, Plan};

/// An Entra-style failure: the code (Entra's spelling where Entra has one), why, what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub code: FailureCode,
    pub reason: String,
    pub recommended_action: String,
}

/// What to do with one object. Serialised for output (the plan's JSON), for the engine's
/// socket, and stored only as held disables and deletes (`safety::staged` reads those back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OpKind {
    /// A new row with these fields.
    Create { fields: Vec<Change> },
    /// Only the fields that differ from what ServiceNow holds now.
    Update { diff: Vec<Change> },
    /// `active=false` (and whatever else the diff lists).
    Disable { diff: Vec<Change> },
    /// Delete the row (a purge in Entra with the Delete action on).
    Delete,
    /// A write held back by the deletion threshold (issue 8): a user's disable, a group's
    /// deactivation, a delete, or a membership removal that follows from one of those (issue
    /// 14: a held object's memberships are held with it). `held` says which.
    StagedDelete {
        #[serde(default)]
        held: Held,
    },
    /// Add `sys_user_grmember` for (group, user).
    AddMember,
    /// Remove the `sys_user_grmember` row `target_id`.
    RemoveMember,
    /// Create a reference row (`missing_reference = "create"`) whose `field` is `value`, before
    /// the objects that refer to it (their field holds `value` until apply resolves it).
    /// Boxed, as `Error`'s failure: both are rare, and an op's size is that of its largest
    /// kind (issue 16 §3). Serialised as before (`table`, `field`, `value` beside `action`).
    CreateReference(Box<NewRow>),
    /// Set a reference to a user created in this cycle (manager) once both exist, where the
    /// object's own write cannot carry it: a cycle of references (A manages B manages A), an
    /// object with nothing else to write, or a referenced create that will not happen.
    SetReference { attribute: String, source_id: String },
    /// Nothing to write; the reason says why (in sync, disabled and not created, …).
    Skip { reason: SkipReason },
    /// The object cannot be provisioned; nothing is written for it.
    Error(Box<Failure>),
}

/// What a `StagedDelete` holds back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Held {
    /// A user's disable.
    #[default]
    Disable,
    /// A group's deactivation.
    Deactivate,
    /// A user's or group's delete.
    Delete,
    /// A membership row of a held user or group.
    RemoveMember,
}

impl std::fmt::Display for Held {
    /// The word of the JSON: `disable`, `deactivate`, `delete`, `remove_member`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Held::Disable => "disable",
            Held::Deactivate => "deactivate",
            Held::Delete => "delete",
            Held::RemoveMember => "remove_member",
        })
    }
}

impl Held {
    /// What `op` (a disable, delete or membership removal) is, held.
    pub fn of(op: &Op) -> Held {
        match (&op.kind, op.object_type) {
            (OpKind::Delete, _) => Held::Delete,
            (_, ObjectType::Membership) => Held::RemoveMember,
            (_, ObjectType::Group) => Held::Deactivate,
            _ => Held::Disable,
        }
    }
}

/// The reference row a `CreateReference` creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRow {
    pub table: String,
    pub field: String,
    pub value: String,
}

impl OpKind {
    /// The action word of the provisioning log (`create`, `update`, …, Entra's `StagedDelete`).
    pub fn action(&self) -> Action {
        match self {
            OpKind::Create { .. } => Action::Create,
            OpKind::Update { .. } | OpKind::SetReference { .. } => Action::Update,
            OpKind::Disable { .. } => Action::Disable,
            OpKind::Delete => Action::Delete,
            OpKind::StagedDelete { .. } => Action::StagedDelete,
            OpKind::AddMember => Action::AddMember,
            OpKind::RemoveMember => Action::RemoveMember,
            OpKind::CreateReference(_) => Action::CreateReference,
            OpKind::Skip { .. } => Action::Skip,
            OpKind::Error(_) => Action::Error,
        }
    }

    /// Whether applying it sends a write to ServiceNow.
    pub fn writes(&self) -> bool {
        !matches!(
            self,
            OpKind::Skip { .. } | OpKind::Error(_) | OpKind::StagedDelete { .. }
        )
    }
}

/// One step of the object's pipeline (Import → Scope → Match → Action), as Entra's log shows.
/// Names and most details are fixed words: borrowed, not a copy per op (a plan at 100,000
/// users holds about 600,000 ops; issue 16 §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Entra's step name: `Import`, `Scope`, `Match`, `Action`.
    pub name: std::borrow::Cow<'static, str>,
    pub status: Status,
    pub detail: std::borrow::Cow<'static, str>,
}

/// An op's steps: a membership's are one of a few fixed lists, borrowed (`Steps::Borrowed`).
pub type Steps = std::borrow::Cow<'static, [Step]>;

/// One operation of a plan. Its ids, name, steps and hash are the compact forms of
/// `compact` (issue 16 §3); they serialise as the strings they stand for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    pub object_type: ObjectType,
    /// The Graph object id (for a membership: the group's).
    pub source_id: Id,
    /// UPN or group name (for a membership: `group / user`).
    pub source_name: Name,
    /// The ServiceNow row: `None` for a create (and for a membership whose ends are created in
    /// this cycle, resolved through the links when applied).
    pub target_id: Option<String>,
    /// For a membership: the user's Graph id.
    pub member_id: Option<Id>,
    pub kind: OpKind,
    pub steps: Steps,
    /// Identifies what the op was computed from: a permanent failure is not retried while this
    /// stays the same.
    pub hash: OpHash,
}

/// Counts by action, for "counts first" and the cycle's statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub create: u64,
    pub update: u64,
    pub disable: u64,
    pub delete: u64,
    /// Users and groups held back by the deletion threshold (what it counts), each also
    /// counted by what it holds below.
    pub staged_delete: u64,
    #[serde(default)]
    pub held_disable: u64,
    #[serde(default)]
    pub held_deactivate: u64,
    #[serde(default)]
    pub held_delete: u64,
    /// Membership removals held with their user or group (not counted in `staged_delete`).
    #[serde(default)]
    pub held_remove_member: u64,
    pub add_member: u64,
    pub remove_member: u64,
    pub set_reference: u64,
    #[serde(default)]
    pub create_reference: u64,
    pub skip: u64,
    pub error: u64,
}

impl Counts {
    pub fn of<O: std::borrow::Borrow<Op>>(ops: impl IntoIterator<Item = O>) -> Counts {
        let mut c = Counts::default();
        for op in ops {
            c.add(&op.borrow().kind);
        }
        c
    }

    /// Counts one more op of `kind`.
    pub fn add(&mut self, kind: &OpKind) {
        let c = self;
        match kind {
            OpKind::Create { .. } => c.create += 1,
            OpKind::Update { .. } => c.update += 1,
            OpKind::Disable { .. } => c.disable += 1,
            OpKind::Delete => c.delete += 1,
            OpKind::StagedDelete { held } => {
                match held {
                    Held::Disable => c.held_disable += 1,
                    Held::Deactivate => c.held_deactivate += 1,
                    Held::Delete => c.held_delete += 1,
                    Held::RemoveMember => c.held_remove_member += 1,
                }
                // The threshold counts users and groups, not memberships.
                if *held != Held::RemoveMember {
                    c.staged_delete += 1;
                }
            }
            OpKind::AddMember => c.add_member += 1,
            OpKind::RemoveMember => c.remove_member += 1,
            OpKind::SetReference { .. } => c.set_reference += 1,
            OpKind::CreateReference(_) => c.create_reference += 1,
            OpKind::Skip { .. } => c.skip += 1,
            OpKind::Error(_) => c.error += 1,
        }
    }

    /// What the deletion threshold holds, in words: `1,715 disables, 91 deactivations, 2,090
    /// membership removals`; `None` when it holds nothing.
    pub fn held_words(&self) -> Option<String> {
        held_words(
            self.held_disable,
            self.held_deactivate,
            self.held_delete,
            self.held_remove_member,
        )
    }

    /// Operations that send a write.
    pub fn writes(&self) -> u64 {
        self.create
            + self.update
            + self.disable
            + self.delete
            + self.add_member
            + self.remove_member
            + self.set_reference
            + self.create_reference
    }
}

/// What a plan was made from (issue 14): applying it after the rules changed, or after any
/// write since, is refused ("this plan is out of date: make a new dry run").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basis {
    /// `ResolvedProfile::plan_hash` of the profile it was planned under: configuration,
    /// mappings and scope.
    pub profile: String,
    /// The cycle it plans: a real cycle's id, or for a dry run the id the next cycle will take
    /// (a dry run takes no number of its own).
    pub cycle_id: i64,
    /// When its reads began: what it says of both sides is as of then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made: Option<chrono::DateTime<chrono::Utc>>,
    /// Until when `ApplyPlan` applies it (`plan_valid_minutes` after `made`; review R5): later,
    /// either side may have changed by hand, and it is refused ("expired").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<chrono::DateTime<chrono::Utc>>,
}

impl Basis {
    /// Whether its validity ended before `now` (a plan with no validity never expires).
    pub fn expired(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.valid_until.is_some_and(|until| now > until)
    }

    /// Why a plan that expired is not applied: `it expired at 12:18 UTC, 15 minutes after its
    /// reads`.
    pub fn expired_words(&self) -> String {
        let hm = |t: &chrono::DateTime<chrono::Utc>| t.format("%H:%M").to_string();
        match (&self.made, &self.valid_until) {
            (Some(made), Some(until)) => format!(
                "it expired at {} UTC, {} minutes after its reads",
                hm(until),
                (*until - *made).num_minutes(),
            ),
            (_, Some(until)) => format!("it expired at {} UTC", hm(until)),
            _ => "it expired".to_owned(),
        }
    }
}

/// `1,715 disables, 91 deactivations, 2 deletes, 2,090 membership removals`: what the deletion
/// threshold holds, each kind only when there is one; `None` when nothing is held. Each count
/// is of what it says (issue 14: counts mean objects; a membership removal is no deletion).
pub fn held_words(disable: u64, deactivate: u64, delete: u64, remove_member: u64) -> Option<String> {
    let word = |n: u64, one: &str, many: &str| {
        (n > 0).then(|| format!("{} {}", thousands(n), if n == 1 { one } else { many }))
    };
    let words: Vec<String> = [
        word(disable, "disable", "disables"),
        word(deactivate, "deactivation", "deactivations"),
        word(delete, "delete", "deletes"),
        word(remove_member, "membership removal", "membership removals"),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!words.is_empty()).then(|| words.join(", "))
}
