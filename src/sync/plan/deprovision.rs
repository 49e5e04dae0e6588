//! Deprovisioning: linked objects that left scope, were disabled, soft-deleted or purged in
//! Entra.
//!
//! No destructive defaults (servicenow.md §13 #3: deleting a user or group clears its
//! references in every table, and ServiceNow advises deactivating instead): users are disabled
//! (`active=false`, which locks them out) and groups deactivated (`active=false`, their rows in
//! the members table removed by `plan::memberships`), whatever happened in Entra. Only with
//! `deprovision_users` / `deprovision_groups = "delete"` (and the mapping's Delete action on) is
//! an object purged in Entra deleted, as Entra does; a soft-deleted one (a user or a Microsoft
//! 365 group in the recycle bin) is only disabled then, so its restore re-activates the same
//! row. The integration account and rows of other classes are never touched, nor deleted a group
//! it is a member of or holds roles through (the delete would cascade to them, §13 #3): that op
//! fails with `GroupGrantsIntegrationAccount`.

use std::collections::HashMap;

use super::super::op::{Change, ObjectType, Op, OpKind};
use super::super::outcome::{FailureCode, SkipReason, Status};
use super::desired::failure;
use super::input::{Prior, Row, Rules, Source, SourceObject, Target};
use super::objects::step;
use crate::config::{DeprovisionGroups, DeprovisionUsers};
use crate::mapping::model::ObjectMapping;
use crate::model::stable_hash;

/// Linked objects that left scope, were disabled, soft-deleted or purged.
#[allow(clippy::too_many_arguments)]
pub(super) fn deprovision(
    ot: ObjectType,
    mapping: &ObjectMapping,
    source: &Source,
    target: &Target,
    by_id: &HashMap<&str, &Row>,
    prior: &Prior,
    rules: &Rules,
    ops: &mut Vec<Op>,
) {
    let (objects, soft_deleted) = if ot == ObjectType::Group {
        (&source.groups, &source.soft_deleted_groups)
    } else {
        (&source.users, &source.soft_deleted)
    };
    let present: HashMap<&str, &SourceObject> = objects.iter().map(|o| (o.id.as_str(), o)).collect();
    let deletes = match ot {
        ObjectType::Group => rules.deprovision_groups == DeprovisionGroups::Delete,
        _ => rules.deprovision_users == DeprovisionUsers::Delete,
    } && mapping.actions.delete;
    for (id, sys_id) in linked(prior, ot) {
        let object = present.get(id.as_str()).copied();
        if object.is_some_and(|o| o.in_scope) {
            continue;
        }
        let Some(row) = by_id.get(sys_id.as_str()) else {
            continue;
        };
        if target.protected(row, &mapping.target_table).is_some() {
            continue;
        }
        let leaver = Leaver {
            ot,
            id,
            sys_id,
            object,
            row,
            purged: object.is_none() && !soft_deleted.contains(id),
            keeps_account: ot == ObjectType::Group && target.integration_groups.contains(sys_id.as_str()),
        };
        ops.extend(leaver.op(deletes, rules));
    }
}

/// The links of one object type, as (source id, sys_id), in a stable order.
fn linked(prior: &Prior, ot: ObjectType) -> Vec<(&String, &String)> {
    let mut linked: Vec<(&String, &String)> = prior
        .links
        .iter()
        .filter(|((t, _), _)| *t == ot)
        .map(|((_, id), sys)| (id, sys))
        .collect();
    linked.sort();
    linked
}

/// A linked object out of scope, with its row in ServiceNow.
struct Leaver<'a> {
    ot: ObjectType,
    id: &'a String,
    sys_id: &'a String,
    /// In the source, out of scope; `None` when soft-deleted or purged in Entra.
    object: Option<&'a SourceObject>,
    row: &'a Row,
    purged: bool,
    /// A group the integration account is a member of or holds roles through: never deleted.
    keeps_account: bool,
}

