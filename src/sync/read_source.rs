//! Reading one cycle's source from Graph: the app's assignments, then a users and a groups
//! delta round — full (no stored link, or the stored link expired) or incremental (since the
//! stored deltaLinks) — merged item by item into the store's source cache, from which the
//! scoped [`Source`] is built. Both kinds build the same whole source from the cache, so
//! scoping, memberships and managers see every object; an incremental cycle then plans only
//! the objects the rounds and the assignments touched (`delta`).
//!
//! Why a cache: a delta item carries only the properties that changed (spec §6), and a user's
//! mapped values need all of them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::{Map, Value as J, json};

use super::error::CycleError;
use super::plan::{Source, SourceObject};
use super::read::{compile_scope, needed, scope_value};
use crate::config::ScopeMode;
use crate::graph::{self, AssignedScope, DeltaRound, Removed};
use crate::mapping::Value;
use crate::mapping::catalogue::source_attributes;
use crate::mapping::model::MappingSet;
use crate::store::Store;

/// Keys of the cached JSON that are ours, not Graph's.
const SOFT_DELETED: &str = "@softDeleted";
const MEMBERS: &str = "@members";
/// Nested groups (direct group members), for `flatten_nested_groups`.
const NESTED: &str = "@groups";

/// What the source read found.
pub struct SourceRead {
    /// Every user and group, scoped.
    pub source: Source,
    pub users_link: Option<String>,
    pub groups_link: Option<String>,
    /// The rounds reported the whole tenant (no stored link, or one expired).
    pub full: bool,
    /// Why a stored link could not be used (an expired delta token), when that happened.
    pub reset: Option<String>,
    /// Ids of the users and groups that the delta rounds reported (incremental rounds).
    pub touched_users: HashSet<String>,
    pub touched_groups: HashSet<String>,
    /// The assignments as read this cycle (`u:<id>`/`g:<id>` → roles and how), to compare with
    /// the last applied cycle's: assignments are in no delta.
    pub assignments: Vec<(String, String)>,
    /// With `flatten_nested_groups`: group id → the groups containing it at any depth.
    pub parents: HashMap<String, Vec<String>>,
}

/// One delta round merged into the cache; returns (deltaLink, reset reason). A round that
/// turns out full (no link, or the link expired) replaces the cache of its type.
async fn round(
    store: &Store,
    object_type: &str,
    mut round: DeltaRound,
    touched: &mut HashSet<String>,
) -> Result<(Option<String>, Option<String>), CycleError> {
    let mut cleared = false;
    while let Some(page) = round.next_page().await? {
        if round.is_full() && !cleared {
            store.clear_cached(object_type)?;
            touched.clear();
            cleared = true;
        }
        // Items may repeat within a page: later ones merge onto the page's pending writes.
        let mut writes: Vec<(String, Option<String>)> = Vec::new();
        for item in page {
            let previous = match writes.iter().rev().find(|(id, _)| *id == item.id) {
                Some((_, pending)) => pending.clone(),
                None => store.cached(object_type, &item.id)?,
            };
            let mut obj: Map<String, J> = previous.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
            if !round.is_full() {
                // A full round touches everything; its ids are not worth holding.
                touched.insert(item.id.clone());
            }
            match item.removed {
                Some(Removed::Deleted) => {
                    writes.push((item.id, None));
                    continue;
                }
                // Soft-deleted (restorable): kept, so a restore that carries few properties
                // still finds the rest.
                Some(_) => {
                    obj.insert(SOFT_DELETED.into(), J::Bool(true));
                }
                None => {
                    obj.remove(SOFT_DELETED);
                    obj.extend(item.properties);
                    for m in item.manager.unwrap_or_default() {
                        let value = if m.removed.is_none() {
                            json!({"id": m.id})
                        } else {
                            J::Null
                        };
                        obj.insert("manager".into(), value);
                    }
                    if let Some(changes) = item.members {
                        let list = |obj: &Map<String, J>, key: &str| -> Vec<String> {
                            obj.get(key)
                                .and_then(|m| serde_json::from_value(m.clone()).ok())
                                .unwrap_or_default()
                        };
                        let mut members = list(&obj, MEMBERS);
                        let mut nested = list(&obj, NESTED);
                        for c in changes {
                            let target = if c.is_user() {
                                &mut members
                            } else if c.odata_type.as_deref() == Some("#microsoft.graph.group") {
                                &mut nested
                            } else {
                                continue;
                            };
                            target.retain(|id| *id != c.id);
                            if c.removed.is_none() {
                                target.push(c.id);
                            }
                        }
                        obj.insert(MEMBERS.into(), json!(members));
                        obj.insert(NESTED.into(), json!(nested));
                    }
                }
            }
            writes.push((item.id, Some(J::Object(obj).to_string())));
        }
        store.put_cached(object_type, &writes)?;
    }
    if round.is_full() && !cleared {
        // A full round with no page at all: an empty tenant.
        store.clear_cached(object_type)?;
    }
    Ok((
        round.delta_link().map(str::to_owned),
        round.reset().map(ToString::to_string),
    ))
}

