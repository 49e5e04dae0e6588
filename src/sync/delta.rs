//! Incremental cycles: which objects a cycle touches, and the target read for them only.
//!
//! Touched: what the delta rounds reported (attribute changes, soft deletes and purges,
//! `members@delta`, `manager@delta`), users and groups whose assignment differs from what the
//! last applied cycle saw, the direct reports of a touched user (their manager reference may
//! resolve now), and the groups a touched user is a member of (its memberships follow its
//! scope). The source is then cut down to those objects; the target is read for them only, in
//! bulk: linked rows by stored sys_id (`sys_idIN…`), unlinked objects by their matching values
//! (`user_nameIN…`), memberships of the touched groups (`groupIN…`), never a GET per object and
//! never a whole managed table.
//!
//! A row read by matching value may belong to an untouched linked object: that object joins
//! the cycle, so `plan` sees it in scope (and the row claimed) rather than gone.
//!
//! Also here: the comparison of this cycle's assignments with the last applied cycle's, and
//! the set of objects the plan failed, which incremental cycles plan again until they pass.

use std::collections::{HashMap, HashSet};

use super::error::CycleError;
use super::plan::{MemberRow, Prior, Row, Source, SourceObject, Target};
use super::read::{references, rows_where, targets};
use super::types::{ObjectType, OpKind, Plan};
use crate::mapping::model::{MappingSet, ObjectMapping};
use crate::mapping::{Context, Flow};
use crate::servicenow::{self, Cond, Query};
use crate::store::Store;

/// Encoded-query lists are kept under this many characters per request (spec §1.7).
const CHUNK: usize = 1500;

/// The source cut down to the touched objects and the target rows they need.
pub async fn touched(
    client: &servicenow::Client,
    mappings: &MappingSet,
    mut source: Source,
    mut users: HashSet<String>,
    mut groups: HashSet<String>,
    prior: &Prior,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Source, Target), CycleError> {
    // Reports of a touched user: their manager may have come into scope or gone.
    for u in source.users.iter().filter(|u| u.in_scope) {
        if let Some(m) = u.attrs.get("manager").and_then(crate::mapping::Value::text)
            && users.contains(&m)
        {
            users.insert(u.id.clone());
        }
    }
    for g in &source.groups {
        if g.members.iter().any(|m| users.contains(m)) {
            groups.insert(g.id.clone());
        }
    }
    let mut t = Target {
        users: read_rows(
            client,
            &mappings.user,
            &source.users,
            &users,
            ObjectType::User,
            prior,
            now,
            &["active", "locked_out"],
        )
        .await?,
        groups: read_rows(
            client,
            &mappings.group,
            &source.groups,
            &groups,
            ObjectType::Group,
            prior,
            now,
            &["active"],
        )
        .await?,
        ..Target::default()
    };
    // Rows owned by an untouched linked object: that object joins the cycle (see the module doc).
    for (ot, rows, set, objects) in [
        (ObjectType::User, &mut t.users, &mut users, &source.users),
        (ObjectType::Group, &mut t.groups, &mut groups, &source.groups),
    ] {
        let owners: HashMap<&str, &str> = prior
            .links
            .iter()
            .filter(|((t, _), _)| *t == ot)
            .map(|((_, src), sys)| (sys.as_str(), src.as_str()))
            .collect();
        let present: HashSet<&str> = objects.iter().map(|o| o.id.as_str()).collect();
        rows.retain(|r| match owners.get(r.sys_id.as_str()) {
            Some(owner) if !set.contains(*owner) => {
                if present.contains(owner) {
                    set.insert((*owner).to_owned());
                    true
                } else {
                    false
                }
            }
            _ => true,
        });
    }
    if let Some(members_table) = &mappings.group.members_table {
        let group_ids: Vec<&str> = t.groups.iter().map(|r| r.sys_id.as_str()).collect();
        let mut rows = Vec::new();
        for cond in Cond::in_chunks("group", group_ids, CHUNK) {
            rows_where(
                client,
                members_table,
                &["group".into(), "user".into()],
                Query::new().and(cond),
                &mut rows,
            )
            .await?;
        }
        t.members = rows
            .into_iter()
            .map(|r| MemberRow {
                group: r.fields.get("group").cloned().unwrap_or_default(),
                user: r.fields.get("user").cloned().unwrap_or_default(),
                sys_id: r.sys_id,
            })
            .collect();
    }
    references(client, mappings, &mut t).await?;
    // Members of a touched group that are provisioned and not planned now still count.
    let linked_users: HashSet<&str> = prior
        .links
        .keys()
        .filter(|(t, _)| *t == ObjectType::User)
        .map(|(_, id)| id.as_str())
        .collect();
    let wanted: HashSet<&str> = source
        .groups
        .iter()
        .filter(|g| groups.contains(&g.id))
        .flat_map(|g| g.members.iter().map(String::as_str))
        .collect();
    let provisioned: HashSet<String> = source
        .users
        .iter()
        .filter(|u| u.in_scope && !users.contains(&u.id))
        .filter(|u| wanted.contains(u.id.as_str()) && linked_users.contains(u.id.as_str()))
        .map(|u| u.id.clone())
        .collect();
    source.users.retain(|u| users.contains(&u.id));
    source.groups.retain(|g| groups.contains(&g.id));
    source.provisioned = provisioned;
    Ok((source, t))
}

