//! Write endpoints (DESIGN.md "Simulators"): users, deleted items, groups, memberships, managers
//! and app-role assignments. User and group writes advance the version so delta reports them;
//! assignment writes do not (they are in no delta, spec §7.3).

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::Sim;
use super::query::{self, GROUP_DEFAULT, USER_DEFAULT};
use super::reply::{Ctx, Reply};
use super::store::{Life, Store, apply_patch};
use crate::sim::tenant::PrincipalType;

pub(super) fn body_object(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| Reply::bad_request(format!("Invalid request body: {e}")))?;
    match v {
        Value::Object(mut m) => {
            m.remove("@odata.type");
            Ok(m)
        }
        _ => Err(Reply::bad_request("The request body must be a JSON object.")),
    }
}

pub(super) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(super) fn required(m: &Map<String, Value>, keys: &[&str]) -> Result<(), Reply> {
    match keys.iter().find(|k| m.get(**k).is_none_or(Value::is_null)) {
        Some(k) => Err(Reply::bad_request(format!(
            "Property '{k}' is required to create the object."
        ))),
        None => Ok(()),
    }
}

fn upn_taken(store: &Store, upn: &str, except: &str) -> bool {
    store.users.by_seq.values().any(|r| {
        r.life != Life::Purged
            && r.id() != except
            && r.props
                .get("userPrincipalName")
                .and_then(Value::as_str)
                .is_some_and(|u| u.eq_ignore_ascii_case(upn))
    })
}

pub(super) fn done(r: Result<Reply, Reply>) -> Reply {
    r.unwrap_or_else(|e| e)
}

/// The id at the end of an `@odata.id` (`https://graph.microsoft.com/v1.0/directoryObjects/{id}`).
fn odata_id(m: &Map<String, Value>) -> Result<String, Reply> {
    let url = m
        .get("@odata.id")
        .and_then(Value::as_str)
        .ok_or_else(|| Reply::bad_request("@odata.id is required."))?;
    let last = url.trim_end_matches('/').rsplit('/').next().unwrap_or(url);
    Ok(last
        .trim_start_matches("directoryObjects('")
        .trim_end_matches("')")
        .to_owned())
}

pub(super) fn create_user(sim: &Sim, _ctx: &Ctx, body: &[u8]) -> Reply {
    done((|| {
        let mut m = body_object(body)?;
        required(&m, &["displayName", "userPrincipalName"])?;
        m.remove("passwordProfile");
        let mut store = sim.store();
        let upn = m
            .get("userPrincipalName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if upn_taken(&store, &upn, "") {
            return Err(Reply::bad_request(
                "Another object with the same value for property userPrincipalName already exists.",
            ));
        }
        m.insert("id".to_owned(), json!(super::route::new_id()));
        m.entry("accountEnabled").or_insert(json!(true));
        m.entry("userType").or_insert(json!("Member"));
        m.insert("createdDateTime".to_owned(), json!(now()));
        m.retain(|k, v| !v.is_null() && !k.contains('@'));
        let rec = store.insert_user(m);
        let obj = query::project(&rec.props, None, USER_DEFAULT);
        Ok(Reply::json(StatusCode::CREATED, Value::Object(obj)))
    })())
}

pub(super) fn patch_user(sim: &Sim, id: &str, body: &[u8]) -> Reply {
    done((|| {
        let m = body_object(body)?;
        let mut store = sim.store();
        if let Some(upn) = m.get("userPrincipalName").and_then(Value::as_str)
            && upn_taken(&store, upn, id)
        {
            return Err(Reply::bad_request(
                "Another object with the same value for property userPrincipalName already exists.",
            ));
        }
        let v = store.version + 1;
        let rec = store
            .users
            .get_mut(id)
            .filter(|r| r.is_live())
            .ok_or_else(|| Reply::not_found(id))?;
        if apply_patch(rec, &m, v) {
            store.version = v;
        }
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    })())
}

/// Removes `member` from every group that holds it, logging the removal; returns those groups.
pub(super) fn leave_groups(store: &mut Store, member: &str, v: u64) -> Vec<String> {
    let mut left = Vec::new();
    for g in store.groups.by_seq.values_mut().filter(|g| g.is_live()) {
        if let Some(pos) = g.members.iter().position(|m| m.0 == member) {
            let (id, kind) = g.members.remove(pos);
            g.member_log.push((v, id, kind));
            g.version = v;
            left.push(g.id().to_owned());
        }
    }
    left
}

/// Soft delete: the user moves to deletedItems and leaves its groups.
pub(super) fn delete_user(sim: &Sim, id: &str) -> Reply {
    let mut store = sim.store();
    if store.users.live(id).is_none() {
        return Reply::not_found(id);
    }
    let v = store.bump();
    let left = leave_groups(&mut store, id, v);
    if let Some(rec) = store.users.get_mut(id) {
        rec.life = Life::SoftDeleted(now());
        rec.life_version = v;
        rec.version = v;
        rec.former_groups = left;
    }
    store.soft_deleted.push(id.to_owned());
    Reply::empty(StatusCode::NO_CONTENT)
}

pub(super) fn set_manager(sim: &Sim, id: &str, body: &[u8]) -> Reply {
    done((|| {
        let manager = odata_id(&body_object(body)?)?;
        let mut store = sim.store();
        if store.users.live(&manager).is_none() {
            return Err(Reply::not_found(&manager));
        }
        let v = store.version + 1;
        let rec = store
            .users
            .get_mut(id)
            .filter(|r| r.is_live())
            .ok_or_else(|| Reply::not_found(id))?;
        if rec.manager.as_deref() != Some(manager.as_str()) {
            rec.former_manager = rec.manager.replace(manager);
            rec.manager_version = v;
            rec.version = v;
            store.version = v;
        }
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    })())
}

