//! Reading one cycle's source from Graph: the app's assignments, then a users and a groups
//! delta round — full (no stored link, or the stored link expired) or incremental (since the
//! stored deltaLinks) — merged item by item into the store's source cache (`rounds`), from
//! which the scoped [`Source`] is built (`build`). Both kinds build the same whole source from
//! the cache, so scoping, memberships and managers see every object; an incremental cycle then
//! plans only the objects the rounds and the assignments touched (`crate::sync::target::touched`).
//! An incremental read builds the users its rounds did not report slim (name, scope, manager:
//! issue 16 §3), and the cycle makes the others it touches whole ([`fill`]).

mod build;
mod groups;
mod rounds;

pub(crate) use build::SLIM;

use std::collections::{HashMap, HashSet};

use serde_json::json;

use super::error::CycleError;
use super::op::ObjectType;
use super::plan::Source;
use crate::config::{ResolvedProfile, ScopeMode};
use crate::graph::{self, AssignedScope};
use crate::store::Store;
use crate::sync::redact::{Redaction, Sealing};

/// What the source read found.
pub struct SourceRead {
    /// Every user and group, scoped; after an incremental read, the users its rounds did not
    /// report are slim (see [`fill`]).
    pub source: Source,
    pub users_link: Option<String>,
    pub groups_link: Option<String>,
    /// The rounds reported the whole tenant (no stored link, or one expired).
    pub full: bool,
    /// Why a stored link could not be used (an expired delta token), when that happened.
    pub reset: Option<String>,
    /// Ids of the users and groups that the delta rounds reported (incremental rounds); with
    /// `flatten_nested_groups`, the groups containing a reported group at any depth too.
    pub touched_users: HashSet<String>,
    pub touched_groups: HashSet<String>,
    /// Each assigned user's and group's assignment as read this cycle (roles and how, as
    /// text), to compare with the last applied cycle's: assignments are in no delta.
    pub assignments: Assignments,
}

/// Reads and scopes the source. `links`: the stored (users, groups) deltaLinks for an
/// incremental read; `None` for a full one.
pub async fn read(
    graph: &graph::Client,
    store: &Store,
    profile: &ResolvedProfile,
    links: Option<(&str, &str)>,
    redaction: &Redaction,
) -> Result<SourceRead, CycleError> {
    let sealing = Sealing::new(redaction, &[&profile.mappings.user, &profile.mappings.group]);
    let mut touched_users = HashSet::new();
    let mut touched_groups = HashSet::new();
    // The selection is the mappings' (review R9); a mapping change changes the rules hash, so
    // a stored link, which keeps the selection it was made with (graph.md §6.2), is not used.
    // `manager` and `members` too, so `manager@delta` and `members@delta` are reported.
    let user_select = build::select(&profile.mappings.user, &[graph::USER_SELECT, &["manager"]].concat());
    let group_select = build::select(&profile.mappings.group, &[graph::GROUP_SELECT, &["members"]].concat());
    let users = rounds::round(
        store,
        ObjectType::User,
        graph.users_delta_with(&refs(&user_select), links.map(|l| l.0)),
        &mut touched_users,
        &sealing,
    )
    .await?;
    let groups = rounds::round(
        store,
        ObjectType::Group,
        graph.groups_delta_with(&refs(&group_select), links.map(|l| l.1)),
        &mut touched_groups,
        &sealing,
    )
    .await?;
    let reset = users.reset.or(groups.reset);
    let full = links.is_none() || reset.is_some();
    // Before the users are built: users outside the assignments are built slim (name, enabled).
    let assigned = match profile.provisioning.scope {
        ScopeMode::Assigned => Some(assigned_scope(graph, store, full).await?),
        ScopeMode::All => None,
    };
    let (mut soft_deleted, mut soft_deleted_groups) = soft_deleted_of(graph, full).await?;
    let roles = app_roles(graph, profile, assigned.is_some()).await?;
    let mut source = Source {
        users: build::users(
            store,
            &profile.mappings.user,
            &profile.user_scope,
            assigned.as_ref().map(|a| (a, &roles)),
            (&mut soft_deleted, (!full).then_some(&touched_users)),
            &sealing,
        )?,
        ..Source::default()
    };
    source.soft_deleted = soft_deleted;
    let (groups_built, nested) = groups::groups(
        store,
        &profile.mappings.group,
        &profile.group_scope,
        assigned.as_ref(),
        &mut soft_deleted_groups,
        &sealing,
    )?;
    source.groups = groups_built;
    source.soft_deleted_groups = soft_deleted_groups;
    if profile.provisioning.flatten_nested_groups {
        // A change inside a nested group changes the flattened members of its parents.
        let parents = groups::flatten(&mut source.groups, &nested);
        let inner: Vec<String> = touched_groups.iter().cloned().collect();
        for g in inner {
            touched_groups.extend(parents.get(&g).into_iter().flatten().cloned());
        }
    }
    Ok(SourceRead {
        source,
        users_link: users.delta_link,
        groups_link: groups.delta_link,
        full,
        reset,
        touched_users,
        touched_groups,
        assignments: assigned.as_ref().map(assignment_texts).unwrap_or_default(),
    })
}