/// Matching values of an object, per matching attribute (lower-cased, as `plan` compares).
fn match_values(
    o: &SourceObject,
    mapping: &ObjectMapping,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<(String, String)> {
    let ctx = Context::new(&o.attrs, now);
    mapping
        .matching()
        .iter()
        .filter_map(|m| match m.evaluate(&ctx) {
            Ok(out) => match out.flow {
                Flow::Value(v) => v
                    .text()
                    .filter(|t| !t.is_empty())
                    .map(|t| (m.target.clone(), t.to_lowercase())),
                Flow::Dropped => None,
            },
            Err(_) => None,
        })
        .collect()
}

/// The rows of the touched objects of one type: by stored sys_id when linked (removed objects
/// included), else by matching value when in scope.
#[allow(clippy::too_many_arguments)]
async fn read_rows(
    client: &servicenow::Client,
    mapping: &ObjectMapping,
    objects: &[SourceObject],
    touched: &HashSet<String>,
    ot: ObjectType,
    prior: &Prior,
    now: chrono::DateTime<chrono::Utc>,
    extra: &[&str],
) -> Result<Vec<Row>, CycleError> {
    if !mapping.enabled || touched.is_empty() {
        return Ok(Vec::new());
    }
    let table = mapping.target_table.as_str();
    let fields = targets(mapping, extra);
    let mut sys_ids: Vec<&str> = Vec::new();
    for id in touched {
        if let Some(sys) = prior.links.get(&(ot, id.clone())) {
            sys_ids.push(sys);
        }
    }
    let mut by_field: HashMap<String, Vec<String>> = HashMap::new();
    for o in objects.iter().filter(|o| o.in_scope && touched.contains(&o.id)) {
        if prior.links.contains_key(&(ot, o.id.clone())) {
            continue;
        }
        // A value the IN list cannot carry is left out: such an object is created, or fails on
        // its matching, exactly as in a full cycle only if no row has that value.
        for (field, value) in match_values(o, mapping, now) {
            if Query::new()
                .and(Cond::is_in(field.as_str(), [value.as_str()]))
                .encode()
                .is_err()
            {
                continue;
            }
            by_field.entry(field).or_default().push(value);
        }
    }
    let mut conds = Cond::in_chunks("sys_id", sys_ids, CHUNK);
    for (field, mut values) in by_field {
        values.sort_unstable();
        values.dedup();
        conds.extend(Cond::in_chunks(&field, values, CHUNK));
    }
    let mut rows = Vec::new();
    for cond in conds {
        rows_where(client, table, &fields, Query::new().and(cond), &mut rows).await?;
    }
    let mut seen = HashSet::new();
    rows.retain(|r| seen.insert(r.sys_id.clone()));
    Ok(rows)
}

/// Users and groups whose assignment differs from what the last applied cycle saw (added,
/// removed or with other roles): assignments are in no delta, so they are compared here.
pub(super) fn changed_assignments(
    store: &Store,
    now: &[(String, String)],
) -> Result<(Vec<String>, Vec<String>), CycleError> {
    let before: HashMap<String, String> = store.assignments_seen()?.into_iter().collect();
    let after: HashMap<&str, &str> = now.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut keys: Vec<&str> = before
        .iter()
        .filter(|(k, v)| after.get(k.as_str()) != Some(&v.as_str()))
        .map(|(k, _)| k.as_str())
        .collect();
    keys.extend(after.keys().filter(|k| !before.contains_key(**k)).copied());
    let (mut users, mut groups) = (Vec::new(), Vec::new());
    for k in keys {
        match k.split_once(':') {
            Some(("u", id)) => users.push(id.to_owned()),
            Some(("g", id)) => groups.push(id.to_owned()),
            _ => {}
        }
    }
    Ok((users, groups))
}

/// The objects failed in the plan after this cycle: those failed before and not planned now,
/// and this plan's failures (`eu:<id>`/`eg:<id>` → error code).
pub(super) fn plan_failures(plan: &Plan, before: Vec<(String, String)>) -> Vec<(String, String)> {
    let key = |ot: ObjectType, id: &str| match ot {
        ObjectType::User => Some(format!("eu:{id}")),
        ObjectType::Group => Some(format!("eg:{id}")),
        ObjectType::Membership => None,
    };
    let planned: std::collections::HashSet<String> = plan
        .ops
        .iter()
        .filter_map(|op| key(op.object_type, &op.source_id))
        .collect();
    let mut out: Vec<(String, String)> = before.into_iter().filter(|(k, _)| !planned.contains(k)).collect();
    for op in &plan.ops {
        if let (OpKind::Error(f), Some(k)) = (&op.kind, key(op.object_type, &op.source_id)) {
            out.push((k, f.code.clone()));
        }
    }
    out
}
