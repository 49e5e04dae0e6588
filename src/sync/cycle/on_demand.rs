//! Provision on demand (spec §2.8): the whole pipeline for one user, or one group with its
//! members, now and outside the cycle, also while the job is quarantined (an explicit admin
//! action). Reads the source and target as a cycle does, plans everything (so matching sees
//! the same claims and duplicates a cycle would), keeps the object's operations, and applies
//! them unless it is a dry run. The report carries Entra's steps: Import (the attributes
//! read), Scope (why in or out), Match (every candidate per matching attribute), Action (the
//! diff and the result). A group brings at most 5 members (Entra's limit); the request's
//! disables and deletes count against the deletion threshold, and what the threshold's
//! quarantine holds stays held unless it is the named object (`on_demand_hold`): the named
//! object's held ops (its disable or deactivation and its membership removals) are applied
//! together and leave the staged set (`safety::staged::provisioned`).
//!
//! Stages: read source (full) → read target (bulk) → plan → apply, the last with the
//! object's operations only, its results returned by the applier.

use crate::sync::redact::MASK;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use super::on_demand_hold::{self, GROUP_MEMBERS};
use super::{Context, apply, begin, commit, read_source, read_target};
use crate::sync::error::CycleError;
use crate::sync::event::ObjectResult;
use crate::sync::op::{CycleKind, ObjectType, Op, OpKind, Plan};
use crate::sync::outcome::SkipReason;
use crate::sync::plan::{self, Candidates, Prior, Rules, Source, SourceObject};
use crate::sync::safety::staged;

/// Which object to provision: a user by UPN or object id, or a group by name or object id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Subject {
    User(String),
    Group(String),
}

/// One object's pipeline, step by step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectReport {
    pub object_type: ObjectType,
    pub source_id: String,
    pub source_name: String,
    /// Import: the source attributes the mappings read (name → value as text).
    pub attributes: Vec<(String, Option<String>)>,
    pub in_scope: bool,
    /// Scope: why in or out.
    pub scope: String,
    /// Match: every candidate per matching attribute (empty when out of scope).
    pub candidates: Vec<Candidates>,
    /// The operations planned for it, with their Match step and diff.
    pub ops: Vec<Op>,
    /// Action results (empty for a dry run).
    pub results: Vec<ObjectResult>,
    /// The deletion threshold held its disable or deactivation, or a membership removal of it
    /// (the staged set, before this run): applied now, these leave the staged set.
    #[serde(default)]
    pub held: bool,
}

/// The report of one provision on demand.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OnDemand {
    pub dry_run: bool,
    /// The cycle id its log records carry (none for a dry run).
    pub cycle_id: Option<i64>,
    pub objects: Vec<ObjectReport>,
    /// When this run applied held changes: how many the deletion threshold still holds, and
    /// whether the TooManyDeletes quarantine ended (nothing held any more).
    #[serde(default)]
    pub held_left: Option<(usize, bool)>,
}

fn find<'a>(objects: &'a [SourceObject], key: &str) -> Option<&'a SourceObject> {
    objects
        .iter()
        .find(|o| o.id.eq_ignore_ascii_case(key))
        .or_else(|| objects.iter().find(|o| o.name.eq_ignore_ascii_case(key)))
}

/// The objects a request provisions: the user, or the group and its members.
fn subjects(source: &Source, subject: &Subject) -> Result<Vec<(ObjectType, SourceObject)>, CycleError> {
    let mut out = Vec::new();
    match subject {
        Subject::User(key) => {
            let u = find(&source.users, key).ok_or_else(|| CycleError::NoSuchObject {
                object: "user",
                key: key.clone(),
                by: "UPN or object id",
            })?;
            out.push((ObjectType::User, u.clone()));
        }
        Subject::Group(key) => {
            let g = find(&source.groups, key).ok_or_else(|| CycleError::NoSuchObject {
                object: "group",
                key: key.clone(),
                by: "name or object id",
            })?;
            out.push((ObjectType::Group, g.clone()));
            let users: HashMap<&str, &SourceObject> = source.users.iter().map(|u| (u.id.as_str(), u)).collect();
            let members: Vec<&SourceObject> = g
                .members
                .iter()
                .filter_map(|m| users.get(m.as_str()).copied())
                .collect();
            // Entra's limit (spec §2.8): a big group's members are a cycle's work, not one request's.
            if members.len() > GROUP_MEMBERS {
                return Err(CycleError::GroupTooLarge {
                    group: g.name.clone(),
                    members: members.len(),
                    limit: GROUP_MEMBERS,
                });
            }
            out.extend(members.into_iter().map(|u| (ObjectType::User, u.clone())));
        }
    }
    Ok(out)
}

/// Whether an op or a result is about `o` (as type `t`, or its group's memberships).
fn about(o: &SourceObject, t: ObjectType, source_id: &str, object_type: ObjectType) -> bool {
    source_id == o.id && (object_type == t || object_type == ObjectType::Membership)
}

