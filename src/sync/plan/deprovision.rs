//! Deprovisioning: linked objects that left scope, were disabled, soft-deleted or purged in
//! Entra are disabled in ServiceNow (or deleted, when purged and the Delete action is on).

use std::collections::HashMap;

use super::super::op::{Change, ObjectType, Op, OpKind};
use super::super::outcome::Status;
use super::input::{Prior, Row, Rules, Source, SourceObject};
use super::objects::step;
use crate::mapping::model::ObjectMapping;
use crate::model::stable_hash;

/// Linked objects that left scope, were disabled, soft-deleted or purged.
pub(super) fn deprovision(
    ot: ObjectType,
    mapping: &ObjectMapping,
    source: &Source,
    by_id: &HashMap<&str, &Row>,
    prior: &Prior,
    rules: &Rules,
    ops: &mut Vec<Op>,
) {
    let objects = if ot == ObjectType::Group {
        &source.groups
    } else {
        &source.users
    };
    let present: HashMap<&str, &SourceObject> = objects.iter().map(|o| (o.id.as_str(), o)).collect();
    let mut linked: Vec<(&String, &String)> = prior
        .links
        .iter()
        .filter(|((t, _), _)| *t == ot)
        .map(|((_, id), sys)| (id, sys))
        .collect();
    linked.sort();
    for (id, sys_id) in linked {
        let object = present.get(id.as_str());
        if object.is_some_and(|o| o.in_scope) {
            continue;
        }
        let Some(row) = by_id.get(sys_id.as_str()) else {
            continue;
        };
        let purged = object.is_none() && !source.soft_deleted.contains(id);
        let name = object.map_or_else(
            || row.get("user_name").or(row.get("name")).unwrap_or(id).to_owned(),
            |o| o.name.clone(),
        );
        let why = if purged {
            "deleted permanently in Entra".to_owned()
        } else if object.is_none() {
            "soft-deleted in Entra".to_owned()
        } else {
            object.map(|o| o.scope_detail.clone()).unwrap_or_default()
        };
        let kind = if purged && mapping.actions.delete {
            OpKind::Delete
        } else if (rules.mappings.skip_out_of_scope_deletions && !purged) || !row.active() {
            // SkipOutOfScopeDeletions, or already disabled: nothing to send, nothing to log.
            continue;
        } else {
            OpKind::Disable {
                diff: vec![Change::new("active", Some("true".into()), Some("false".into()))],
            }
        };
        ops.push(Op {
            object_type: ot,
            source_id: id.clone(),
            source_name: name,
            target_id: Some(sys_id.clone()),
            member_id: None,
            hash: stable_hash(&[id, kind.action().as_str()]),
            steps: vec![
                step("Scope", Status::Success, why),
                step("Match", Status::Success, format!("linked to {sys_id}")),
            ],
            kind,
        });
    }
}