pub(super) fn remove_manager(sim: &Sim, id: &str) -> Reply {
    let mut store = sim.store();
    let v = store.version + 1;
    let Some(rec) = store.users.get_mut(id).filter(|r| r.is_live() && r.manager.is_some()) else {
        return Reply::not_found(id);
    };
    rec.former_manager = rec.manager.take();
    rec.manager_version = v;
    rec.version = v;
    store.version = v;
    Reply::empty(StatusCode::NO_CONTENT)
}

pub(super) fn create_group(sim: &Sim, body: &[u8]) -> Reply {
    done((|| {
        let mut m = body_object(body)?;
        required(&m, &["displayName"])?;
        let binds: Vec<String> = m
            .remove("members@odata.bind")
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().and_then(|s| s.rsplit('/').next()).map(str::to_owned))
            .collect();
        m.insert("id".to_owned(), json!(super::route::new_id()));
        m.entry("securityEnabled").or_insert(json!(true));
        m.entry("mailEnabled").or_insert(json!(false));
        m.entry("groupTypes").or_insert(json!([]));
        m.insert("createdDateTime".to_owned(), json!(now()));
        m.retain(|k, v| !v.is_null() && !k.contains('@'));
        let mut store = sim.store();
        let kinds: Vec<(String, PrincipalType)> = binds
            .into_iter()
            .filter_map(|id| store.kind_of(&id).map(|k| (id, k)))
            .collect();
        let rec = store.insert_group(m);
        let (seq, v) = (rec.seq, rec.version);
        let id = rec.id().to_owned();
        if let Some(g) = store.groups.by_seq.get_mut(&seq) {
            for (mid, kind) in kinds {
                g.member_log.push((v, mid.clone(), kind));
                g.members.push((mid, kind));
            }
        }
        let props = store.groups.get(&id).map(|r| r.props.clone()).unwrap_or_default();
        Ok(Reply::json(
            StatusCode::CREATED,
            Value::Object(query::project(&props, None, GROUP_DEFAULT)),
        ))
    })())
}

pub(super) fn patch_group(sim: &Sim, id: &str, body: &[u8]) -> Reply {
    done((|| {
        let m = body_object(body)?;
        let mut store = sim.store();
        let v = store.version + 1;
        let rec = store
            .groups
            .get_mut(id)
            .filter(|r| r.is_live())
            .ok_or_else(|| Reply::not_found(id))?;
        if apply_patch(rec, &m, v) {
            store.version = v;
        }
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    })())
}

/// Security groups are deleted for good; Microsoft 365 groups are soft-deleted (spec §8, §14 #3):
/// they keep their members and, hidden, their app-role assignments until restored or purged.
pub(super) fn delete_group(sim: &Sim, id: &str) -> Reply {
    let mut store = sim.store();
    let Some(rec) = store.groups.live(id) else {
        return Reply::not_found(id);
    };
    let unified = rec
        .props
        .get("groupTypes")
        .and_then(Value::as_array)
        .is_some_and(|t| t.iter().any(|x| x == "Unified"));
    let v = store.bump();
    let left = leave_groups(&mut store, id, v);
    let of_group = |a: &Map<String, Value>| a.get("principalId").and_then(Value::as_str) == Some(id);
    let assignments: Vec<Map<String, Value>> = store.assignments.iter().filter(|a| of_group(a)).cloned().collect();
    store.assignments.retain(|a| !of_group(a));
    if let Some(rec) = store.groups.get_mut(id) {
        rec.life = if unified {
            Life::SoftDeleted(now())
        } else {
            Life::Purged
        };
        rec.life_version = v;
        rec.version = v;
        if unified {
            rec.former_groups = left;
            rec.former_assignments = assignments;
        }
    }
    if unified {
        store.soft_deleted.push(id.to_owned());
    }
    Reply::empty(StatusCode::NO_CONTENT)
}

pub(super) fn add_member(sim: &Sim, id: &str, body: &[u8]) -> Reply {
    done((|| {
        let member = odata_id(&body_object(body)?)?;
        let mut store = sim.store();
        let kind = store.kind_of(&member).ok_or_else(|| Reply::not_found(&member))?;
        let v = store.version + 1;
        let g = store
            .groups
            .get_mut(id)
            .filter(|r| r.is_live())
            .ok_or_else(|| Reply::not_found(id))?;
        if g.members.iter().any(|m| m.0 == member) {
            return Err(Reply::bad_request(
                "One or more added object references already exist for the following modified properties: 'members'.",
            ));
        }
        g.members.push((member.clone(), kind));
        g.member_log.push((v, member, kind));
        g.version = v;
        store.version = v;
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    })())
}

pub(super) fn remove_member(sim: &Sim, id: &str, member: &str) -> Reply {
    let mut store = sim.store();
    let v = store.version + 1;
    let Some(g) = store.groups.get_mut(id).filter(|r| r.is_live()) else {
        return Reply::not_found(id);
    };
    let Some(pos) = g.members.iter().position(|m| m.0 == member) else {
        return Reply::not_found(member);
    };
    let (mid, kind) = g.members.remove(pos);
    g.member_log.push((v, mid, kind));
    g.version = v;
    store.version = v;
    Reply::empty(StatusCode::NO_CONTENT)
}
