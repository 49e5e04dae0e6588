//! `plan`: a pure function of (source snapshot, target index, prior state, rules) that returns
//! every operation of a cycle with its attribute diff, in apply order: users, groups,
//! memberships, then the references to users created in the same cycle that their objects'
//! own writes cannot carry (`waves`: a manager created in the cycle is set in the create).
//!
//! Matching (Entra's, spec §2.4): a stored link first; else the matching attributes in
//! precedence order, one at a time, compared case-insensitively: 0 rows → the next attribute
//! (create after the last), 1 → update, more → DuplicateTargetEntries; two source objects
//! with one matching value → DuplicateSourceEntries; no value for any matching attribute →
//! EntryJoiningPropertyValueIsMissing. A link whose row vanished re-matches (logged).
//!
//! Updates carry only the fields that differ from what ServiceNow holds now (normalised);
//! null source values are not sent; a value longer than the field's max length fails the
//! object (AttributeValueTooLong); a reference with no row fails it (InvalidLookupReference).

mod deprovision;
mod desired;
mod explain;
mod input;
mod matching;
mod names;
mod objects;
mod references;
#[cfg(test)]
mod tests;
mod waves;

pub use explain::{Candidates, candidates};
pub use input::{
    CLASS_FIELD, MemberRow, MissingReference, Prior, Protected, Row, Rules, Source, SourceObject, Taken, Target,
    normalise_bool, seed_for,
};

pub use references::{created, lookup_of};

use std::collections::{HashMap, HashSet};

use super::op::{CycleKind, Id, MembersBuilder, Memberships, ObjectType, Op, OpKind, Plan, Why};
use super::outcome::SkipReason;
use objects::Planned;

/// Plans one cycle.
/// Takes the source by value: each object's attributes are dropped once its operation is built.
pub fn plan(id: u64, kind: CycleKind, mut source: Source, target: &Target, prior: &Prior, rules: &Rules) -> Plan {
    // Sized once: at 100,000 users a doubling of the ops' `Vec` held twice its length for a
    // moment (issue 16 §3).
    // Before the objects' ops take their attributes: the queue's objects that left scope.
    let left = deprovision::left_scope(&source, prior);
    let mut ops = Vec::with_capacity(objects::capacity(&source, target, prior) + left.len());
    let mut deferred = Vec::new();
    let users = objects::plan_objects(
        ObjectType::User,
        &mut source,
        target,
        prior,
        rules,
        &mut ops,
        &mut deferred,
    );
    let groups = objects::plan_objects(
        ObjectType::Group,
        &mut source,
        target,
        prior,
        rules,
        &mut ops,
        &mut deferred,
    );
    ops.extend(left);
    // Rows created for `missing_reference = "create"` go first: the objects refer to them.
    // Inserted in place: no second copy of the objects' ops.
    let refs = references::reference_creations(&ops, target, rules);
    ops.reserve_exact(refs.len());
    ops.splice(0..0, refs);
    // The memberships come after the objects, held compactly (`op::Memberships`).
    let members_at = ops.len();
    let members = memberships(&source, target, prior, rules, (&users, &groups));
    // Read by nothing after the memberships, and held beside the plan while it is finished:
    // the groups' member lists are ~526,000 ids at 100,000 users (issue 16 §3).
    drop((users, groups));
    source.groups = Vec::new();
    source.provisioned = HashSet::new();
    ops.reserve_exact(deferred.len());
    ops.extend(deferred);
    for op in &mut ops {
        suppress_unchanged_failure(op, prior);
    }
    waves::settle(&mut ops);
    names::name_references(
        &mut ops,
        &rules.mappings,
        target,
        &names::people(&source, target, prior),
    );
    Plan::with_members(id, kind, ops, members, members_at)
}

/// A write that failed permanently is not retried while what it was computed from is the same.
fn suppress_unchanged_failure(op: &mut Op, prior: &Prior) {
    // A reference row is retried every cycle: the objects that need it would otherwise be
    // written with its name in place of its sys_id.
    if !op.kind.writes() || matches!(op.kind, OpKind::CreateReference(_)) {
        return;
    }
    if op.object_type != ObjectType::Membership
        && let Some((hash, code)) = prior
            .permanent_failures
            .get(&(op.object_type, op.source_id.to_string()))
        && *hash == op.hash
    {
        op.kind = OpKind::Skip {
            reason: SkipReason::UnchangedFailure { code: *code },
        };
    }
}

