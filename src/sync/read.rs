//! Reading one cycle's inputs: the source from Graph (users and groups with managers and
//! members from full delta rounds, soft-deleted users, the app's assignments), scoped; and the
//! target from ServiceNow in bulk pages (managed tables, reference tables, schema). Never a GET
//! per object.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value as J;

use super::error::CycleError;
use super::plan::{MemberRow, Row, Source, SourceObject, Target};
use crate::config::ScopeMode;
use crate::graph::{self, DeltaRound};
use crate::mapping::Value;
use crate::mapping::catalogue::source_attributes;
use crate::mapping::model::{MappingSet, MappingSource, ObjectMapping, Reference, TargetType};
use crate::scope::{self, FilterSpec, Scope};
use crate::servicenow::{self, ListParams, Query};

/// The compiled scoping filters of one object mapping.
pub fn compile_scope(mapping: &ObjectMapping) -> Result<Scope, CycleError> {
    let specs = mapping.scoping_filters.iter().map(|f| FilterSpec {
        name: &f.name,
        clauses: f
            .clauses
            .iter()
            .map(|c| (c.attribute.as_str(), c.operator.as_str(), c.value.as_str()))
            .collect(),
    });
    Scope::compile(specs)
        .map_err(|errs| CycleError::Config(errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")))
}

fn scope_value(v: crate::mapping::Value) -> scope::Value {
    match v {
        crate::mapping::Value::Null => scope::Value::Null,
        crate::mapping::Value::Multi(m) => scope::Value::Multi(m),
        other => other.text().map_or(scope::Value::Null, scope::Value::Text),
    }
}

/// The attributes (lower-cased) that the mappings and scoping filters read: the only ones kept.
fn needed(mapping: &ObjectMapping, name_key: &str) -> HashSet<String> {
    let mut names: HashSet<String> = HashSet::from([name_key.to_lowercase()]);
    for a in &mapping.attributes {
        match &a.source {
            MappingSource::Direct { expression, .. } | MappingSource::Expression(expression) => {
                names.extend(expression.attributes().into_iter().map(str::to_lowercase));
            }
            MappingSource::Constant(_) | MappingSource::None => {}
        }
    }
    for f in &mapping.scoping_filters {
        names.extend(f.clauses.iter().map(|c| c.attribute.to_lowercase()));
    }
    names
}

/// One object of a delta round, converted as it arrives (the raw JSON is never held for the
/// whole tenant).
#[derive(Default)]
struct Obj {
    attrs: BTreeMap<String, Value>,
    /// `userPrincipalName` as Graph has it, or the group's `displayName`.
    name: Option<String>,
    enabled: Option<bool>,
    members: Vec<String>,
}

/// Objects of one full delta round, merged by id (items may repeat within a round). Objects
/// for which `keep` is false keep only their name and `accountEnabled`: memory is bounded by
/// the objects in scope, not by the tenant. Null attributes are not stored (absent reads as
/// null).
async fn round(
    mut round: DeltaRound,
    keep: &(dyn Fn(&str) -> bool + Sync),
    needed: &HashSet<String>,
    name_key: &str,
) -> Result<(BTreeMap<String, Obj>, Option<String>), CycleError> {
    let mut by_id: BTreeMap<String, Obj> = BTreeMap::new();
    while let Some(page) = round.next_page().await? {
        for item in page {
            if item.removed.is_some() {
                by_id.remove(&item.id);
                continue;
            }
            let entry = by_id.entry(item.id.clone()).or_default();
            if let Some(n) = item.properties.get(name_key).and_then(J::as_str) {
                entry.name = Some(n.to_owned());
            }
            if let Some(e) = item.properties.get("accountEnabled").and_then(J::as_bool) {
                entry.enabled = Some(e);
            }
            if let Some(changes) = item.members {
                for c in changes.into_iter().filter(|c| c.is_user()) {
                    entry.members.retain(|id| *id != c.id);
                    if c.removed.is_none() {
                        entry.members.push(c.id);
                    }
                }
            }
            if !keep(&item.id) {
                continue;
            }
            let mut props = item.properties;
            props.insert("id".into(), J::String(item.id.clone()));
            for m in item.manager.unwrap_or_default() {
                if m.removed.is_none() {
                    props.insert("manager".into(), serde_json::json!({"id": m.id}));
                } else {
                    props.insert("manager".into(), J::Null);
                }
            }
            for (k, v) in source_attributes(&J::Object(props), false, &[]) {
                if !needed.contains(&k.to_lowercase()) {
                    continue;
                }
                if v.is_null() {
                    entry.attrs.remove(&k);
                } else {
                    entry.attrs.insert(k, v);
                }
            }
        }
    }
    Ok((by_id, round.delta_link().map(str::to_owned)))
}

/// Reads and scopes the source. Returns it with the users' and groups' delta links.
pub async fn source(
    graph: &graph::Client,
    mappings: &MappingSet,
    mode: ScopeMode,
) -> Result<(Source, Option<String>, Option<String>), CycleError> {
    let user_scope = compile_scope(&mappings.user)?;
    let group_scope = compile_scope(&mappings.group)?;
    // Assignments first: users outside them are read slim (name, enabled).
    let assigned = match mode {
        ScopeMode::Assigned => Some(graph.assigned_scope().await?),
        ScopeMode::All => None,
    };
    let assigned_ids: Option<HashSet<String>> = assigned
        .as_ref()
        .map(|a| a.user_ids().into_iter().map(str::to_owned).collect());
    let keep = |id: &str| assigned_ids.as_ref().is_none_or(|ids| ids.contains(id));
    let (users, users_link) = round(
        graph.users_delta(None),
        &keep,
        &needed(&mappings.user, "userPrincipalName"),
        "userPrincipalName",
    )
    .await?;
    let (groups, groups_link) = round(
        graph.groups_delta(None),
        &|_| true,
        &needed(&mappings.group, "displayName"),
        "displayName",
    )
    .await?;
    let soft_deleted: HashSet<String> = graph.deleted_users().all().await?.into_iter().map(|u| u.id).collect();
    let mut out = Source {
        soft_deleted,
        ..Source::default()
    };
    for (id, u) in users {
        let enabled = u.enabled.unwrap_or(true);
        if !keep(&id) {
            // Not assigned: out of scope whatever its attributes; only its presence matters.
            out.users.push(SourceObject {
                name: u.name.unwrap_or_else(|| id.clone()),
                id,
                in_scope: false,
                enabled,
                scope_detail: "out of scope: not assigned to the app".to_owned(),
                ..SourceObject::default()
            });
            continue;
        }
        let mut attrs = u.attrs;
        let roles: Vec<String> = assigned
            .as_ref()
            .map(|a| a.roles(&id).into_iter().map(str::to_owned).collect())
            .unwrap_or_default();
        // Entra computes these outside the object: disabled users read as soft-deleted.
        attrs.insert("IsSoftDeleted".into(), Value::Bool(!enabled));
        attrs.insert("appRoleAssignments".into(), Value::multi(roles));
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
    }
    for (id, g) in groups {
        let mut attrs = g.attrs;
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
            name: g.name.unwrap_or_else(|| id.clone()),
            id,
            attrs,
            in_scope,
            enabled: true,
            scope_detail,
            members: g.members,
        });
    }
    Ok((out, users_link, groups_link))
}

