//! The scoped [`Source`] built from the source cache: each cached user and group converted to
//! a [`SourceObject`] with the attributes the mappings and scoping filters read, its scope
//! decided (assignment, then scoping filters). The groups are built and their nested groups
//! flattened in `groups.rs`.

use std::collections::{BTreeSet, HashSet};

use serde_json::{Map, Value as J};

use super::AppRoles;
use super::rounds::{MEMBERS, NESTED, SOFT_DELETED};
use crate::graph::AssignedScope;
use crate::mapping::catalogue::{graph_property, source_attributes};
use crate::mapping::model::{MappingSource, ObjectMapping};
use crate::mapping::{Attrs, Value};
use crate::model::ObjectType;
use crate::scope::{self, Scope};
use crate::store::Store;
use crate::sync::error::CycleError;
use crate::sync::plan::SourceObject;
use crate::sync::redact::Sealing;

pub(super) const NOT_ASSIGNED: &str = "out of scope: not assigned to the app";
pub(super) const FILTERED_OUT: &str = "out of scope: excluded by the scoping filters";

/// The attributes (lower-cased) that the mappings and scoping filters read: the only ones kept.
pub(super) fn needed(mapping: &ObjectMapping, name_key: &str) -> HashSet<String> {
    let mut names: HashSet<String> = HashSet::from([name_key.to_lowercase()]);
    names.extend(read_by(mapping).into_iter().map(str::to_lowercase));
    names
}

/// The source attributes, as written, that the mappings (matching attributes included) and
/// scoping filters read.
fn read_by(mapping: &ObjectMapping) -> Vec<&str> {
    let mut names = Vec::new();
    for a in &mapping.attributes {
        match &a.source {
            MappingSource::Direct { expression, .. } | MappingSource::Expression(expression) => {
                names.extend(expression.attributes());
            }
            MappingSource::Constant(_) | MappingSource::None => {}
        }
    }
    for f in &mapping.scoping_filters {
        names.extend(f.clauses.iter().map(|c| c.attribute.as_str()));
    }
    names
}

/// The `$select` of a delta round: `base` (what the engine reads itself) and the Graph property
/// of every attribute the mappings and scoping filters read, each once (Graph matches names
/// without regard to case). Review R9: a fixed list left a custom mapping of another
/// property reading nothing, as Graph returns only what is selected (graph.md §2.4, §6.2).
pub(super) fn select(mapping: &ObjectMapping, base: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let wanted = base
        .iter()
        .copied()
        .chain(read_by(mapping).into_iter().filter_map(graph_property));
    for p in wanted {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(p)) {
            out.push(p.to_owned());
        }
    }
    out
}

fn scope_value(v: Value) -> scope::Value {
    match v {
        Value::Null => scope::Value::Null,
        Value::Multi(m) => scope::Value::Multi(m),
        other => other.text().map_or(scope::Value::Null, scope::Value::Text),
    }
}

pub(super) fn in_scope(scope: &Scope, attrs: &Attrs) -> bool {
    scope.in_scope(&|name| scope_value(crate::mapping::Attributes::get(attrs, name)))
}

/// One cached object: name, enabled, soft-deleted, attributes (if `keep`), user members,
/// nested groups.
pub(super) struct Converted {
    pub(super) name: Option<String>,
    pub(super) enabled: bool,
    pub(super) soft: bool,
    pub(super) attrs: Attrs,
    pub(super) members: Vec<String>,
    pub(super) nested: Vec<String>,
}

pub(super) fn convert(
    text: &str,
    id: &str,
    name_key: &str,
    keep: bool,
    needed: &HashSet<String>,
    sealing: &Sealing<'_>,
) -> Converted {
    let mut raw: Map<String, J> = serde_json::from_str(text).unwrap_or_default();
    sealing.unseal(&mut raw);
    let name = raw.get(name_key).and_then(J::as_str).map(str::to_owned);
    let enabled = raw.get("accountEnabled").and_then(J::as_bool).unwrap_or(true);
    let soft = raw.get(SOFT_DELETED).and_then(J::as_bool).unwrap_or(false);
    let mut list = |key: &str| -> Vec<String> {
        raw.remove(key)
            .and_then(|m| serde_json::from_value(m).ok())
            .unwrap_or_default()
    };
    let members = list(MEMBERS);
    let nested = list(NESTED);
    let mut attrs = Attrs::default();
    if keep {
        raw.retain(|k, _| !k.starts_with('@'));
        raw.insert("id".into(), J::String(id.to_owned()));
        for (k, v) in source_attributes(&J::Object(raw), false, &[]) {
            if needed.contains(&k.to_lowercase()) && !v.is_null() {
                attrs.insert(&k, v);
            }
        }
    }
    Converted {
        name,
        enabled,
        soft,
        attrs,
        members,
        nested,
    }
}