/// One cached object: name, enabled, soft-deleted, attributes (if `keep`), user members,
/// nested groups.
struct Converted {
    name: Option<String>,
    enabled: bool,
    soft: bool,
    attrs: BTreeMap<String, Value>,
    members: Vec<String>,
    nested: Vec<String>,
}

fn convert(text: &str, id: &str, name_key: &str, keep: bool, needed: &HashSet<String>) -> Converted {
    let mut raw: Map<String, J> = serde_json::from_str(text).unwrap_or_default();
    let name = raw.get(name_key).and_then(J::as_str).map(str::to_owned);
    let enabled = raw.get("accountEnabled").and_then(J::as_bool).unwrap_or(true);
    let soft = raw.get(SOFT_DELETED).and_then(J::as_bool).unwrap_or(false);
    let members = raw
        .remove(MEMBERS)
        .and_then(|m| serde_json::from_value(m).ok())
        .unwrap_or_default();
    let nested = raw
        .remove(NESTED)
        .and_then(|m| serde_json::from_value(m).ok())
        .unwrap_or_default();
    let mut attrs = BTreeMap::new();
    if keep {
        raw.retain(|k, _| !k.starts_with('@'));
        raw.insert("id".into(), J::String(id.to_owned()));
        for (k, v) in source_attributes(&J::Object(raw), false, &[]) {
            if needed.contains(&k.to_lowercase()) && !v.is_null() {
                attrs.insert(k, v);
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

/// Each group's users through its nested groups at any depth (cycles are harmless), and each
/// group's containing groups at any depth (a change inside touches them too).
fn flatten(groups: &mut [SourceObject], nested: &HashMap<String, Vec<String>>) -> HashMap<String, Vec<String>> {
    let direct: HashMap<String, Vec<String>> = groups.iter().map(|g| (g.id.clone(), g.members.clone())).collect();
    let mut parents: HashMap<String, Vec<String>> = HashMap::new();
    for g in groups.iter_mut() {
        let mut seen: HashSet<&str> = HashSet::from([g.id.as_str()]);
        let mut stack: Vec<&str> = nested
            .get(&g.id)
            .map(|n| n.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let mut members: BTreeSet<String> = g.members.iter().cloned().collect();
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

/// The assignment of each user and group, as text to compare between cycles.
fn assignment_texts(assigned: &AssignedScope) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for id in assigned.user_ids() {
        let roles: Vec<&str> = assigned.roles(id).into_iter().collect();
        let direct = assigned.direct_users.contains_key(id);
        let groups: Vec<&str> = assigned
            .group_members
            .iter()
            .filter(|(_, m)| m.contains(id))
            .map(|(g, _)| g.as_str())
            .collect();
        out.push((format!("u:{id}"), json!([roles, direct, groups]).to_string()));
    }
    for (id, roles) in &assigned.groups {
        out.push((format!("g:{id}"), json!(roles).to_string()));
    }
    out
}

/// Reads and scopes the source. `links`: the stored (users, groups) deltaLinks for an
/// incremental read; `None` for a full one.
pub async fn source(
    graph: &graph::Client,
    store: &Store,
    mappings: &MappingSet,
    mode: ScopeMode,
    flatten_nested: bool,
    links: Option<(&str, &str)>,
) -> Result<SourceRead, CycleError> {
    let user_scope = compile_scope(&mappings.user)?;
    let group_scope = compile_scope(&mappings.group)?;
    // Assignments first: users outside them are built slim (name, enabled).
    let assigned = match mode {
        ScopeMode::Assigned => Some(graph.assigned_scope().await?),
        ScopeMode::All => None,
    };
    let assigned_ids: Option<HashSet<String>> = assigned
        .as_ref()
        .map(|a| a.user_ids().into_iter().map(str::to_owned).collect());
    let keep = |id: &str| assigned_ids.as_ref().is_none_or(|ids| ids.contains(id));
    let mut touched_users = HashSet::new();
    let mut touched_groups = HashSet::new();
    let (users_link, users_reset) =
        round(store, "user", graph.users_delta(links.map(|l| l.0)), &mut touched_users).await?;
    let (groups_link, groups_reset) = round(
        store,
        "group",
        graph.groups_delta(links.map(|l| l.1)),
        &mut touched_groups,
    )
    .await?;
    let reset = users_reset.or(groups_reset);
    let full = links.is_none() || reset.is_some();
    let mut soft_deleted: HashSet<String> = HashSet::new();
    if full {
        // A full round does not list soft-deleted users; deletedItems does.
        soft_deleted.extend(graph.deleted_users().all().await?.into_iter().map(|u| u.id));
    }
    let mut out = Source::default();
    let user_needed = needed(&mappings.user, "userPrincipalName");
    // Converted row by row: the cache's text is never held for the whole tenant.
    store.each_cached("user", |id, text| {
        let Converted {
            name,
            enabled,
            soft,
            mut attrs,
            ..
        } = convert(&text, &id, "userPrincipalName", keep(&id), &user_needed);
        if soft {
            soft_deleted.insert(id);
            return;
        }
        if !keep(&id) {
            // Not assigned: out of scope whatever its attributes; only its presence matters.
            out.users.push(SourceObject {
                name: name.unwrap_or_else(|| id.clone()),
                id,
                in_scope: false,
                enabled,
                scope_detail: "out of scope: not assigned to the app".to_owned(),
                ..SourceObject::default()
            });
            return;
        }
        let roles: BTreeSet<String> = assigned
            .as_ref()
            .map(|a| a.roles(&id).into_iter().map(str::to_owned).collect())
            .unwrap_or_default();
        // Entra computes these outside the object: disabled users read as soft-deleted.
        attrs.insert("IsSoftDeleted".into(), Value::Bool(!enabled));
        attrs.insert("appRoleAssignments".into(), Value::multi(roles.into_iter().collect()));
        let assigned_detail = match &assigned {
            None => Some("scope: all users".to_owned()),
            Some(a) if a.direct_users.contains_key(&id) => Some("assigned directly".to_owned()),
            Some(a) => a
                .group_members
                .iter()
                .find(|(_, m)| m.contains(&id))
                .map(|(g, _)| format!("member of assigned group {g}")),
        };
        let filtered = user_scope.in_scope(&|name| scope_value(crate::mapping::Attributes::get(&attrs, name)));
        let (in_scope, scope_detail) = match (assigned_detail, filtered) {
            (Some(d), true) => (true, d),
            (Some(_), false) => (false, "out of scope: excluded by the scoping filters".to_owned()),
            (None, _) => (false, "out of scope: not assigned to the app".to_owned()),
        };
        let name = attrs
            .get("userPrincipalName")
            .and_then(Value::text)
            .or(name)
            .unwrap_or_else(|| id.clone());
        out.users.push(SourceObject {
            id,
            name,
            attrs,
            in_scope,
            enabled,
            scope_detail,
            members: Vec::new(),
        });
    })?;
    out.soft_deleted = soft_deleted;
    let group_needed = needed(&mappings.group, "displayName");
    let mut nested: HashMap<String, Vec<String>> = HashMap::new();
    store.each_cached("group", |id, text| {
        let Converted {
            name,
            soft,
            mut attrs,
            members,
            nested: inner,
            ..
        } = convert(&text, &id, "displayName", true, &group_needed);
        if soft {
            return;
        }
        if !inner.is_empty() {
            nested.insert(id.clone(), inner);
        }
        attrs.insert("IsSoftDeleted".into(), Value::Bool(false));
        let assigned_here = match &assigned {
            None => true,
            Some(a) => a.groups.contains_key(&id),
        };
        let filtered = group_scope.in_scope(&|name| scope_value(crate::mapping::Attributes::get(&attrs, name)));
        let in_scope = assigned_here && filtered;
        let scope_detail = match (assigned_here, filtered) {
            (true, true) => "assigned to the app".to_owned(),
            (true, false) => "out of scope: excluded by the scoping filters".to_owned(),
            _ => "out of scope: not assigned to the app".to_owned(),
        };
        out.groups.push(SourceObject {
            name: name.unwrap_or_else(|| id.clone()),
            id,
            attrs,
            in_scope,
            enabled: true,
            scope_detail,
            members,
        });
    })?;
    let parents = if flatten_nested {
        flatten(&mut out.groups, &nested)
    } else {
        HashMap::new()
    };
    Ok(SourceRead {
        parents,
        source: out,
        users_link,
        groups_link,
        full,
        reset,
        touched_users,
        touched_groups,
        assignments: assigned.as_ref().map(assignment_texts).unwrap_or_default(),
    })
}