/// The request's operations out of the whole plan. A reference to a user this run does not
/// provision and no link knows (a manager out of this request) waits for the cycle that
/// provisions it.
fn select<'p>(
    ops: impl Iterator<Item = Cow<'p, Op>>,
    objects: &[Op],
    subjects: &[(ObjectType, SourceObject)],
    group: bool,
    prior: &Prior,
) -> Vec<Op> {
    let group_id = if group {
        subjects.first().map(|(_, g)| g.id.as_str())
    } else {
        None
    };
    // A user the plan disables or deletes leaves its groups with it: its membership removals
    // go with its deprovisioning, as a cycle's do (and as the deletion threshold holds them).
    // (A group's request takes its own memberships only.)
    let leaving: HashSet<&str> = objects
        .iter()
        .filter(|_| !group)
        .filter(|op| op.object_type == ObjectType::User && crate::sync::safety::is_deletion(op))
        .filter(|op| {
            subjects
                .iter()
                .any(|(t, o)| *t == ObjectType::User && o.id == op.source_id.as_str())
        })
        .map(|op| op.source_id.as_str())
        .collect();
    let mine = |op: &Op| {
        let with_its_user = op.object_type == ObjectType::Membership
            && op.kind == OpKind::RemoveMember
            && op.member_id.as_deref().is_some_and(|u| leaving.contains(u));
        with_its_user
            || subjects
                .iter()
                .any(|(t, o)| about(o, *t, &op.source_id, op.object_type))
                && (op.object_type != ObjectType::Membership || group_id == Some(op.source_id.as_str()))
    };
    let in_run: HashSet<&str> = subjects.iter().map(|(_, o)| o.id.as_str()).collect();
    let waits = |source_id: &str| {
        !in_run.contains(source_id) && !prior.links.contains_key(&(ObjectType::User, source_id.to_owned()))
    };
    // A user waited for is named (its UPN from its op in the plan), never by its object id.
    let name = |source_id: &str| -> String {
        objects
            .iter()
            .find(|op| op.object_type == ObjectType::User && op.source_id == source_id)
            .map_or_else(|| source_id.to_owned(), |op| op.source_name.to_string())
    };
    let mut out = Vec::new();
    for mut op in ops.filter(|op| mine(op)).map(Cow::into_owned) {
        if let OpKind::SetReference { attribute, source_id } = &op.kind
            && waits(source_id)
        {
            op.kind = OpKind::Skip {
                reason: SkipReason::ReferenceWaits {
                    attribute: attribute.clone(),
                    user: name(source_id),
                },
            };
        }
        // A manager this cycle would create in the same create, but this run does not.
        let mut waiting = Vec::new();
        if let OpKind::Create { fields: changes } | OpKind::Update { diff: changes } = &mut op.kind {
            changes.retain(|c| {
                let wait = c.pending && waits(c.new.as_deref().unwrap_or_default());
                if wait {
                    waiting.push((c.attribute.to_string(), c.new.as_deref().unwrap_or_default().to_owned()));
                }
                !wait
            });
        }
        let skips: Vec<Op> = waiting
            .into_iter()
            .map(|(attribute, source_id)| Op {
                kind: OpKind::Skip {
                    reason: SkipReason::ReferenceWaits {
                        attribute,
                        user: name(&source_id),
                    },
                },
                ..op.clone()
            })
            .collect();
        out.push(op);
        out.extend(skips);
    }
    out
}

/// Provisions `subject` now; applies nothing when `dry_run`.
pub(in crate::sync) async fn provision(
    cx: &Context,
    subject: &Subject,
    dry_run: bool,
    plan_id: u64,
) -> Result<OnDemand, CycleError> {
    let (read, prior) = read(cx).await?;
    let subjects = subjects(&read.source, subject)?;
    let candidates = match_step(&super::plan::rules(cx, &read), &read, &subjects);
    let managers = manager_names(&read.source, &subjects);
    // Everything is planned, so matching sees the same claims and duplicates a cycle would.
    let whole = super::plan::plan(cx, 0, 0, read, &prior, cx.clock.now()).plan;
    let ops = select(
        whole.ops(),
        whole.objects(),
        &subjects,
        matches!(subject, Subject::Group(_)),
        &prior,
    );
    let named = subjects
        .first()
        .map_or((ObjectType::User, ""), |(t, o)| (*t, o.id.as_str()));
    // The staged set, read once: what the quarantine holds, what this run takes out of it.
    let held = staged::held_keys(cx)?;
    let ops = on_demand_hold::hold(cx, ops, &held, named, prior.links.len())?;
    let (cycle_id, results, held_left) = if dry_run || ops.is_empty() {
        (None, Vec::new(), None)
    } else {
        let (id, results) = apply_ops(cx, &ops, &prior, plan_id).await?;
        let left = staged::provisioned(cx, &held, &results, id)?;
        (Some(id), results, left)
    };
    let mut objects = report(cx, subjects, candidates, &ops, &results, &managers);
    // Held until now and applied here (or, a dry run, to be): an op still held says so itself.
    for o in &mut objects {
        o.held = staged::holds(&held, o.object_type, &o.source_id)
            && !o.ops.iter().any(|op| matches!(op.kind, OpKind::StagedDelete { .. }));
    }
    Ok(OnDemand {
        dry_run,
        cycle_id,
        objects,
        held_left,
    })
}