/// The attributes a slim user keeps: what every object of an incremental cycle is read for
/// (its reports are touched with it), and its app roles when it has any (computed from the
/// assignments, which [`fill`] no longer has; `IsSoftDeleted` is `!enabled` again).
pub(crate) const SLIM: [&str; 2] = [ROLES, "manager"];
const ROLES: &str = "appRoleAssignments";
const SOFT: &str = "IsSoftDeleted";

/// Every cached user, scoped; soft-deleted ones go to `soft_deleted` instead. `assigned`:
/// the app's assignments (`None`: scope = all). `whole`: the users built with every attribute
/// the mappings read (`None`: all); the others are slim (name, scope, [`SLIM`]) until
/// [`fill`] makes the ones a cycle touches whole — an incremental cycle plans a few of 100,000
/// (issue 16 §3). Converted row by row: the cache's text is never held for the whole tenant.
pub(super) fn users(
    store: &Store,
    mapping: &ObjectMapping,
    scope: &Scope,
    assigned: Option<(&AssignedScope, &AppRoles)>,
    (soft_deleted, whole): (&mut HashSet<String>, Option<&HashSet<String>>),
    sealing: &Sealing<'_>,
) -> Result<Vec<SourceObject>, CycleError> {
    let needed = needed(mapping, "userPrincipalName");
    let assigned_ids: Option<HashSet<&str>> = assigned.map(|(a, _)| a.user_ids().into_iter().collect());
    let keep = |id: &str| assigned_ids.as_ref().is_none_or(|ids| ids.contains(id));
    let mut out = Vec::new();
    store.each_cached(ObjectType::User, |id, text| {
        let c = convert(&text, &id, "userPrincipalName", keep(&id), &needed, sealing);
        if c.soft {
            soft_deleted.insert(id);
        } else if keep(&id) {
            let slim = whole.is_some_and(|w| !w.contains(&id));
            let mut u = user(id, c, scope, assigned);
            if slim {
                u.attrs = u
                    .attrs
                    .iter()
                    .filter(|(k, v)| SLIM.contains(k) && !v.is_null())
                    .map(|(k, v)| (k.to_owned(), v.clone()))
                    .collect();
            }
            out.push(u);
        } else {
            // Not assigned: out of scope whatever its attributes; only its presence matters.
            out.push(SourceObject {
                name: c.name.unwrap_or_else(|| id.clone()),
                id,
                in_scope: false,
                enabled: c.enabled,
                scope_detail: NOT_ASSIGNED.to_owned(),
                ..SourceObject::default()
            });
        }
    })?;
    Ok(out)
}

/// Makes the slim users among `ids` whole: their attributes converted again from the cache
/// (the scope decided when they were built stays; so do the values `user` computed). A user
/// outside the assignments stays as it was: it has no attributes to fill.
pub(super) fn fill(
    store: &Store,
    mapping: &ObjectMapping,
    users: &mut [SourceObject],
    ids: &HashSet<String>,
    sealing: &Sealing<'_>,
) -> Result<(), CycleError> {
    let needed = needed(mapping, "userPrincipalName");
    for u in users.iter_mut().filter(|u| ids.contains(&u.id)) {
        if u.scope_detail == NOT_ASSIGNED {
            continue;
        }
        let Some(text) = store.cached(ObjectType::User, &u.id)? else {
            continue;
        };
        let mut attrs = convert(&text, &u.id, "userPrincipalName", true, &needed, sealing).attrs;
        attrs.insert(SOFT, Value::Bool(!u.enabled));
        attrs.insert(ROLES, u.attrs.get(ROLES).cloned().unwrap_or(Value::Null));
        attrs.shrink_to_fit();
        u.attrs = attrs;
    }
    Ok(())
}

