//! Read endpoints other than delta: users, groups, members, service principals,
//! `appRoleAssignedTo`, deleted users and managers.

use std::collections::{HashSet, VecDeque};

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::Sim;
use super::query::{self, ASSIGNMENT_FIELDS, GROUP_DEFAULT, GROUP_KNOWN_EXTRA, USER_DEFAULT, USER_KNOWN};
use super::reply::{Ctx, Reply};
use super::route::Query;
use super::store::Rec;
use crate::sim::tenant::PrincipalType;

fn try_reply(r: Result<Reply, Reply>) -> Reply {
    r.unwrap_or_else(|e| e)
}

fn odata_type(kind: PrincipalType) -> &'static str {
    match kind {
        PrincipalType::User => "#microsoft.graph.user",
        PrincipalType::Group => "#microsoft.graph.group",
        PrincipalType::ServicePrincipal => "#microsoft.graph.servicePrincipal",
    }
}

/// `$expand=manager` (optionally `manager($select=…)`): the manager as a directoryObject.
fn expand_manager(sim: &Sim, rec: &Rec, out: &mut Map<String, Value>) {
    let store = sim.store();
    if let Some(m) = rec.manager.as_deref().and_then(|id| store.users.live(id)) {
        let mut obj = query::project(&m.props, None, &["id", "displayName", "userPrincipalName"]);
        obj.insert("@odata.type".to_owned(), json!("#microsoft.graph.user"));
        out.insert("manager".to_owned(), Value::Object(obj));
    }
}

pub(super) fn list_users(sim: &Sim, ctx: &Ctx, q: &Query) -> Reply {
    try_reply((|| {
        let select = query::select(q, USER_KNOWN, &[], "user")?;
        let filter = query::filter(ctx, q)?;
        let expand = q.get("$expand").is_some_and(|e| e.starts_with("manager"));
        // Graph caps a page at 100 when `$expand=manager` is used (spec §2.3).
        let top = if expand {
            query::top(q)?.min(100)
        } else {
            query::top(q)?
        };
        let context = query::context(ctx, "users", select.as_deref());
        let store = sim.store();
        let items = store
            .users
            .by_seq
            .values()
            .filter(|r| r.is_live() && filter.as_ref().is_none_or(|f| f.matches(&r.props)))
            .map(|r| (r.seq, r));
        let reply = query::page(ctx, q, context, top, items, |r| {
            let mut obj = query::project(&r.props, select.as_deref(), USER_DEFAULT);
            if expand && let Some(m) = r.manager.as_deref().and_then(|id| store.users.live(id)) {
                let mut mo = query::project(&m.props, None, &["id", "displayName", "userPrincipalName"]);
                mo.insert("@odata.type".to_owned(), json!("#microsoft.graph.user"));
                obj.insert("manager".to_owned(), Value::Object(mo));
            }
            obj
        });
        Ok(reply)
    })())
}

pub(super) fn count(sim: &Sim, ctx: &Ctx, what: &str) -> Reply {
    if ctx.headers.get("consistencylevel").is_none() {
        return Reply::bad_request("$count is not currently supported.");
    }
    let store = sim.store();
    let objects = if what == "users" { &store.users } else { &store.groups };
    Reply::text(objects.by_seq.values().filter(|r| r.is_live()).count().to_string())
}

/// A live user by id or UPN.
fn find_user<'a>(store: &'a super::store::Store, key: &str) -> Option<&'a Rec> {
    store.users.live(key).or_else(|| {
        store.users.by_seq.values().find(|r| {
            r.is_live()
                && r.props
                    .get("userPrincipalName")
                    .and_then(Value::as_str)
                    .is_some_and(|u| u.eq_ignore_ascii_case(key))
        })
    })
}

pub(super) fn get_user(sim: &Sim, q: &Query, key: &str) -> Reply {
    try_reply((|| {
        let select = query::select(q, USER_KNOWN, &[], "user")?;
        let rec = find_user(&sim.store(), key)
            .cloned()
            .ok_or_else(|| Reply::not_found(key))?;
        let mut obj = query::project(&rec.props, select.as_deref(), USER_DEFAULT);
        if q.get("$expand").is_some_and(|e| e.starts_with("manager")) {
            expand_manager(sim, &rec, &mut obj);
        }
        Ok(Reply::ok(Value::Object(obj)))
    })())
}