async fn rows(client: &servicenow::Client, table: &str, fields: &[String]) -> Result<Vec<Row>, CycleError> {
    let mut fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    fields.push("sys_id");
    fields.sort_unstable();
    fields.dedup();
    let params = ListParams::new(Query::new().order_by("sys_id")).fields(&fields);
    let mut out = Vec::new();
    client
        .read_all(table, &params, |page| {
            for record in page {
                let mut row = Row::default();
                for (k, v) in record.into_map() {
                    let text = match v {
                        J::String(s) => s,
                        J::Null => String::new(),
                        J::Object(o) => o.get("value").and_then(J::as_str).unwrap_or_default().to_owned(),
                        other => other.to_string(),
                    };
                    if k == "sys_id" {
                        row.sys_id = text;
                    } else {
                        row.fields.insert(k, text);
                    }
                }
                out.push(row);
            }
        })
        .await?;
    Ok(out)
}

fn targets(mapping: &ObjectMapping, extra: &[&str]) -> Vec<String> {
    let mut f: Vec<String> = mapping.attributes.iter().map(|a| a.target.clone()).collect();
    f.extend(extra.iter().map(|s| (*s).to_owned()));
    f
}

/// Reads the target in bulk: managed rows, memberships, reference tables, schema.
pub async fn target(client: &servicenow::Client, mappings: &MappingSet) -> Result<Target, CycleError> {
    let mut t = Target::default();
    let user_table = mappings.user.target_table.as_str();
    let group_table = mappings.group.target_table.as_str();
    t.users = rows(client, user_table, &targets(&mappings.user, &["active", "locked_out"])).await?;
    t.groups = rows(client, group_table, &targets(&mappings.group, &["active"])).await?;
    if let Some(members_table) = &mappings.group.members_table {
        t.members = rows(client, members_table, &["group".into(), "user".into()])
            .await?
            .into_iter()
            .map(|r| MemberRow {
                group: r.fields.get("group").cloned().unwrap_or_default(),
                user: r.fields.get("user").cloned().unwrap_or_default(),
                sys_id: r.sys_id,
            })
            .collect();
    }
    for m in mappings.user.attributes.iter().chain(&mappings.group.attributes) {
        if let TargetType::Reference(Reference::Lookup { table, field }) = &m.target_type {
            if t.lookups.contains_key(table) {
                continue;
            }
            let mut lookup = HashMap::new();
            for r in rows(client, table, std::slice::from_ref(field)).await? {
                if let Some(v) = r.get(field) {
                    lookup.entry(v.to_lowercase()).or_insert(r.sys_id.clone());
                }
            }
            t.lookups.insert(table.clone(), lookup);
        }
    }
    for table in [user_table, group_table] {
        let schema = client.schema(table).await?;
        for (name, def) in &schema.fields {
            if let Some(max) = def.max_length
                && matches!(
                    def.internal_type.as_str(),
                    "string" | "email" | "phone_number_e164" | "ph_number"
                )
            {
                t.max_lengths.insert((table.to_owned(), name.clone()), max);
            }
            if def.internal_type == "boolean" {
                t.booleans.insert((table.to_owned(), name.clone()));
            }
        }
    }
    Ok(t)
}