/// An assigned user (or any user, with scope = all), with its scope decided.
fn user(id: String, c: Converted, scope: &Scope, assigned: Option<(&AssignedScope, &AppRoles)>) -> SourceObject {
    let Converted {
        name,
        enabled,
        mut attrs,
        ..
    } = c;
    // Each role as its element of [appRoleAssignments]; a role the app does not define (the
    // Default Access role) by its id alone.
    let roles: BTreeSet<String> = assigned
        .map(|(a, known)| {
            a.roles(&id)
                .into_iter()
                .map(|r| {
                    known
                        .get(r)
                        .cloned()
                        .unwrap_or_else(|| serde_json::json!({"id": r}).to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    let assigned = assigned.map(|(a, _)| a);
    // Entra computes these outside the object: disabled users read as soft-deleted.
    attrs.insert(SOFT, Value::Bool(!enabled));
    attrs.insert(ROLES, Value::multi(roles.into_iter().collect()));
    let assigned_detail = match assigned {
        None => Some("all users (scope = all)".to_owned()),
        Some(a) if a.direct_users.contains_key(&id) => Some("assigned directly".to_owned()),
        Some(a) => a
            .group_members
            .iter()
            .find(|(_, m)| m.contains(&id))
            .map(|(g, _)| format!("member of assigned group {}", group_name(a, g))),
    };
    let (in_scope, scope_detail) = match (assigned_detail, in_scope(scope, &attrs)) {
        (Some(d), true) => (true, d),
        (Some(_), false) => (false, FILTERED_OUT.to_owned()),
        (None, _) => (false, NOT_ASSIGNED.to_owned()),
    };
    attrs.shrink_to_fit();
    let name = attrs
        .get("userPrincipalName")
        .and_then(Value::text)
        .or(name)
        .unwrap_or_else(|| id.clone());
    SourceObject {
        id,
        name,
        attrs,
        in_scope,
        enabled,
        scope_detail,
        members: Vec::new(),
    }
}

/// An assigned group's display name as its assignment carries it (else its id): the log's
/// Scope step names the group, not its id.
fn group_name<'a>(assigned: &'a AssignedScope, id: &'a str) -> &'a str {
    assigned
        .assignments
        .iter()
        .find(|a| a.principal_id == id)
        .and_then(|a| a.principal_display_name.as_deref())
        .unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::redact::Redaction;

    #[test]
    fn a_slim_user_keeps_name_scope_and_manager_and_fill_makes_it_as_built_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), "p").unwrap();
        let text = r#"{"userPrincipalName":"a@x.io","displayName":"A","givenName":"Ann","surname":"Lee","mail":"a@x.io","accountEnabled":true,"manager":{"id":"m1"}}"#;
        store
            .put_cached(ObjectType::User, &[("u1".into(), Some(text.into()))])
            .unwrap();
        let mappings = crate::mapping::model::defaults().unwrap();
        let key = Redaction::random();
        let sealing = Sealing::new(&key, &[&mappings.user]);
        let build = |whole: Option<&HashSet<String>>| {
            let mut soft = HashSet::new();
            users(
                &store,
                &mappings.user,
                &Scope::default(),
                None,
                (&mut soft, whole),
                &sealing,
            )
            .unwrap()
        };
        let whole = build(None);
        let mut slim = build(Some(&HashSet::new()));
        let names: Vec<&str> = slim[0].attrs.iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["manager"], "no app roles with scope = all");
        assert!(whole[0].attrs.len() > names.len(), "{:?}", whole[0].attrs);
        assert_eq!(
            (&slim[0].name, slim[0].in_scope, &slim[0].scope_detail),
            (&whole[0].name, whole[0].in_scope, &whole[0].scope_detail)
        );
        fill(
            &store,
            &mappings.user,
            &mut slim,
            &HashSet::from(["u1".to_owned()]),
            &sealing,
        )
        .unwrap();
        assert_eq!(slim[0].attrs, whole[0].attrs);
    }
}