impl Leaver<'_> {
    /// Delete, disable, or nothing (`None`): SkipOutOfScopeDeletions, or already disabled.
    fn op(&self, deletes: bool, rules: &Rules) -> Option<Op> {
        let kind = if self.purged && deletes && self.keeps_account {
            OpKind::Error(Box::new(failure(
                FailureCode::GroupGrantsIntegrationAccount,
                format!(
                    "the integration account is a member of the ServiceNow group {} or holds roles through it; deleting the group would delete that membership and those roles with it, and nowsync would lose its own access: not deleted",
                    self.sys_id
                ),
                "remove the integration account from this group in ServiceNow (give it its roles directly or through another group), then the next cycle deletes it; or set deprovision_groups = \"deactivate\"",
            )))
        } else if self.purged && deletes {
            OpKind::Delete
        } else if (rules.mappings.skip_out_of_scope_deletions && !self.purged) || !self.row.active() {
            // SkipOutOfScopeDeletions, or already disabled: nothing to send, nothing to log.
            return None;
        } else {
            OpKind::Disable {
                diff: vec![Change::new("active", Some("true".into()), Some("false".into()))],
            }
        };
        let what = match (&kind, self.ot) {
            (OpKind::Delete, _) => "deleted",
            (OpKind::Error(_), _) => "not deleted (it grants the integration account's access)",
            (_, ObjectType::Group) => "deactivated (deprovision_groups = \"deactivate\")",
            _ if self.purged => "disabled (deprovision_users = \"disable\")",
            _ => "disabled",
        };
        let (id, sys_id) = (self.id, self.sys_id);
        Some(Op {
            object_type: self.ot,
            source_id: id.into(),
            source_name: self.name().into(),
            target_id: Some(sys_id.clone()),
            member_id: None,
            hash: stable_hash(&[id, kind.action().as_str()]).into(),
            steps: vec![
                step("Scope", Status::Success, format!("{}: {what}", self.why())),
                step("Match", Status::Success, format!("linked to {sys_id}")),
            ]
            .into(),
            kind,
        })
    }

    /// The source's name, else the row's (the object is gone from Entra).
    fn name(&self) -> String {
        self.object.map_or_else(
            || {
                self.row
                    .get("user_name")
                    .or(self.row.get("name"))
                    .unwrap_or(self.id)
                    .to_owned()
            },
            |o| o.name.clone(),
        )
    }

    /// Why it left scope, as the Scope step says.
    fn why(&self) -> String {
        if self.purged {
            "deleted permanently in Entra".to_owned()
        } else if let Some(o) = self.object {
            o.scope_detail.clone()
        } else {
            "soft-deleted in Entra".to_owned()
        }
    }
}

/// Objects in the retry queue that were never provisioned (no link) and are no longer in
/// scope, or gone from Entra: nothing of them exists in ServiceNow to deprovision, so each is
/// logged once as a skip that drops its failure from the queue (acceptance N11: pass 3 showed
/// 229 failing beside the last cycle's 65, objects that had left scope long before).
pub(super) fn left_scope(source: &Source, prior: &Prior) -> Vec<Op> {
    if prior.failing.is_empty() {
        return Vec::new();
    }
    let by_id = |objects: &'_ [SourceObject]| -> HashMap<String, usize> {
        objects.iter().enumerate().map(|(i, o)| (o.id.clone(), i)).collect()
    };
    let (users, groups) = (by_id(&source.users), by_id(&source.groups));
    let in_scope = |ot: ObjectType, id: &str| match ot {
        ObjectType::Group => groups.get(id).map(|&i| &source.groups[i]),
        _ => users.get(id).map(|&i| &source.users[i]),
    };
    let mut out: Vec<Op> = Vec::new();
    for ((ot, id), (code, name)) in &prior.failing {
        if *ot == ObjectType::Membership || prior.links.contains_key(&(*ot, id.clone())) {
            continue;
        }
        let object = in_scope(*ot, id);
        if object.is_some_and(|o| o.in_scope) {
            continue;
        }
        let why = match object {
            Some(o) => o.scope_detail.clone(),
            None if soft_deleted(source, *ot, id) => "soft-deleted in Entra".to_owned(),
            None => "deleted permanently in Entra".to_owned(),
        };
        let name = object.map_or_else(
            || if name.is_empty() { id.clone() } else { name.clone() },
            |o| o.name.clone(),
        );
        let kind = OpKind::Skip {
            reason: SkipReason::LeftScope { code: *code },
        };
        out.push(Op {
            object_type: *ot,
            source_id: id.as_str().into(),
            source_name: name.into(),
            target_id: None,
            member_id: None,
            hash: stable_hash(&[id, "left-scope"]).into(),
            steps: vec![step("Scope", Status::Skipped, format!("{why}: not provisioned"))].into(),
            kind,
        });
    }
    out.sort_by(|a, b| a.source_id.cmp(&b.source_id));
    out
}

fn soft_deleted(source: &Source, ot: ObjectType, id: &str) -> bool {
    match ot {
        ObjectType::Group => source.soft_deleted_groups.contains(id),
        _ => source.soft_deleted.contains(id),
    }
}
