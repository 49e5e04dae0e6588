//! The matching values of the objects a full cycle is about to create, looked up once more
//! in bulk right after the whole-table read: other writers (LDAP imports, SSO just-in-time
//! provisioning) insert `sys_user` rows while we page (servicenow.md §13 #10), and a row that
//! appeared behind the read's cursor is matched, not duplicated.

use std::collections::{HashMap, HashSet};

use super::lookup::{self, match_values};
use super::{GROUP_EXTRA, USER_EXTRA, targets};
use crate::mapping::model::ObjectMapping;
use crate::servicenow;
use crate::sync::error::CycleError;
use crate::sync::op::ObjectType;
use crate::sync::plan::{Prior, Row, Source, SourceObject, Target};

/// Adds to `target` the rows that carry a matching value of an object that no row read
/// matched (it would be created); returns how many appeared.
pub async fn recheck(
    client: &servicenow::Client,
    mappings: &crate::mapping::model::MappingSet,
    source: &Source,
    prior: &Prior,
    target: &mut Target,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, CycleError> {
    let kinds = [
        (ObjectType::User, &mappings.user, &source.users, USER_EXTRA),
        (ObjectType::Group, &mappings.group, &source.groups, GROUP_EXTRA),
    ];
    let mut appeared = 0;
    for (ot, mapping, objects, extra) in kinds {
        if !mapping.enabled {
            continue;
        }
        let rows = match ot {
            ObjectType::Group => &mut target.groups,
            _ => &mut target.users,
        };
        let wanted = unmatched(ot, mapping, objects, rows, prior, now);
        if wanted.is_empty() {
            continue;
        }
        let table = mapping.target_table.as_str();
        let found = lookup::by_values(client, table, &targets(mapping, extra), &wanted).await?;
        let known: HashSet<String> = rows.iter().map(|r| r.sys_id.clone()).collect();
        for row in found.rows.into_iter().filter(|r| !known.contains(&r.sys_id)) {
            appeared += 1;
            rows.push(row);
        }
    }
    Ok(appeared)
}

/// The matching values (field → lower-cased values) of the in-scope, unlinked objects that
/// no row has.
fn unmatched(
    ot: ObjectType,
    mapping: &ObjectMapping,
    objects: &[SourceObject],
    rows: &[Row],
    prior: &Prior,
    now: chrono::DateTime<chrono::Utc>,
) -> HashMap<String, Vec<String>> {
    let mut present: HashSet<(&str, String)> = HashSet::new();
    for m in mapping.matching() {
        for r in rows {
            if let Some(v) = r.get(&m.target) {
                present.insert((m.target.as_str(), v.to_lowercase()));
            }
        }
    }
    let mut wanted: HashMap<String, Vec<String>> = HashMap::new();
    for o in objects.iter().filter(|o| o.in_scope && o.enabled) {
        if prior.links.contains_key(&(ot, o.id.clone())) {
            continue;
        }
        let values = match_values(o, mapping, now);
        if values.iter().any(|(f, v)| present.contains(&(f.as_str(), v.clone()))) {
            continue;
        }
        for (field, value) in values {
            wanted.entry(field).or_default().push(value);
        }
    }
    wanted
}
