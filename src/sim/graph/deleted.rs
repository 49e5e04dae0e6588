//! The recycle bin, `directory/deletedItems` (spec §8, §14 #3): soft-deleted users and
//! Microsoft 365 groups, listed by type cast, read one by one, restored with the same id, and
//! purged by hand or after the retention (30 days). A restore brings back the groups a user or
//! group left, and a group's hidden app-role assignments. Delta reports a soft delete as
//! `@removed` `changed`, a purge as `deleted`, and a restore as the plain object again.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::Sim;
use super::query::{self, GROUP_DEFAULT, GROUP_KNOWN_EXTRA, USER_DEFAULT, USER_KNOWN};
use super::reply::{Ctx, Reply};
use super::route::Query;
use super::store::{Life, Objects, Rec, Store};
use crate::sim::tenant::PrincipalType;

/// Which collection a cast or an id names.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    User,
    Group,
}

impl Kind {
    /// The kind of `directory/deletedItems/{cast}`, e.g. `microsoft.graph.user`, `graph.group`.
    pub(super) fn of_cast(cast: &str) -> Option<Kind> {
        if cast.ends_with("graph.user") {
            Some(Kind::User)
        } else if cast.ends_with("graph.group") {
            Some(Kind::Group)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
        }
    }

    fn objects(self, store: &Store) -> &Objects {
        match self {
            Kind::User => &store.users,
            Kind::Group => &store.groups,
        }
    }

    fn objects_mut(self, store: &mut Store) -> &mut Objects {
        match self {
            Kind::User => &mut store.users,
            Kind::Group => &mut store.groups,
        }
    }

    fn principal(self) -> PrincipalType {
        match self {
            Kind::User => PrincipalType::User,
            Kind::Group => PrincipalType::Group,
        }
    }
}

fn deleted_at(rec: &Rec) -> Option<&str> {
    match &rec.life {
        Life::SoftDeleted(at) => Some(at),
        _ => None,
    }
}

/// A soft-deleted object's kind, by id.
fn find(store: &Store, id: &str) -> Option<Kind> {
    [Kind::User, Kind::Group]
        .into_iter()
        .find(|k| k.objects(store).get(id).is_some_and(|r| deleted_at(r).is_some()))
}

fn render(rec: &Rec, kind: Kind, select: Option<&[String]>) -> Map<String, Value> {
    let defaults = if kind == Kind::User {
        USER_DEFAULT
    } else {
        GROUP_DEFAULT
    };
    let mut obj = query::project(&rec.props, select, defaults);
    if let Some(at) = deleted_at(rec) {
        obj.insert("deletedDateTime".to_owned(), json!(at));
    }
    obj.insert(
        "@odata.type".to_owned(),
        json!(format!("#microsoft.graph.{}", kind.name())),
    );
    obj
}

/// `GET /directory/deletedItems/microsoft.graph.user|group`.
pub(super) fn list(sim: &Sim, ctx: &Ctx, q: &Query, kind: Kind) -> Reply {
    let select = match kind {
        Kind::User => query::select(q, USER_KNOWN, &[], "user"),
        Kind::Group => query::select(q, GROUP_DEFAULT, GROUP_KNOWN_EXTRA, "group"),
    };
    let (select, top) = match (select, query::top(q)) {
        (Ok(s), Ok(t)) => (s, t),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let store = sim.store();
    let items: Vec<(u64, Map<String, Value>)> = kind
        .objects(&store)
        .by_seq
        .values()
        .filter(|r| deleted_at(r).is_some())
        .map(|r| (r.seq, render(r, kind, select.as_deref())))
        .collect();
    drop(store);
    let what = format!("directory/deletedItems/microsoft.graph.{}", kind.name());
    let context = query::context(ctx, &what, select.as_deref());
    query::page(ctx, q, context, top, items.into_iter(), |m| m)
}

/// `GET /directory/deletedItems/{id}`.
pub(super) fn item(sim: &Sim, id: &str) -> Reply {
    let store = sim.store();
    match find(&store, id).and_then(|k| Some((k, k.objects(&store).get(id)?))) {
        Some((kind, rec)) => Reply::ok(Value::Object(render(rec, kind, None))),
        None => Reply::not_found(id),
    }
}

/// `POST /directory/deletedItems/{id}/restore`: the object is live again, with the same id.
pub(super) fn restore(sim: &Sim, id: &str) -> Reply {
    let mut store = sim.store();
    let Some(kind) = find(&store, id) else {
        return Reply::not_found(id);
    };
    let v = store.bump();
    let (groups, assignments) = match kind.objects_mut(&mut store).get_mut(id) {
        Some(rec) => {
            rec.life = Life::Live;
            rec.life_version = v;
            rec.restored_version = v;
            rec.version = v;
            (
                std::mem::take(&mut rec.former_groups),
                std::mem::take(&mut rec.former_assignments),
            )
        }
        None => return Reply::not_found(id),
    };
    for gid in groups {
        if let Some(g) = store.groups.get_mut(&gid).filter(|g| g.is_live()) {
            g.members.push((id.to_owned(), kind.principal()));
            g.member_log.push((v, id.to_owned(), kind.principal()));
            g.version = v;
        }
    }
    store.assignments.extend(assignments);
    store.soft_deleted.retain(|s| s != id);
    match kind.objects(&store).get(id) {
        Some(rec) => Reply::ok(Value::Object(render(rec, kind, None))),
        None => Reply::not_found(id),
    }
}

/// `DELETE /directory/deletedItems/{id}`: gone for good.
pub(super) fn purge(sim: &Sim, id: &str) -> Reply {
    let mut store = sim.store();
    match find(&store, id) {
        Some(kind) => {
            purge_locked(&mut store, kind, id);
            Reply::empty(StatusCode::NO_CONTENT)
        }
        None => Reply::not_found(id),
    }
}

/// The 30-day clock of deletedItems: purges what was deleted longer than `retention` ago.
pub(super) fn purge_expired(sim: &Sim, retention: std::time::Duration) {
    let mut store = sim.store();
    let cutoff = chrono::Utc::now() - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
    let expired: Vec<(Kind, String)> = store
        .soft_deleted
        .iter()
        .filter_map(|id| {
            let kind = find(&store, id)?;
            let at = kind.objects(&store).get(id).and_then(deleted_at)?;
            chrono::DateTime::parse_from_rfc3339(at)
                .is_ok_and(|t| t <= cutoff)
                .then(|| (kind, id.clone()))
        })
        .collect();
    for (kind, id) in expired {
        purge_locked(&mut store, kind, &id);
    }
}

fn purge_locked(store: &mut Store, kind: Kind, id: &str) {
    let v = store.bump();
    if let Some(rec) = kind.objects_mut(store).get_mut(id) {
        rec.life = Life::Purged;
        rec.life_version = v;
        rec.version = v;
        rec.former_assignments.clear();
    }
    store.soft_deleted.retain(|s| s != id);
    store
        .assignments
        .retain(|a| a.get("principalId").and_then(Value::as_str) != Some(id));
}
