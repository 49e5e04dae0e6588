//! Display values for the sys_ids a plan's diffs hold (issue 14, "names instead of ids"): a
//! lookup reference shows the referenced row's value (`location: (none) → Seattle`), a
//! reference to a provisioned user that user's name. Pure: from what the reads found; a sys_id
//! the cycle did not read keeps no display value (the diff then shows the sys_id).

use std::collections::{HashMap, HashSet};

use crate::mapping::model::{MappingSet, ObjectMapping, Reference, TargetType};

use super::super::op::{Change, ObjectType, Op, OpKind};
use super::input::{Prior, Source, Target};

/// sys_user sys_id → a name for it: the row's `user_name` as read, else the UPN of the source
/// user linked to it.
pub fn people<'a>(source: &'a Source, target: &'a Target, prior: &'a Prior) -> People<'a> {
    let upn: HashMap<&str, &str> = source
        .users
        .iter()
        .map(|u| (u.id.as_str(), u.name.as_str()))
        .chain(source.names.iter().map(|(id, name)| (id.as_str(), name.as_str())))
        .collect();
    let mut people: HashMap<&str, &str> = prior
        .links
        .iter()
        .filter(|((t, _), _)| *t == ObjectType::User)
        .filter_map(|((_, src), sys)| Some((sys.as_str(), *upn.get(src.as_str())?)))
        .collect();
    for row in &target.users {
        if let Some(name) = row.get("user_name") {
            people.insert(row.sys_id.as_str(), name);
        }
    }
    People {
        by_sys_id: people,
        by_source_id: upn,
    }
}

/// Names of people: by sys_id (references written), by source id (pending references to
/// users this cycle creates).
pub struct People<'a> {
    by_sys_id: HashMap<&'a str, &'a str>,
    by_source_id: HashMap<&'a str, &'a str>,
}

/// Sets the display values of every reference change of `ops`, and names the user a
/// `SetReference` sets (its step said the user's Entra object id).
pub fn name_references(ops: &mut [Op], mappings: &MappingSet, target: &Target, people: &People) {
    let created: HashSet<String> = ops
        .iter()
        .filter(|op| op.object_type == ObjectType::User && matches!(op.kind, OpKind::Create { .. }))
        .map(|op| op.source_id.to_string())
        .collect();
    for op in ops {
        if let OpKind::SetReference { attribute, source_id } = &op.kind {
            let said = set_reference_said(attribute, source_id, people, created.contains(source_id.as_str()));
            for step in op.steps.to_mut().iter_mut().filter(|s| s.name == "Action") {
                step.detail = said.clone().into();
            }
            continue;
        }
        let mapping = match op.object_type {
            ObjectType::User => &mappings.user,
            ObjectType::Group => &mappings.group,
            ObjectType::Membership => continue,
        };
        let changes = match &mut op.kind {
            OpKind::Create { fields } => fields,
            OpKind::Update { diff } | OpKind::Disable { diff } => diff,
            _ => continue,
        };
        for change in changes {
            name_change(change, mapping, target, people);
        }
    }
}

fn name_change(change: &mut Change, mapping: &ObjectMapping, target: &Target, people: &People) {
    let Some(reference) = mapping
        .attributes
        .iter()
        .find(|m| *m.target == *change.attribute)
        .and_then(|m| match &m.target_type {
            TargetType::Reference(r) => Some(r),
            _ => None,
        })
    else {
        return;
    };
    let name = |sys_id: Option<&str>| -> Option<String> {
        let sys_id = sys_id.filter(|v| !v.is_empty())?;
        match reference {
            Reference::Lookup { table, .. } => target.names.get(table)?.get(sys_id).cloned(),
            Reference::Provisioned { .. } => people.by_sys_id.get(sys_id).map(|n| (*n).to_owned()),
        }
    };
    let old = name(change.old());
    let new = if change.pending {
        let id = change.new.as_deref().unwrap_or_default();
        people.by_source_id.get(id).map(|n| (*n).to_owned())
    } else {
        name(change.new.as_deref())
    };
    change.set_display(old, new);
}

/// What a `SetReference` does, by the name of the user it refers to (its UPN from the
/// source; its id only when the source has no name for it).
fn set_reference_said(attribute: &str, source_id: &str, people: &People, created: bool) -> String {
    let name = people.by_source_id.get(source_id).copied().unwrap_or(source_id);
    if created {
        format!("{attribute} → {name} (created in this cycle)")
    } else {
        format!("{attribute} → {name}, once it is provisioned (its create is not in this plan)")
    }
}
