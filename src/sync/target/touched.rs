//! The target of an incremental cycle: which objects it touches, and the rows read for them
//! only.
//!
//! Touched: what the delta rounds reported (attribute changes, soft deletes and purges,
//! `members@delta`, `manager@delta`), users and groups whose assignment differs from what the
//! last applied cycle saw, the direct reports of a touched user (their manager reference may
//! resolve now), and the groups a touched user is a member of (its memberships follow its
//! scope). The source is then cut down to those objects; the target is read for them only, in
//! bulk: linked rows by stored sys_id (`sys_idIN…`), unlinked objects by their matching values
//! (`lookup`: `user_nameIN…`, equality for a value with `,`, a filtered text search for one
//! with `^`), memberships of the touched groups (`groupIN…`), never a GET per object and never
//! a whole managed table. A matching value no query can reach is recorded in the target
//! (`not_looked_up`), so `plan` never creates on it.
//!
//! A row read by matching value may belong to an untouched linked object: that object joins
//! the cycle, so `plan` sees it in scope (and the row claimed) rather than gone.

use std::collections::{HashMap, HashSet};

use super::lookup::{self, CHUNK};
use super::{GROUP_EXTRA, USER_EXTRA, member_rows_where, references, rows_where, targets};
use crate::mapping::model::{MappingSet, ObjectMapping};
use crate::servicenow::{self, Cond, Query};
use crate::sync::error::CycleError;
use crate::sync::op::ObjectType;
use crate::sync::plan::{Prior, Row, Source, SourceObject, Target};

/// The touched users and groups, and what to read for them.
pub struct Touched {
    pub users: HashSet<String>,
    pub groups: HashSet<String>,
}

/// The source cut down to the touched objects and the target rows they need.
pub async fn read(
    client: &servicenow::Client,
    mappings: &MappingSet,
    mut source: Source,
    mut touched: Touched,
    prior: &Prior,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Source, Target), CycleError> {
    widen(&source, &mut touched);
    let users = &touched.users;
    let groups = &touched.groups;
    let mut t = Target::default();
    let read = Read { client, prior, now };
    let (users_read, mut missed) = read
        .rows(&mappings.user, &source.users, users, ObjectType::User, USER_EXTRA)
        .await?;
    let (groups_read, missed_groups) = read
        .rows(&mappings.group, &source.groups, groups, ObjectType::Group, GROUP_EXTRA)
        .await?;
    missed.extend(missed_groups);
    t.users = users_read;
    t.groups = groups_read;
    t.not_looked_up = missed;
    join_owners(&mut t.users, &mut touched.users, &source.users, ObjectType::User, prior);
    join_owners(
        &mut t.groups,
        &mut touched.groups,
        &source.groups,
        ObjectType::Group,
        prior,
    );
    if let Some(members_table) = &mappings.group.members_table {
        let group_ids: Vec<&str> = t.groups.iter().map(|r| r.sys_id.as_str()).collect();
        for cond in Cond::in_chunks("group", group_ids, CHUNK) {
            member_rows_where(client, members_table, Query::new().and(cond), &mut t.members).await?;
        }
    }
    references(client, mappings, &mut t).await?;
    source.provisioned = provisioned(&source, &touched, prior);
    source.names = names(&source, &touched, prior);
    source.users.retain(|u| touched.users.contains(&u.id));
    source.groups.retain(|g| touched.groups.contains(&g.id));
    Ok((source, t))
}

/// Reports of a touched user (their manager may have come into scope or gone) and the groups
/// a touched user is a member of (its memberships follow its scope) are touched too.
fn widen(source: &Source, touched: &mut Touched) {
    for u in source.users.iter().filter(|u| u.in_scope) {
        if let Some(m) = u.attrs.get("manager").and_then(crate::mapping::Value::text)
            && touched.users.contains(&m)
        {
            touched.users.insert(u.id.clone());
        }
    }
    for g in &source.groups {
        if g.members.iter().any(|m| touched.users.contains(m)) {
            touched.groups.insert(g.id.clone());
        }
    }
}

