//! The target of an incremental cycle: which objects it touches, and the rows read for them
//! only.
//!
//! Touched: what the delta rounds reported (attribute changes, soft deletes and purges,
//! `members@delta`, `manager@delta`), users and groups whose assignment differs from what the
//! last applied cycle saw, the retry queue, the direct reports of a touched user (their manager
//! reference may resolve now), and the groups of a user whose memberships may change: one the
//! rounds or the assignments reported (its memberships follow its scope), or one this cycle
//! links (created or matched: its memberships are written now). A user touched only to be
//! retried or as a report keeps the memberships it has, so its groups are not read for it: a
//! first plan of the touched users (`Hooks::first_plan`, the same pure plan) tells which of them
//! this cycle links (issue 16 §4: at 100,000 users the objects that fail every cycle are
//! members of nearly every group). The source is then cut down to those objects; the target
//! is read for them only, in
//! bulk: linked rows by stored sys_id (`sys_idIN…`), unlinked objects by their matching values
//! (`lookup`: `user_nameIN…`, equality for a value with `,`, a filtered text search for one
//! with `^`), memberships of the touched groups (`groupIN…`), never a GET per object and never
//! a whole managed table. A matching value no query can reach is recorded in the target
//! (`not_looked_up`), so `plan` never creates on it.
//!
//! A row read by matching value may belong to an untouched linked object: that object joins
//! the cycle, so `plan` sees it in scope (and the row claimed) rather than gone.

use std::collections::{HashMap, HashSet};

use super::lookup;
use super::{GROUP_EXTRA, USER_EXTRA, member_rows_where, references, rows_where, targets};
use crate::mapping::model::{MappingSet, ObjectMapping};
use crate::servicenow::{self, Cond, Query};
use crate::sync::error::CycleError;
use crate::sync::op::{Id, ObjectType, OpKind, Plan};
use crate::sync::outcome::SkipReason;
use crate::sync::plan::{Prior, Row, Source, SourceObject, Target};

/// The touched users and groups, and what to read for them.
pub struct Touched {
    pub users: HashSet<String>,
    pub groups: HashSet<String>,
    /// The touched users whose memberships may change whatever their plan (the rounds or the
    /// assignments reported them, or a write of unknown outcome): their groups are read.
    pub scoped: HashSet<String>,
    /// The users the source holds whole (the rounds reported them); the other touched ones are
    /// filled in (`Hooks::fill`) before anything reads their attributes.
    pub whole: HashSet<String>,
}

/// What reading the touched rows asks of the cycle.
pub struct Hooks<'a> {
    /// Makes the given slim users of the source whole (`crate::sync::source::fill`).
    pub fill: Box<Fill<'a>>,
    /// The plan of a cut-down source over the target read so far, to tell which touched
    /// users this cycle links: the cycle's own plan function, so the two agree.
    pub first_plan: Box<FirstPlan<'a>>,
}

/// See [`Hooks::fill`].
pub type Fill<'a> = dyn FnMut(&mut Source, &HashSet<String>) -> Result<(), CycleError> + Send + 'a;
/// See [`Hooks::first_plan`].
pub type FirstPlan<'a> = dyn FnOnce(Source, &Target) -> Plan + Send + 'a;

/// The source cut down to the touched objects and the target rows they need.
pub async fn read(
    client: &servicenow::Client,
    mappings: &MappingSet,
    mut source: Source,
    mut touched: Touched,
    prior: &Prior,
    now: chrono::DateTime<chrono::Utc>,
    mut hooks: Hooks<'_>,
) -> Result<(Source, Target), CycleError> {
    widen(&source, &mut touched);
    fill(&mut source, &mut touched, &mut hooks)?;
    let mut t = Target::default();
    let read = Read { client, prior, now };
    let (users_read, missed) = read
        .rows(
            &mappings.user,
            &source.users,
            &touched.users,
            ObjectType::User,
            USER_EXTRA,
        )
        .await?;
    t.users = users_read;
    t.not_looked_up = missed;
    join_owners(&mut t.users, &mut touched.users, &source.users, ObjectType::User, prior);
    fill(&mut source, &mut touched, &mut hooks)?;
    references(client, mappings, &mut t).await?;
    let (linked, lent) = linked_now(&mut source, &touched, prior, &t, hooks.first_plan);
    // Whole again, from the source cache, as `fill` made them before the first plan.
    (hooks.fill)(&mut source, &lent)?;
    widen_groups(&source, &linked, &mut touched.groups);
    let (groups_read, missed_groups) = read
        .rows(
            &mappings.group,
            &source.groups,
            &touched.groups,
            ObjectType::Group,
            GROUP_EXTRA,
        )
        .await?;
    t.groups = groups_read;
    t.not_looked_up.extend(missed_groups);
    join_owners(
        &mut t.groups,
        &mut touched.groups,
        &source.groups,
        ObjectType::Group,
        prior,
    );
    if let Some(members_table) = &mappings.group.members_table {
        let group_ids: Vec<&str> = t.groups.iter().map(|r| r.sys_id.as_str()).collect();
        let room = super::member_room(client, members_table);
        for cond in Cond::in_chunks("group", group_ids, room) {
            member_rows_where(client, members_table, Query::new().and(cond), &mut t.members).await?;
        }
    }
    source.provisioned = provisioned(&source, &touched, prior);
    source.names = names(&mut source, &touched, prior);
    source.groups.retain(|g| touched.groups.contains(&g.id));
    Ok((source, t))
}

/// Reports of a touched user (their manager may have come into scope or gone) are touched too,
/// and the groups of a user whose scope may have changed (its memberships follow its scope).
fn widen(source: &Source, touched: &mut Touched) {
    for u in source.users.iter().filter(|u| u.in_scope) {
        if let Some(m) = u.attrs.get("manager").and_then(crate::mapping::Value::text)
            && touched.users.contains(&m)
        {
            touched.users.insert(u.id.clone());
        }
    }
    widen_groups(source, &touched.scoped, &mut touched.groups);
}