pub(super) fn manager(sim: &Sim, q: &Query, id: &str) -> Reply {
    try_reply((|| {
        let select = query::select(q, USER_KNOWN, &[], "user")?;
        let store = sim.store();
        let rec = find_user(&store, id).ok_or_else(|| Reply::not_found(id))?;
        // Graph answers 404 when there is no manager (spec §13).
        let m = rec
            .manager
            .as_deref()
            .and_then(|m| store.users.live(m))
            .ok_or_else(|| Reply::not_found(id))?;
        let mut obj = query::project(&m.props, select.as_deref(), USER_DEFAULT);
        obj.insert("@odata.type".to_owned(), json!("#microsoft.graph.user"));
        Ok(Reply::ok(Value::Object(obj)))
    })())
}

pub(super) fn list_groups(sim: &Sim, ctx: &Ctx, q: &Query) -> Reply {
    try_reply((|| {
        let select = query::select(q, GROUP_DEFAULT, GROUP_KNOWN_EXTRA, "group")?;
        let filter = query::filter(ctx, q)?;
        let top = query::top(q)?;
        let context = query::context(ctx, "groups", select.as_deref());
        let store = sim.store();
        let items = store
            .groups
            .by_seq
            .values()
            .filter(|r| r.is_live() && filter.as_ref().is_none_or(|f| f.matches(&r.props)))
            .map(|r| (r.seq, r));
        let reply = query::page(ctx, q, context, top, items, |r| {
            query::project(&r.props, select.as_deref(), GROUP_DEFAULT)
        });
        Ok(reply)
    })())
}

pub(super) fn get_group(sim: &Sim, q: &Query, id: &str) -> Reply {
    try_reply((|| {
        let select = query::select(q, GROUP_DEFAULT, GROUP_KNOWN_EXTRA, "group")?;
        let store = sim.store();
        let rec = store.groups.live(id).ok_or_else(|| Reply::not_found(id))?;
        Ok(Reply::ok(Value::Object(query::project(
            &rec.props,
            select.as_deref(),
            GROUP_DEFAULT,
        ))))
    })())
}

/// `/groups/{id}/members` or `/transitiveMembers`, optionally cast to one type.
pub(super) fn members(sim: &Sim, ctx: &Ctx, q: &Query, id: &str, transitive: bool, cast: &[&str]) -> Reply {
    try_reply((|| {
        let only = match cast {
            [] => None,
            ["$count"] => return Ok(count_members(sim, ctx, id)),
            [c] if c.ends_with("graph.user") => Some(PrincipalType::User),
            [c] if c.ends_with("graph.group") => Some(PrincipalType::Group),
            [c] => {
                return Err(Reply::error(
                    StatusCode::BAD_REQUEST,
                    "Request_UnsupportedQuery",
                    format!("The type cast '{c}' is not supported for this relationship."),
                ));
            }
            _ => return Err(Reply::bad_request("Unsupported path.")),
        };
        let select = query::select(q, USER_KNOWN, GROUP_DEFAULT, "directoryObject")?;
        let top = query::top(q)?;
        // Without User.Read.All a member user comes back with only its type and id (spec §5).
        let limited = sim.faults().deny.iter().any(|d| d == "User.Read.All");
        let store = sim.store();
        let group = store.groups.live(id).ok_or_else(|| Reply::not_found(id))?;
        let mut list: Vec<(String, PrincipalType)> = group.members.clone();
        if transitive {
            let mut seen: HashSet<String> = list.iter().map(|m| m.0.clone()).collect();
            let mut queue: VecDeque<String> = list
                .iter()
                .filter(|m| m.1 == PrincipalType::Group)
                .map(|m| m.0.clone())
                .collect();
            while let Some(g) = queue.pop_front() {
                for (mid, kind) in store.groups.live(&g).map(|r| r.members.clone()).unwrap_or_default() {
                    if seen.insert(mid.clone()) {
                        if kind == PrincipalType::Group {
                            queue.push_back(mid.clone());
                        }
                        list.push((mid, kind));
                    }
                }
            }
        }
        let items: Vec<(u64, Map<String, Value>)> = list
            .iter()
            .enumerate()
            .filter(|(_, (_, kind))| only.is_none_or(|o| o == *kind))
            .filter_map(|(i, (mid, kind))| {
                let (props, defaults) = match kind {
                    PrincipalType::User => (&store.users.live(mid)?.props, USER_DEFAULT),
                    PrincipalType::Group => (&store.groups.live(mid)?.props, GROUP_DEFAULT),
                    PrincipalType::ServicePrincipal => (store.service_principal(mid)?, &["id", "appId"][..]),
                };
                let mut obj = if limited && *kind == PrincipalType::User {
                    let mut m = Map::new();
                    m.insert("id".to_owned(), json!(mid));
                    m
                } else {
                    query::project(props, select.as_deref(), defaults)
                };
                obj.insert("@odata.type".to_owned(), json!(odata_type(*kind)));
                Some((i as u64, obj))
            })
            .collect();
        drop(store);
        let what = match only {
            Some(PrincipalType::User) => "users",
            Some(PrincipalType::Group) => "groups",
            _ => "directoryObjects",
        };
        let context = query::context(ctx, what, select.as_deref());
        Ok(query::page(ctx, q, context, top, items.into_iter(), |m| m))
    })())
}

