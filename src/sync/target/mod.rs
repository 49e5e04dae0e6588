//! Reading one cycle's target from ServiceNow in bulk pages: the managed tables, the
//! memberships, the reference tables and the managed tables' schema. Never a GET per object;
//! incremental cycles read only the touched rows ([`touched`]).

pub mod identity;
pub mod keeps;
pub mod lookup;
pub mod recheck;
pub mod touched;
pub mod unique;

use std::collections::HashMap;

use serde_json::Value as J;

use super::error::CycleError;
use super::plan::{MemberRow, Row, Target};
use crate::mapping::model::{MappingSet, ObjectMapping, Reference, TargetType};
use crate::servicenow::{self, ListParams, Query};

pub(super) async fn rows_where(
    client: &servicenow::Client,
    table: &str,
    fields: &[String],
    query: Query,
    out: &mut Vec<Row>,
) -> Result<(), CycleError> {
    let params = ListParams::new(query.order_by("sys_id")).fields(&row_fields(fields));
    client
        .read_all(table, &params, |page| out.extend(page.into_iter().map(row_of)))
        .await?;
    Ok(())
}

/// The fields a [`rows_where`] read asks for: `fields` and `sys_id`, sorted, each once.
fn row_fields(fields: &[String]) -> Vec<&str> {
    let mut fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    fields.push("sys_id");
    fields.sort_unstable();
    fields.dedup();
    fields
}

/// The room, in encoded bytes, for the conditions of a [`rows_where`] read of `fields` from
/// `table`: what chunked `IN` lists are measured against (review R8).
pub(super) fn room(client: &servicenow::Client, table: &str, fields: &[String]) -> usize {
    let params = ListParams::new(Query::new().order_by("sys_id")).fields(&row_fields(fields));
    client.query_room(table, &params)
}

/// The room for the conditions of a [`member_rows_where`] read.
pub(super) fn member_room(client: &servicenow::Client, table: &str) -> usize {
    client.query_room(table, &member_params(Query::new()))
}

fn member_params(query: Query) -> ListParams {
    ListParams::new(query.order_by("sys_id")).fields(&["group", "sys_id", "user"])
}

fn row_of(record: servicenow::Record) -> Row {
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
    row
}

async fn rows(client: &servicenow::Client, table: &str, fields: &[String]) -> Result<Vec<Row>, CycleError> {
    let mut out = Vec::new();
    rows_where(client, table, fields, Query::new(), &mut out).await?;
    Ok(out)
}

/// Membership rows matching `query`, converted page by page: about 500,000 rows at 100,000
/// users are never held as generic rows (a map each; issue 16 §3).
pub(super) async fn member_rows_where(
    client: &servicenow::Client,
    table: &str,
    query: Query,
    out: &mut Vec<MemberRow>,
) -> Result<(), CycleError> {
    let params = member_params(query);
    client
        .read_all(table, &params, |page| {
            out.extend(page.into_iter().map(|record| member_row(row_of(record))));
        })
        .await?;
    Ok(())
}

fn member_row(mut r: Row) -> MemberRow {
    MemberRow {
        group: r.fields.remove("group").unwrap_or_default(),
        user: r.fields.remove("user").unwrap_or_default(),
        sys_id: r.sys_id,
    }
}

pub(super) fn targets(mapping: &ObjectMapping, extra: &[&str]) -> Vec<String> {
    let mut f: Vec<String> = mapping.attributes.iter().map(|a| a.target.clone()).collect();
    f.extend(extra.iter().map(|s| (*s).to_owned()));
    f
}

/// Fields read from user rows besides the mapped ones: deprovisioning reads `active` and
/// `locked_out`; `sys_class_name` tells a row of a table that extends `sys_user`
/// (`customer_contact`, …), which a `sys_user` read returns too (servicenow.md §13 #5).
pub(super) const USER_EXTRA: &[&str] = &["active", "locked_out", crate::sync::plan::CLASS_FIELD];
/// Fields read from group rows besides the mapped ones.
pub(super) const GROUP_EXTRA: &[&str] = &["active", crate::sync::plan::CLASS_FIELD];

/// Reads the target in bulk: managed rows, memberships, reference tables, schema.
pub async fn read(client: &servicenow::Client, mappings: &MappingSet) -> Result<Target, CycleError> {
    let mut t = Target::default();
    let user_table = mappings.user.target_table.as_str();
    let group_table = mappings.group.target_table.as_str();
    t.users = rows(client, user_table, &targets(&mappings.user, USER_EXTRA)).await?;
    t.groups = rows(client, group_table, &targets(&mappings.group, GROUP_EXTRA)).await?;
    if let Some(members_table) = &mappings.group.members_table {
        member_rows_where(client, members_table, Query::new(), &mut t.members).await?;
    }
    references(client, mappings, &mut t).await?;
    Ok(t)
}

/// Reads what every cycle needs whole: the reference tables (small) and the managed tables'
/// schema.
pub async fn references(client: &servicenow::Client, mappings: &MappingSet, t: &mut Target) -> Result<(), CycleError> {
    let user_table = mappings.user.target_table.as_str();
    let group_table = mappings.group.target_table.as_str();
    for m in mappings.user.attributes.iter().chain(&mappings.group.attributes) {
        if let TargetType::Reference(Reference::Lookup { table, field }) = &m.target_type {
            if t.lookups.contains_key(table) {
                continue;
            }
            let mut lookup = HashMap::new();
            let mut names = HashMap::new();
            for r in rows(client, table, std::slice::from_ref(field)).await? {
                if let Some(v) = r.get(field) {
                    lookup.entry(v.to_lowercase()).or_insert(r.sys_id.clone());
                    names.insert(r.sys_id.clone(), v.to_owned());
                }
            }
            t.lookups.insert(table.clone(), lookup);
            t.names.insert(table.clone(), names);
        }
    }
    // The reference tables' lengths too: a row created for a value longer than its field is
    // stored with the value cut (`missing_reference = "create"`), and found by the cut value.
    let lookup_tables: Vec<String> = t.lookups.keys().cloned().collect();
    let tables = [user_table, group_table]
        .into_iter()
        .chain(lookup_tables.iter().map(String::as_str));
    for table in tables {
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
    Ok(())
}
