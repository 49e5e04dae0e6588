//! Stage 3, read target: after a full source read, the managed tables in bulk pages; after an
//! incremental one, only the rows of the touched objects (`crate::sync::target::touched`).
//!
//! Touched, besides what the delta rounds reported: users and groups whose assignment differs
//! from what the last applied cycle saw (assignments are in no delta), and the retry queue —
//! the objects that failed in the last plan (a missing reference, a duplicate, a value too
//! long: planned again each cycle, so they recover once the data they lacked exists) and the
//! objects whose writes failed (a transient failure is retried next cycle; a permanent one as
//! soon as what it lacked may have changed, `plan` skipping it while its hash is unchanged),
//! and the objects of writes whose outcome is unknown (open intents of earlier cycles: a
//! crash or a lost answer), so their rows are read before anything is planned for them; and
//! the users and groups the deletion threshold holds, so each cycle evaluates them again.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::Context;
use crate::config::DeprovisionGroups;
use crate::store::{ObjectValue, Store};
use crate::sync::error::CycleError;
use crate::sync::event::LogLevel;
use crate::sync::op::{CycleKind, ObjectType};
use crate::sync::outcome::FailureCode;
use crate::sync::plan::{Prior, Source, Target};
use crate::sync::source::{Assignments, SourceRead};
use crate::sync::target::recheck::recheck;
use crate::sync::target::{self, keeps, touched, unique};

/// (object type, id) → the code of its failure in the last applied cycle's plan.
pub(super) type PlanFailures = HashMap<(ObjectType, String), FailureCode>;

/// What the reads found, ready to plan.
pub(super) struct Read {
    pub source: Source,
    pub target: Target,
    pub kind: CycleKind,
    /// The clock of this cycle's plan.
    pub now: DateTime<Utc>,
    /// The randomness of this cycle's plan (`Rules::seed`), which the unique-value lookups
    /// already used.
    pub seed: u64,
    /// The assignments as read this cycle.
    pub assignments: Assignments,
    /// The retry queue: what the last applied cycle's plan failed.
    pub failed_before: PlanFailures,
    pub users_link: Option<String>,
    pub groups_link: Option<String>,
}

pub(super) async fn read_target(
    cx: &Context,
    cycle_id: i64,
    prior: &Prior,
    read: SourceRead,
    begun: CycleKind,
) -> Result<Read, CycleError> {
    let now = Utc::now();
    let seed: u64 = rand::random();
    let SourceRead {
        source,
        users_link,
        groups_link,
        full,
        touched_users,
        touched_groups,
        assignments,
        ..
    } = read;
    let identity = cx.identity().await?.clone();
    let (source, mut target, kind, failed_before) = if full {
        let mut target = target::read(&cx.snow, &cx.profile.mappings).await?;
        let appeared = recheck(&cx.snow, &cx.profile.mappings, &source, prior, &mut target, now).await?;
        if appeared > 0 {
            cx.log(
                LogLevel::Info,
                format!("{appeared} rows with the matching value of an object to create appeared while the target was read (another writer): matched, not created again"),
            );
        }
        // A reconciliation stays one; an incremental cycle read whole (its delta token
        // expired) is initial.
        let kind = match begun {
            CycleKind::Reconciliation => CycleKind::Reconciliation,
            _ => CycleKind::Initial,
        };
        (source, target, kind, PlanFailures::new())
    } else {
        let touched = touched::Touched {
            scoped: touched_users.clone(),
            whole: touched_users.clone(),
            users: touched_users,
            groups: touched_groups,
        };
        let (source, target, failed) =
            read_touched(cx, (cycle_id, now, seed), prior, source, touched, &assignments).await?;
        (source, target, CycleKind::Incremental, failed)
    };
    if cx.profile.provisioning.deprovision_groups == DeprovisionGroups::Delete {
        target.integration_groups = keeps::integration_groups(&cx.snow, &identity.integration_account).await?;
    }
    target.integration_account = Some(identity.integration_account);
    target.kept = cx
        .store
        .kept()?
        .into_iter()
        .map(|k| ((k.sys_id, k.field), (k.sent, k.kept)))
        .collect();
    let full = kind.is_full();
    target.taken = unique::taken(&cx.snow, &cx.profile.mappings, &source, &target, full, now, seed).await?;
    Ok(Read {
        source,
        target,
        kind,
        now,
        seed,
        assignments,
        failed_before,
        users_link,
        groups_link,
    })
}