/// Rows owned by an untouched linked object: that object joins the cycle when it is still in
/// the source (see the module doc); a row of a gone one is dropped.
fn join_owners(
    rows: &mut Vec<Row>,
    set: &mut HashSet<String>,
    objects: &[SourceObject],
    ot: ObjectType,
    prior: &Prior,
) {
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

/// The UPNs of the untouched users a cycle's memberships and references may name: the members
/// of touched groups and the linked users.
fn names(source: &Source, touched: &Touched, prior: &Prior) -> HashMap<String, String> {
    let members: HashSet<&str> = source
        .groups
        .iter()
        .filter(|g| touched.groups.contains(&g.id))
        .flat_map(|g| g.members.iter().map(String::as_str))
        .collect();
    source
        .users
        .iter()
        .filter(|u| !touched.users.contains(&u.id))
        .filter(|u| members.contains(u.id.as_str()) || prior.links.contains_key(&(ObjectType::User, u.id.clone())))
        .map(|u| (u.id.clone(), u.name.clone()))
        .collect()
}

/// Members of a touched group that are provisioned and not planned now: they still count.
fn provisioned(source: &Source, touched: &Touched, prior: &Prior) -> HashSet<String> {
    let linked_users: HashSet<&str> = prior
        .links
        .keys()
        .filter(|(t, _)| *t == ObjectType::User)
        .map(|(_, id)| id.as_str())
        .collect();
    let wanted: HashSet<&str> = source
        .groups
        .iter()
        .filter(|g| touched.groups.contains(&g.id))
        .flat_map(|g| g.members.iter().map(String::as_str))
        .collect();
    source
        .users
        .iter()
        .filter(|u| u.in_scope && !touched.users.contains(&u.id))
        .filter(|u| wanted.contains(u.id.as_str()) && linked_users.contains(u.id.as_str()))
        .map(|u| u.id.clone())
        .collect()
}

/// What reading the touched rows needs.
struct Read<'a> {
    client: &'a servicenow::Client,
    prior: &'a Prior,
    now: chrono::DateTime<chrono::Utc>,
}

impl Read<'_> {
    /// The rows of the touched objects of one type: by stored sys_id when linked (removed
    /// objects included), else by matching value when in scope; and the matching values no
    /// query could reach.
    async fn rows(
        &self,
        mapping: &ObjectMapping,
        objects: &[SourceObject],
        touched: &HashSet<String>,
        ot: ObjectType,
        extra: &[&str],
    ) -> Result<(Vec<Row>, HashSet<(String, String)>), CycleError> {
        if !mapping.enabled || touched.is_empty() {
            return Ok((Vec::new(), HashSet::new()));
        }
        let table = mapping.target_table.as_str();
        let fields = targets(mapping, extra);
        let prior = self.prior;
        let sys_ids: Vec<&str> = touched
            .iter()
            .filter_map(|id| prior.links.get(&(ot, id.clone())).map(String::as_str))
            .collect();
        let mut by_field: HashMap<String, Vec<String>> = HashMap::new();
        for o in objects.iter().filter(|o| o.in_scope && touched.contains(&o.id)) {
            if prior.links.contains_key(&(ot, o.id.clone())) {
                continue;
            }
            for (field, value) in lookup::match_values(o, mapping, self.now) {
                by_field.entry(field).or_default().push(value);
            }
        }
        let mut rows = Vec::new();
        for cond in Cond::in_chunks("sys_id", sys_ids, CHUNK) {
            rows_where(self.client, table, &fields, Query::new().and(cond), &mut rows).await?;
        }
        let found = lookup::by_values(self.client, table, &fields, &by_field).await?;
        rows.extend(found.rows);
        let mut seen = HashSet::new();
        rows.retain(|r| seen.insert(r.sys_id.clone()));
        Ok((rows, found.not_looked_up))
    }
}