/// Each provisioned group's `sys_user_grmember` rows made equal to its direct members that are
/// provisioned users; a deactivated group's rows removed. Rows of users this tool does not
/// manage are left alone.
fn memberships(
    source: &Source,
    target: &Target,
    prior: &Prior,
    rules: &Rules,
    planned: (&Planned, &Planned),
) -> Memberships {
    let (users, groups) = planned;
    // sys_id of a managed user → its source id: every linked user, in scope or not (a user who
    // left scope keeps no membership it had through us), and this cycle's matches.
    let mut managed: HashMap<&str, &str> = prior
        .links
        .iter()
        .filter(|((t, _), _)| *t == ObjectType::User)
        .map(|((_, src), sys)| (sys.as_str(), src.as_str()))
        .collect();
    managed.extend(users.sys_ids.iter().map(|(src, sys)| (sys.as_str(), src.as_str())));
    let mut rows_by_group: HashMap<&str, Vec<&MemberRow>> = HashMap::new();
    for row in &target.members {
        rows_by_group.entry(row.group.as_str()).or_default().push(row);
    }
    let names = MemberNames::new(source);
    let mut out = MembersBuilder::default();
    for group in source.groups.iter().filter(|g| g.in_scope) {
        if !groups.provisioned.contains(&group.id) {
            continue;
        }
        let group_sys = groups.sys_ids.get(&group.id);
        let desired: HashSet<&str> = group
            .members
            .iter()
            .map(Id::as_str)
            .filter(|m| users.provisioned.contains(*m) || source.provisioned.contains(*m))
            .collect();
        let mut present: HashSet<&str> = HashSet::new();
        let rows = group_sys
            .and_then(|g| rows_by_group.get(g.as_str()))
            .cloned()
            .unwrap_or_default();
        let end = out.end(&group.id, &group.name);
        for row in rows {
            let Some(user_src) = managed.get(row.user.as_str()) else {
                continue;
            };
            // A user whose write failed is still a member in Entra and still has its row in
            // ServiceNow: removing its groups (and the roles they grant) for an unrelated
            // field's failure would be harm (acceptance A1).
            if users.failed.contains(*user_src) {
                continue;
            }
            let keep = desired.contains(user_src) && present.insert(user_src);
            if !keep {
                let why = if desired.contains(user_src) {
                    Why::DuplicateRow
                } else {
                    Why::NoLongerMember
                };
                let user = names.of(&mut out, user_src);
                out.push(end, user, Some(&row.sys_id), why);
            }
        }
        let mut adds: Vec<&str> = desired.difference(&present).copied().collect();
        adds.sort_unstable();
        for user_src in adds {
            let user = names.of(&mut out, user_src);
            out.push(end, user, None, Why::MemberInEntra);
        }
        // A member whose create fails in this plan: its membership is said, as a skip naming
        // the wait (acceptance N8: they appeared nowhere).
        for user_src in &group.members {
            if let Some(failed) = users.failed_creates.get(user_src.as_str()) {
                let user = names.of(&mut out, user_src);
                out.push(end, user, Some(failed), Why::WaitsForCreate);
            }
        }
    }
    for (group, sys_id) in deactivated(source, target, prior, rules) {
        let end = out.end(&group.id, &group.name);
        for row in rows_by_group.get(sys_id).into_iter().flatten() {
            if let Some(user_src) = managed.get(row.user.as_str()) {
                let user = names.of(&mut out, user_src);
                out.push(end, user, Some(&row.sys_id), Why::Deactivated);
            }
        }
    }
    out.finish()
}

/// The users' names by id, for the memberships' table of ends (each user entered once,
/// however many groups it is in).
struct MemberNames<'s> {
    names: HashMap<&'s str, &'s str>,
}

impl<'s> MemberNames<'s> {
    fn new(source: &'s Source) -> MemberNames<'s> {
        let names = source
            .users
            .iter()
            .map(|u| (u.id.as_str(), u.name.as_str()))
            .chain(source.names.iter().map(|(id, name)| (id.as_str(), name.as_str())))
            .collect();
        MemberNames { names }
    }

    /// The user's index in `out` (named by its id when the name is not known).
    fn of(&self, out: &mut MembersBuilder, user: &str) -> u32 {
        out.end(user, self.names.get(user).copied().unwrap_or(user))
    }
}

/// Linked groups that are, or are being, deactivated (out of scope, soft-deleted, or purged
/// without `deprovision_groups = "delete"`), with their rows' sys_ids: their members go.
fn deactivated<'a>(
    source: &Source,
    target: &'a Target,
    prior: &'a Prior,
    rules: &Rules,
) -> Vec<(SourceObject, &'a str)> {
    let mapping = &rules.mappings.group;
    if !mapping.enabled {
        return Vec::new();
    }
    let present: HashMap<&str, &SourceObject> = source.groups.iter().map(|g| (g.id.as_str(), g)).collect();
    let rows: HashMap<&str, &Row> = target.groups.iter().map(|r| (r.sys_id.as_str(), r)).collect();
    let deletes = rules.deprovision_groups == crate::config::DeprovisionGroups::Delete && mapping.actions.delete;
    let mut out: Vec<(SourceObject, &str)> = Vec::new();
    for ((ot, id), sys_id) in &prior.links {
        let object = present.get(id.as_str());
        if *ot != ObjectType::Group || object.is_some_and(|g| g.in_scope) {
            continue;
        }
        let Some(row) = rows.get(sys_id.as_str()) else { continue };
        let purged = object.is_none() && !source.soft_deleted_groups.contains(id);
        let left_alone = rules.mappings.skip_out_of_scope_deletions && !purged;
        if left_alone || (purged && deletes) || target.protected(row, &mapping.target_table).is_some() {
            continue;
        }
        let name = object.map_or_else(|| row.get("name").unwrap_or(id).to_owned(), |g| g.name.clone());
        let group = SourceObject {
            id: id.clone(),
            name,
            ..SourceObject::default()
        };
        out.push((group, sys_id.as_str()));
    }
    out.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    out
}