/// An incremental cycle's target: the touched objects (the rounds' `touched`, changed
/// assignments, the retry queue, writes of unknown outcome) and their rows only; with the retry
/// queue it read. `at`: the cycle, the plan's clock and seed.
async fn read_touched(
    cx: &Context,
    at: (i64, DateTime<Utc>, u64),
    prior: &Prior,
    source: Source,
    mut touched: touched::Touched,
    assignments: &Assignments,
) -> Result<(Source, Target, PlanFailures), CycleError> {
    let (cycle_id, now, seed) = at;
    let failed_before: PlanFailures = typed(cx.store.plan_failures()?, |code| code.parse().ok());
    let retried = cx.store.failures()?.into_iter().map(|(t, id, _)| (t, id));
    let unknown = cx.store.unresolved_intents(cycle_id)?;
    if !unknown.is_empty() {
        cx.log(
            LogLevel::Info,
            format!(
                "{} objects had writes whose outcome is unknown (the answer was lost or the engine stopped): their rows are read before they are planned",
                unknown.len()
            ),
        );
    }
    // What may change memberships (its groups are read) and what is only retried (its groups
    // are read if this cycle links it: `touched`).
    let scoped = changed_assignments(&cx.store, assignments)?
        .into_iter()
        .chain(unknown)
        .chain(staged_objects(&cx.store)?);
    let retried = failed_before.keys().cloned().chain(retried);
    for (is_scoped, (ot, id)) in scoped.map(|k| (true, k)).chain(retried.map(|k| (false, k))) {
        match ot {
            ObjectType::User if is_scoped => {
                touched.scoped.insert(id.clone());
                touched.users.insert(id)
            }
            ObjectType::User => touched.users.insert(id),
            // A membership's intent names its group: the group's members are read back.
            ObjectType::Group | ObjectType::Membership => touched.groups.insert(id),
        };
    }
    let rules = super::plan::rules_at(cx, now, seed);
    let hooks = touched::Hooks {
        fill: Box::new(|source: &mut Source, ids: &HashSet<String>| {
            crate::sync::source::fill(&cx.store, &cx.profile, &cx.redaction, source, ids)
        }),
        first_plan: Box::new(move |source: Source, target: &Target| {
            crate::sync::plan::plan(0, CycleKind::Incremental, source, target, prior, &rules)
        }),
    };
    let (source, target) = touched::read(&cx.snow, &cx.profile.mappings, source, touched, prior, now, hooks).await?;
    Ok((source, target, failed_before))
}

/// The users and groups the deletion threshold holds (issue 14, F28): each incremental cycle
/// plans them again, so the staged set is what the latest cycle found — still leaving (held
/// again, the quarantine goes on), or back in scope (nothing held, the quarantine ends) — and
/// never forgotten by a cycle that did not look at them, nor applied piecemeal by one that
/// looked at only some. Their held memberships follow from them.
fn staged_objects(store: &Store) -> Result<Vec<(ObjectType, String)>, CycleError> {
    Ok(store
        .staged()?
        .into_iter()
        .filter(|r| r.object_type != ObjectType::Membership)
        .map(|r| (r.object_type, r.source_id))
        .collect())
}

/// Rows of the state database keyed by object, typed; a row this version cannot read (an
/// unknown object type or value) is left out.
fn typed<T>(rows: Vec<ObjectValue>, value: impl Fn(&str) -> Option<T>) -> HashMap<(ObjectType, String), T> {
    rows.into_iter()
        .filter_map(|r| Some(((r.object_type, r.source_id), value(&r.value)?)))
        .collect()
}

/// Users and groups whose assignment differs from what the last applied cycle saw (added,
/// removed or with other roles).
fn changed_assignments(store: &Store, now: &Assignments) -> Result<Vec<(ObjectType, String)>, CycleError> {
    let before = typed(store.assignments_seen()?, |v| Some(v.to_owned()));
    let mut changed: Vec<(ObjectType, String)> = before
        .iter()
        .filter(|(k, v)| now.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    changed.extend(now.keys().filter(|k| !before.contains_key(*k)).cloned());
    Ok(changed)
}