/// The properties a read of one user selects: the engine's own reads (names, enabled, scope,
/// guests, [`graph::USER_SELECT`]) and every property the user mappings and scoping filters
/// read (review R9).
pub fn user_select(profile: &ResolvedProfile) -> Vec<String> {
    build::select(&profile.mappings.user, graph::USER_SELECT)
}

fn refs(select: &[String]) -> Vec<&str> {
    select.iter().map(String::as_str).collect()
}

/// Makes the slim users among `ids` whole (an incremental read builds only the users its
/// rounds reported whole; the cycle fills in the others it touches).
pub fn fill(
    store: &Store,
    profile: &ResolvedProfile,
    redaction: &Redaction,
    source: &mut Source,
    ids: &HashSet<String>,
) -> Result<(), CycleError> {
    let sealing = Sealing::new(redaction, &[&profile.mappings.user, &profile.mappings.group]);
    build::fill(store, &profile.mappings.user, &mut source.users, ids, &sealing)
}

/// The soft-deleted users and groups by id: a full round does not list them, deletedItems
/// does (an incremental round reports them itself: empty here).
async fn soft_deleted_of(graph: &graph::Client, full: bool) -> Result<(HashSet<String>, HashSet<String>), CycleError> {
    if !full {
        return Ok((HashSet::new(), HashSet::new()));
    }
    let users = graph.deleted_users().all().await?.into_iter().map(|u| u.id).collect();
    let groups = graph.deleted_groups().all().await?.into_iter().map(|g| g.id).collect();
    Ok((users, groups))
}

/// The app's assignments, each assigned group's kind and members taken from the source cache
/// the groups delta round keeps (`members@delta`), so a quiet cycle lists no group's members
/// (issue 16 §4). A group read in full this cycle (a full round) or assigned in the last
/// applied cycle is known; a newly assigned one, or one the cache lacks, is read from Graph in
/// full, once: the next cycle knows it.
async fn assigned_scope(graph: &graph::Client, store: &Store, full: bool) -> Result<AssignedScope, CycleError> {
    let seen: Option<HashSet<String>> = if full {
        None
    } else {
        let seen = store.assignments_seen()?.into_iter();
        Some(
            seen.filter(|v| v.object_type == ObjectType::Group)
                .map(|v| v.source_id)
                .collect(),
        )
    };
    let known = |id: &str| -> Option<graph::KnownGroup> {
        if seen.as_ref().is_some_and(|seen| !seen.contains(id)) {
            return None;
        }
        let text = store.cached(ObjectType::Group, id).ok().flatten()?;
        let raw: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).ok()?;
        if raw.get(rounds::SOFT_DELETED).is_some() {
            return None;
        }
        let members = raw
            .get(rounds::MEMBERS)
            .and_then(|m| serde_json::from_value(m.clone()).ok())
            .unwrap_or_default();
        Some(graph::KnownGroup {
            security_enabled: raw.get("securityEnabled").and_then(serde_json::Value::as_bool) == Some(true),
            members,
        })
    };
    Ok(graph.assigned_scope_with(known).await?)
}

/// App role id → the element of `[appRoleAssignments]` that stands for it: the JSON text
/// `{"id", "value", "displayName"}` of the service principal's app role (the form Entra's PATCH
/// example carries; `mapping::functions::collections` reads it). Read only when a user mapping
/// reads `[appRoleAssignments]` and scope is "assigned" (Entra: the app-role functions are
/// not compatible with "Sync all users and groups").
pub(super) type AppRoles = HashMap<String, String>;

async fn app_roles(graph: &graph::Client, profile: &ResolvedProfile, assigned: bool) -> Result<AppRoles, CycleError> {
    let needed = build::needed(&profile.mappings.user, "userPrincipalName");
    if !assigned || !needed.contains("approleassignments") {
        return Ok(AppRoles::new());
    }
    let sp = graph.service_principal().await?;
    let text = |r: &serde_json::Value, k: &str| {
        r.get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Ok(sp
        .app_roles
        .iter()
        .map(|r| {
            let id = text(r, "id");
            let element = json!({"id": id, "value": text(r, "value"), "displayName": text(r, "displayName")});
            (id, element.to_string())
        })
        .collect())
}

/// (object type, id) → the object's assignment as text.
pub type Assignments = HashMap<(ObjectType, String), String>;

/// The assignment of each user and group, as text to compare between cycles.
fn assignment_texts(assigned: &AssignedScope) -> Assignments {
    let mut out = Assignments::new();
    for id in assigned.user_ids() {
        let roles: Vec<&str> = assigned.roles(id).into_iter().collect();
        let direct = assigned.direct_users.contains_key(id);
        let groups: Vec<&str> = assigned
            .group_members
            .iter()
            .filter(|(_, m)| m.contains(id))
            .map(|(g, _)| g.as_str())
            .collect();
        out.insert(
            (ObjectType::User, id.to_owned()),
            json!([roles, direct, groups]).to_string(),
        );
    }
    for (id, roles) in &assigned.groups {
        out.insert((ObjectType::Group, id.clone()), json!(roles).to_string());
    }
    out
}