/// The touched users not yet whole made whole.
fn fill(source: &mut Source, touched: &mut Touched, hooks: &mut Hooks<'_>) -> Result<(), CycleError> {
    let slim: HashSet<String> = touched.users.difference(&touched.whole).cloned().collect();
    if slim.is_empty() {
        return Ok(());
    }
    (hooks.fill)(source, &slim)?;
    touched.whole.extend(slim);
    Ok(())
}

/// The groups any of `users` is a member of join `groups`.
fn widen_groups(source: &Source, users: &HashSet<String>, groups: &mut HashSet<String>) {
    if users.is_empty() {
        return;
    }
    for g in &source.groups {
        if g.members.iter().any(|m| users.contains(m.as_str())) {
            groups.insert(g.id.clone());
        }
    }
}

/// The touched users outside `scoped` that this cycle links (created, or matched to a row):
/// their memberships are written now, so their groups are read. A linked user keeps its
/// memberships; one whose plan fails again, or is skipped, has none to write. Decided by a
/// first plan of the touched users alone (no groups), run only when there is such a user.
/// The touched users in scope are lent to that plan, their attributes moved rather than copied
/// (~13 MB at 100,000 users: issue 16 §3): the source keeps them slim, and the ids returned
/// with the linked ones are to be filled in again.
fn linked_now(
    source: &mut Source,
    touched: &Touched,
    prior: &Prior,
    target: &Target,
    first_plan: Box<FirstPlan<'_>>,
) -> (HashSet<String>, HashSet<String>) {
    let unlinked = |u: &&SourceObject| {
        u.in_scope
            && touched.users.contains(&u.id)
            && !touched.scoped.contains(&u.id)
            && !prior.links.contains_key(&(ObjectType::User, u.id.clone()))
    };
    let asked: HashSet<String> = source.users.iter().filter(unlinked).map(|u| u.id.clone()).collect();
    if asked.is_empty() {
        return (HashSet::new(), HashSet::new());
    }
    let mut lent = HashSet::new();
    let users = source
        .users
        .iter_mut()
        .filter(|u| touched.users.contains(&u.id))
        .map(|u| lend(u, &mut lent))
        .collect();
    let cut = Source {
        users,
        soft_deleted: source.soft_deleted.clone(),
        ..Source::default()
    };
    // Users only: the ops held whole are enough.
    let linked = first_plan(cut, target)
        .objects()
        .iter()
        .filter(|op| op.object_type == ObjectType::User && asked.contains(op.source_id.as_str()) && links(&op.kind))
        .map(|op| op.source_id.to_string())
        .collect();
    (linked, lent)
}

/// A copy of `u` for the first plan: an in-scope user's attributes moved into it (`u` keeps
/// those of a slim user, which `fill` makes whole again) and its id added to `lent`; another's
/// copied (`fill` does not make an unassigned user whole).
fn lend(u: &mut SourceObject, lent: &mut HashSet<String>) -> SourceObject {
    let attrs = if u.in_scope {
        let mut slim = crate::mapping::Attrs::default();
        for name in crate::sync::source::SLIM {
            if let Some(v) = u.attrs.get(name) {
                slim.insert(name, v.clone());
            }
        }
        lent.insert(u.id.clone());
        std::mem::replace(&mut u.attrs, slim)
    } else {
        u.attrs.clone()
    };
    SourceObject {
        id: u.id.clone(),
        name: u.name.clone(),
        attrs,
        in_scope: u.in_scope,
        enabled: u.enabled,
        scope_detail: u.scope_detail.clone(),
        members: Vec::new(),
    }
}

/// Whether an unlinked user's op links it: anything but a failure or a skip that writes
/// nothing (an unknown kind counts as linking: reading a group too many is safe).
fn links(kind: &OpKind) -> bool {
    !matches!(
        kind,
        OpKind::Error(_)
            | OpKind::Skip {
                reason: SkipReason::UnchangedFailure { .. } | SkipReason::DisabledNotCreated | SkipReason::CreateOff
            }
    )
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

/// The untouched users taken out of the source, and the UPNs of those a cycle's memberships and
/// references may name: the members of touched groups and the linked users. Moved, not copied:
/// at 100,000 users that is ~90,000 ids and names (issue 16 §3).
fn names(source: &mut Source, touched: &Touched, prior: &Prior) -> HashMap<String, String> {
    let members: HashSet<&str> = source
        .groups
        .iter()
        .filter(|g| touched.groups.contains(&g.id))
        .flat_map(|g| g.members.iter().map(Id::as_str))
        .collect();
    source
        .users
        .extract_if(.., |u| !touched.users.contains(&u.id))
        .filter_map(|u| {
            let key = (ObjectType::User, u.id);
            let named = members.contains(key.1.as_str()) || prior.links.contains_key(&key);
            named.then_some((key.1, u.name))
        })
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
        .flat_map(|g| g.members.iter().map(Id::as_str))
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
        let room = super::room(self.client, table, &fields);
        for cond in Cond::in_chunks("sys_id", sys_ids, room) {
            rows_where(self.client, table, &fields, Query::new().and(cond), &mut rows).await?;
        }
        let found = lookup::by_values(self.client, table, &fields, &by_field).await?;
        rows.extend(found.rows);
        let mut seen = HashSet::new();
        rows.retain(|r| seen.insert(r.sys_id.clone()));
        Ok((rows, found.not_looked_up))
    }
}

#[cfg(test)]
#[path = "touched_tests.rs"]
mod tests;
