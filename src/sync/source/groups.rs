//! The scoped groups built from the source cache ([`groups`]) and, when
//! `flatten_nested_groups` asks, each group's users through its nested groups ([`flatten`]).

use std::collections::{BTreeSet, HashMap, HashSet};

use super::build::{Converted, FILTERED_OUT, NOT_ASSIGNED, convert, in_scope, needed};
use crate::graph::AssignedScope;
use crate::mapping::Value;
use crate::mapping::model::ObjectMapping;
use crate::model::ObjectType;
use crate::scope::Scope;
use crate::store::Store;
use crate::sync::error::CycleError;
use crate::sync::op::Id;
use crate::sync::plan::SourceObject;
use crate::sync::redact::Sealing;

/// Group id → the ids of its nested groups.
pub(super) type Nested = HashMap<String, Vec<String>>;

/// Every cached group that is not soft-deleted, scoped, and each group's nested groups;
/// soft-deleted ones go to `soft_deleted` instead.
pub(super) fn groups(
    store: &Store,
    mapping: &ObjectMapping,
    scope: &Scope,
    assigned: Option<&AssignedScope>,
    soft_deleted: &mut HashSet<String>,
    sealing: &Sealing<'_>,
) -> Result<(Vec<SourceObject>, Nested), CycleError> {
    let needed = needed(mapping, "displayName");
    let mut out = Vec::new();
    let mut nested = Nested::new();
    let mut ids: HashSet<Id> = HashSet::new();
    store.each_cached(ObjectType::Group, |id, text| {
        let Converted {
            name,
            soft,
            mut attrs,
            members,
            nested: inner,
            ..
        } = convert(&text, &id, "displayName", true, &needed, sealing);
        if soft {
            soft_deleted.insert(id);
            return;
        }
        if !inner.is_empty() {
            nested.insert(id.clone(), inner);
        }
        attrs.insert("IsSoftDeleted", Value::Bool(false));
        attrs.shrink_to_fit();
        let assigned_here = assigned.is_none_or(|a| a.groups.contains_key(&id));
        let filtered = in_scope(scope, &attrs);
        // Under scope `all` a group is in scope because every group is, not by an assignment.
        let scope_detail = match (assigned.is_some(), assigned_here, filtered) {
            (false, _, true) => "all groups (scope = all)",
            (true, true, true) => "assigned to the app",
            (_, true, false) => FILTERED_OUT,
            _ => NOT_ASSIGNED,
        };
        out.push(SourceObject {
            name: name.unwrap_or_else(|| id.clone()),
            id,
            attrs,
            in_scope: assigned_here && filtered,
            enabled: true,
            scope_detail: scope_detail.to_owned(),
            members: members.iter().map(|m| share(&mut ids, m)).collect(),
        });
    })?;
    Ok((out, nested))
}

/// One `Id` per user, however many groups it is in (~526,000 members at 100,000 users: issue
/// 16 §3).
fn share(ids: &mut HashSet<Id>, id: &str) -> Id {
    if let Some(shared) = ids.get(id) {
        return shared.clone();
    }
    let shared = Id::from(id);
    ids.insert(shared.clone());
    shared
}

/// Each group's users through its nested groups at any depth (cycles are harmless), and each
/// group's containing groups at any depth (a change inside touches them too).
pub(super) fn flatten(groups: &mut [SourceObject], nested: &Nested) -> HashMap<String, Vec<String>> {
    // Only the groups inside another have their direct members copied: a copy of every list
    // was ~526,000 ids at 100,000 users, held with the whole source (issue 16 §3).
    let inner: HashSet<&str> = nested.values().flatten().map(String::as_str).collect();
    let direct: HashMap<String, Vec<Id>> = groups
        .iter()
        .filter(|g| inner.contains(g.id.as_str()))
        .map(|g| (g.id.clone(), g.members.clone()))
        .collect();
    let mut parents: HashMap<String, Vec<String>> = HashMap::new();
    for g in groups.iter_mut() {
        let Some(children) = nested.get(&g.id) else {
            // No nested group: its members as the walk below leaves them, in place.
            g.members.sort_unstable();
            g.members.dedup();
            g.members.shrink_to_fit();
            continue;
        };
        let mut seen: HashSet<&str> = HashSet::from([g.id.as_str()]);
        let mut stack: Vec<&str> = children.iter().map(String::as_str).collect();
        let mut members: BTreeSet<Id> = g.members.iter().cloned().collect();
        while let Some(inner) = stack.pop() {
            if !seen.insert(inner) {
                continue;
            }
            parents.entry(inner.to_owned()).or_default().push(g.id.clone());
            members.extend(direct.get(inner).into_iter().flatten().cloned());
            stack.extend(nested.get(inner).into_iter().flatten().map(String::as_str));
        }
        g.members = members.into_iter().collect();
    }
    parents
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::redact::Redaction;

    #[test]
    fn a_group_under_scope_all_is_in_scope_by_the_scope_not_an_assignment() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), "p").unwrap();
        let text = r#"{"displayName":"Sales"}"#;
        store
            .put_cached(ObjectType::Group, &[("g1".into(), Some(text.into()))])
            .unwrap();
        let mappings = crate::mapping::model::defaults().unwrap();
        let key = Redaction::random();
        let sealing = Sealing::new(&key, &[&mappings.group]);
        let (groups, _) = groups(
            &store,
            &mappings.group,
            &Scope::default(),
            None,
            &mut HashSet::new(),
            &sealing,
        )
        .unwrap();
        assert_eq!(
            (groups[0].in_scope, groups[0].scope_detail.as_str()),
            (true, "all groups (scope = all)")
        );
    }
}
