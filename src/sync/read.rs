//! Reading one cycle's inputs: the source from Graph (users and groups with managers and
//! members from full delta rounds, soft-deleted users, the app's assignments), scoped; and the
//! target from ServiceNow in bulk pages (managed tables, reference tables, schema). Never a GET
//! per object.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Map, Value as J};

use super::error::CycleError;
use super::plan::{MemberRow, Row, Source, SourceObject, Target};
use crate::config::ScopeMode;
use crate::graph::{self, DeltaRound, Removed};
use crate::mapping::catalogue::source_attributes;
use crate::mapping::model::{MappingSet, ObjectMapping, Reference, TargetType};
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

/// Objects of one full delta round, merged by id (items may repeat within a round).
async fn round(mut round: DeltaRound) -> Result<(Vec<Map<String, J>>, Option<String>), CycleError> {
    let mut by_id: BTreeMap<String, Map<String, J>> = BTreeMap::new();
    let mut members: HashMap<String, Vec<String>> = HashMap::new();
    while let Some(page) = round.next_page().await? {
        for item in page {
            if item.removed.is_some() {
                by_id.remove(&item.id);
                continue;
            }
            let entry = by_id.entry(item.id.clone()).or_default();
            entry.extend(item.properties);
            entry.insert("id".into(), J::String(item.id.clone()));
            if let Some(manager) = item.manager {
                for m in manager {
                    if m.removed.is_none() {
                        entry.insert("manager".into(), serde_json::json!({"id": m.id}));
                    } else {
                        entry.remove("manager");
                    }
                }
            }
            if let Some(changes) = item.members {
                let list = members.entry(item.id.clone()).or_default();
                for c in changes.into_iter().filter(|c| c.is_user()) {
                    list.retain(|id| *id != c.id);
                    if !matches!(c.removed, Some(Removed::Deleted | Removed::Changed | Removed::Other(_))) {
                        list.push(c.id);
                    }
                }
            }
        }
    }
    let link = round.delta_link().map(str::to_owned);
    let objects = by_id
        .into_iter()
        .map(|(id, mut o)| {
            if let Some(list) = members.remove(&id) {
                o.insert("@members".into(), J::from(list));
            }
            o
        })
        .collect();
    Ok((objects, link))
}

/// Reads and scopes the source. Returns it with the users' and groups' delta links.
pub async fn source(
    graph: &graph::Client,
    mappings: &MappingSet,
    mode: ScopeMode,
) -> Result<(Source, Option<String>, Option<String>), CycleError> {
    let user_scope = compile_scope(&mappings.user)?;
    let group_scope = compile_scope(&mappings.group)?;
    let (users, users_link) = round(graph.users_delta(None)).await?;
    let (groups, groups_link) = round(graph.groups_delta(None)).await?;
    let soft_deleted: HashSet<String> = graph.deleted_users().all().await?.into_iter().map(|u| u.id).collect();
    let assigned = match mode {
        ScopeMode::Assigned => Some(graph.assigned_scope().await?),
        ScopeMode::All => None,
    };
    let mut out = Source {
        soft_deleted,
        ..Source::default()
    };
    for u in users {
        let id = u.get("id").and_then(J::as_str).unwrap_or_default().to_owned();
        let enabled = u.get("accountEnabled").and_then(J::as_bool).unwrap_or(true);
        let roles: Vec<String> = assigned
            .as_ref()
            .map(|a| a.roles(&id).into_iter().map(str::to_owned).collect())
            .unwrap_or_default();
        let attrs = source_attributes(&J::Object(u.clone()), !enabled, &roles);
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
            .and_then(crate::mapping::Value::text)
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
    for g in groups {
        let id = g.get("id").and_then(J::as_str).unwrap_or_default().to_owned();
        let members: Vec<String> = g
            .get("@members")
            .and_then(J::as_array)
            .map(|a| a.iter().filter_map(J::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        let mut obj = g.clone();
        obj.remove("@members");
        let attrs = source_attributes(&J::Object(obj), false, &[]);
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
        let name = attrs
            .get("displayName")
            .and_then(crate::mapping::Value::text)
            .unwrap_or_else(|| id.clone());
        out.groups.push(SourceObject {
            id,
            name,
            attrs,
            in_scope,
            enabled: true,
            scope_detail,
            members,
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