/// Read source → read target, both whole, with what the store knows (`Prior`).
async fn read(cx: &Context) -> Result<(read_target::Read, Prior), CycleError> {
    // A full read, as the console's scope preview does: it refreshes the source cache, and the
    // next incremental cycle replays the changes since its watermarks onto it.
    let source = read_source(cx, None).await?;
    let mut prior = begin::prior(&cx.store)?;
    // An explicit request retries a failure even when nothing about it changed.
    prior.permanent_failures.clear();
    // A full read: every row is read, open intents included (no cycle of its own yet).
    let read = read_target::read_target(cx, i64::MAX, &prior, source, CycleKind::Initial).await?;
    Ok((read, prior))
}

/// The Match step: every candidate per matching attribute of each object in scope.
fn match_step(
    rules: &Rules,
    read: &read_target::Read,
    subjects: &[(ObjectType, SourceObject)],
) -> Vec<Vec<Candidates>> {
    subjects
        .iter()
        .map(|(t, o)| {
            if o.in_scope {
                plan::candidates(*t, o, &read.target, rules)
            } else {
                Vec::new()
            }
        })
        .collect()
}

/// Apply: the request's operations as a cycle row of their own (`on-demand`), with the
/// applier's results.
async fn apply_ops(
    cx: &Context,
    ops: &[Op],
    prior: &Prior,
    plan_id: u64,
) -> Result<(i64, Vec<ObjectResult>), CycleError> {
    let id = cx.store.begin_cycle(CycleKind::OnDemand, false)?;
    let p = Plan::new(plan_id, CycleKind::Incremental, ops.to_vec());
    // An explicit admin action: a Stop of the engine does not cut it short.
    let keep_going = AtomicBool::new(false);
    let applied = apply::apply(cx, id, &p, &prior.links, &keep_going, true).await?;
    commit::finish_row(cx, id, &applied.stats)?;
    Ok((id, applied.results))
}

/// Each object's pipeline, step by step: Import, Scope, Match, and its operations and results.
fn report(
    cx: &Context,
    subjects: Vec<(ObjectType, SourceObject)>,
    candidates: Vec<Vec<Candidates>>,
    ops: &[Op],
    results: &[ObjectResult],
    managers: &HashMap<String, String>,
) -> Vec<ObjectReport> {
    let hidden = crate::sync::redact::redacted_sources(&[&cx.profile.mappings.user, &cx.profile.mappings.group]);
    // A user asked for alone lists the membership ops applied with it (a held user's removals:
    // it listed only the disable); a group's request lists them under the group.
    let alone = subjects.len() == 1;
    let theirs =
        move |o: &SourceObject, t: ObjectType, source_id: &str, object_type: ObjectType, member: Option<&str>| {
            about(o, t, source_id, object_type)
                || (alone
                    && t == ObjectType::User
                    && object_type == ObjectType::Membership
                    && member == Some(o.id.as_str()))
        };
    subjects
        .into_iter()
        .zip(candidates)
        .map(|((t, o), candidates)| ObjectReport {
            object_type: t,
            source_id: o.id.clone(),
            source_name: o.name.clone(),
            attributes: import_step(&o, &hidden, managers),
            in_scope: o.in_scope,
            scope: o.scope_detail.clone(),
            candidates,
            ops: ops
                .iter()
                .filter(|op| theirs(&o, t, &op.source_id, op.object_type, op.member_id.as_deref()))
                .cloned()
                .collect(),
            results: results
                .iter()
                .filter(|r| theirs(&o, t, &r.source_id, r.object_type, r.member_id.as_deref()))
                .cloned()
                .collect(),
            held: false,
        })
        .collect()
}

/// The UPN of each subject's manager (Entra object id → UPN), for the Import step.
fn manager_names(source: &Source, subjects: &[(ObjectType, SourceObject)]) -> HashMap<String, String> {
    subjects
        .iter()
        .filter_map(|(_, o)| o.attrs.get(MANAGER).and_then(|v| v.text()))
        .filter_map(|id| {
            let manager = source.users.iter().find(|u| u.id.eq_ignore_ascii_case(&id))?;
            Some((id, manager.name.clone()))
        })
        .collect()
}

/// The source attribute holding the manager's Entra object id.
const MANAGER: &str = "manager";

/// The Import step: the source attributes as text, those a redacting mapping reads (`hidden`,
/// lower-case names) shown as `***`, the manager by its UPN (`managers`), not its object id.
fn import_step(
    o: &SourceObject,
    hidden: &HashSet<String>,
    managers: &HashMap<String, String>,
) -> Vec<(String, Option<String>)> {
    o.attrs
        .iter()
        .map(|(k, v)| {
            let shown = v.text().map(|t| {
                if hidden.contains(&k.to_lowercase()) {
                    MASK.to_owned()
                } else if k.eq_ignore_ascii_case(MANAGER) {
                    managers.get(&t).cloned().unwrap_or(t)
                } else {
                    t
                }
            });
            (k.to_owned(), shown)
        })
        .collect()
}