fn count_members(sim: &Sim, ctx: &Ctx, id: &str) -> Reply {
    if ctx.headers.get("consistencylevel").is_none() {
        return Reply::bad_request("$count is not currently supported.");
    }
    match sim.store().groups.live(id) {
        Some(g) => Reply::text(g.members.len().to_string()),
        None => Reply::not_found(id),
    }
}

pub(super) fn list_service_principals(sim: &Sim, ctx: &Ctx, q: &Query) -> Reply {
    try_reply((|| {
        let filter = query::filter(ctx, q)?;
        let top = query::top(q)?;
        let store = sim.store();
        let items: Vec<(u64, Map<String, Value>)> = store
            .service_principals
            .iter()
            .enumerate()
            .filter(|(_, sp)| filter.as_ref().is_none_or(|f| f.matches(sp)))
            .map(|(i, sp)| (i as u64, sp.clone()))
            .collect();
        drop(store);
        let context = query::context(ctx, "servicePrincipals", None);
        Ok(query::page(ctx, q, context, top, items.into_iter(), |m| m))
    })())
}

pub(super) fn sp_id_by_app_id(sim: &Sim, app_id: Option<&str>) -> String {
    let store = sim.store();
    let sp = store
        .service_principals
        .iter()
        .find(|sp| sp.get("appId").and_then(Value::as_str) == app_id);
    sp.and_then(|sp| sp.get("id"))
        .and_then(Value::as_str)
        .unwrap_or(app_id.unwrap_or_default())
        .to_owned()
}

pub(super) fn sp_by_app_id(sim: &Sim, app_id: Option<&str>) -> Reply {
    get_service_principal(sim, &sp_id_by_app_id(sim, app_id))
}

pub(super) fn get_service_principal(sim: &Sim, id: &str) -> Reply {
    match sim.store().service_principal(id) {
        Some(sp) => Reply::ok(Value::Object(sp.clone())),
        None => Reply::not_found(id),
    }
}

pub(super) fn assigned_to(sim: &Sim, ctx: &Ctx, q: &Query, sp_id: &str) -> Reply {
    try_reply((|| {
        let select = query::select(q, ASSIGNMENT_FIELDS, &[], "appRoleAssignment")?;
        let filter = query::filter(ctx, q)?;
        let top = query::top(q)?;
        let store = sim.store();
        if store.service_principal(sp_id).is_none() {
            return Err(Reply::not_found(sp_id));
        }
        let items: Vec<(u64, Map<String, Value>)> = store
            .assignments
            .iter()
            .enumerate()
            .filter(|(_, a)| a.get("resourceId").and_then(Value::as_str) == Some(sp_id))
            .filter(|(_, a)| filter.as_ref().is_none_or(|f| f.matches(a)))
            .map(|(i, a)| (i as u64, query::project(a, select.as_deref(), ASSIGNMENT_FIELDS)))
            .collect();
        drop(store);
        let context = format!(
            "{}/v1.0/$metadata#servicePrincipals('{sp_id}')/appRoleAssignedTo",
            ctx.origin
        );
        Ok(query::page(ctx, q, context, top, items.into_iter(), |m| m))
    })())
}

/// `GET /organization[/{id}]`: the tenant itself, whose `id` is the tenant id (what a client
/// binds its state to, with the service principal's id).
pub(super) fn organization(sim: &Sim, ctx: &Ctx, id: Option<&str>) -> Reply {
    let t = sim.tenant();
    if id.is_some_and(|id| !id.eq_ignore_ascii_case(&t.tenant_id)) {
        return Reply::not_found(id.unwrap_or_default());
    }
    let label = t.domain.split('.').next().unwrap_or(&t.domain);
    let mut name = label.to_owned();
    if let Some(first) = name.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    let domain = |name: &str, default: bool, initial: bool| {
        json!({"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": default,
               "isInitial": initial, "name": name, "type": "Managed"})
    };
    let org = json!({"id": t.tenant_id, "displayName": name, "tenantType": "AAD",
        "countryLetterCode": "US", "preferredLanguage": "en",
        "verifiedDomains": [domain(&t.domain, true, false), domain(&t.initial_domain, false, true)]});
    if id.is_some() {
        return Reply::ok(org);
    }
    let context = format!("{}/v1.0/$metadata#organization", ctx.origin);
    Reply::ok(json!({"@odata.context": context, "value": [org]}))
}
