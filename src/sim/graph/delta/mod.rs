//! `users/delta` and `groups/delta` (spec §6): a round pages through objects changed since the
//! token's version, ending in a deltaLink whose token holds the version at the round's start, so
//! a change made during a round is reported again next round (a legal duplicate) and never lost.
//!
//! Tokens are opaque base64url JSON: `k` kind, `s` `$select`, `f` id filter, `v`/`from`/`to`
//! versions, `n`/`mo` the page cursor (next seq, member offset), `p` page number, `e` the delta
//! epoch (bumped by `expire_delta_tokens`), `t` issue time (for the 7-day TTL).

mod round;

use serde_json::{Map, Value, json};

use super::query::{self, USER_DEFAULT};
use super::reply::{Ctx, Reply};
use super::route::Query;
use super::store::{Life, Rec};
use super::{Sim, lock};
use crate::sim::tenant::PrincipalType;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Users,
    Groups,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Users => "users",
            Kind::Groups => "groups",
        }
    }
}

/// Where a round stands.
pub(super) struct Round {
    pub(super) select: Option<Vec<String>>,
    pub(super) ids: Option<Vec<String>>,
    pub(super) from: u64,
    pub(super) to: u64,
    pub(super) next: u64,
    pub(super) member_offset: usize,
    pub(super) page: u64,
    pub(super) minimal: bool,
}

pub(super) fn users(sim: &Sim, ctx: &Ctx, q: &Query) -> Reply {
    run(sim, ctx, q, Kind::Users).unwrap_or_else(|e| e)
}

pub(super) fn groups(sim: &Sim, ctx: &Ctx, q: &Query) -> Reply {
    run(sim, ctx, q, Kind::Groups).unwrap_or_else(|e| e)
}

pub(super) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn selected(round: &Round, name: &str) -> bool {
    round.select.as_ref().is_none_or(|s| s.iter().any(|x| x == name))
}

/// Whether a record has a change since `from` that this selection tracks. With
/// `hide_restores`, a user's restore from the recycle bin is no change to a `$select` round
/// (real Graph leaves such users out, spec §14 #1).
fn changed(rec: &Rec, round: &Round, kind: Kind, hide_restores: bool) -> bool {
    if round.from == 0 {
        return rec.is_live();
    }
    if rec.version <= round.from {
        return false;
    }
    let hidden_restore = hide_restores
        && kind == Kind::Users
        && round.select.is_some()
        && rec.is_live()
        && rec.restored_version > round.from
        && rec.life_version == rec.restored_version;
    if rec.life_version > round.from && !hidden_restore {
        return true;
    }
    let props = rec
        .prop_versions
        .iter()
        .any(|(k, v)| *v > round.from && selected(round, k));
    match kind {
        Kind::Users => props || (selected(round, "manager") && rec.manager_version > round.from),
        Kind::Groups => props || (selected(round, "members") && rec.member_log.iter().any(|e| e.0 > round.from)),
    }
}

fn reference(id: &str, kind: PrincipalType, removed: bool) -> Value {
    let t = match kind {
        PrincipalType::User => "#microsoft.graph.user",
        PrincipalType::Group => "#microsoft.graph.group",
        PrincipalType::ServicePrincipal => "#microsoft.graph.servicePrincipal",
    };
    if removed {
        json!({"@odata.type": t, "id": id, "@removed": {"reason": "deleted"}})
    } else {
        json!({"@odata.type": t, "id": id})
    }
}

/// The object's properties as delta reports them: unset ones omitted, cleared ones `null`;
/// with `Prefer: return=minimal`, only those changed since `from`.
fn properties(rec: &Rec, round: &Round, defaults: &[&str]) -> Map<String, Value> {
    let fresh = rec.life_version > round.from;
    let mut out = Map::new();
    out.insert("id".to_owned(), json!(rec.id()));
    let names: Vec<&str> = match &round.select {
        Some(s) => s.iter().map(String::as_str).collect(),
        None => defaults.to_vec(),
    };
    for name in names {
        let Some(v) = rec.prop_versions.get(name) else { continue };
        if round.minimal && !fresh && *v <= round.from {
            continue;
        }
        out.insert(name.to_owned(), rec.props.get(name).cloned().unwrap_or(Value::Null));
    }
    out
}

/// The member changes of a group since `from`, in order: adds plain, removals with `@removed`.
fn member_changes(rec: &Rec, round: &Round) -> Vec<Value> {
    if round.from == 0 || rec.life_version > round.from {
        return rec.members.iter().map(|(id, k)| reference(id, *k, false)).collect();
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (_, id, kind) in rec.member_log.iter().filter(|e| e.0 > round.from) {
        if seen.insert(id.as_str()) {
            let present = rec.members.iter().any(|m| &m.0 == id);
            out.push(reference(id, *kind, !present));
        }
    }
    out
}

/// How the faults switched on shape a page.
struct PageFaults {
    empty_pages: bool,
    duplicates: bool,
    page_size: usize,
    hide_restores: bool,
    manager_apart: bool,
}

fn run(sim: &Sim, ctx: &Ctx, q: &Query, kind: Kind) -> Result<Reply, Reply> {
    let mut round = round::start(sim, ctx, q, kind)?;
    let faults = {
        let f = sim.faults();
        PageFaults {
            empty_pages: f.empty_delta_pages,
            duplicates: f.duplicate_delta_items,
            page_size: f.delta_page_size.unwrap_or(sim.inner.options.delta_page_size).max(1),
            hide_restores: f.omit_restored_with_select,
            manager_apart: f.manager_delta_apart,
        }
    };
    // Graph sends empty pages with a nextLink during delta rounds; injected on even pages.
    let inject_empty = faults.empty_pages && round.page % 2 == 0 && round.next != u64::MAX;
    let (mut value, cursor) = if inject_empty {
        (Vec::new(), Some((round.next, round.member_offset)))
    } else {
        page(sim, &mut round, kind, &faults)
    };
    if faults.duplicates
        && let Some(first) = value.first().cloned()
    {
        value.push(first);
    }
    let epoch = *lock(&sim.inner.delta_epoch);
    let mut body = page_body(ctx, kind, &round, cursor, epoch, value);
    if cut_short(sim, round.page + 1)
        && let Some(o) = body.as_object_mut()
    {
        o.remove("@odata.nextLink");
        o.remove("@odata.deltaLink");
    }
    Ok(Reply::ok(body))
}

/// Whether page `page` (1-based) of its round loses its link (`delta_page_without_link`),
/// which happens once.
fn cut_short(sim: &Sim, page: u64) -> bool {
    let mut f = sim.faults();
    let cut = f.delta_page_without_link == Some(page);
    if cut {
        f.delta_page_without_link = None;
    }
    cut
}

/// One page of changed objects, and where the next one starts (`None`: the round is over).
fn page(sim: &Sim, round: &mut Round, kind: Kind, faults: &PageFaults) -> (Vec<Value>, Option<(u64, usize)>) {
    let members_budget = sim.inner.options.delta_members_per_page.max(1);
    let mut value: Vec<Value> = Vec::new();
    let store = sim.store();
    let objects = match kind {
        Kind::Users => &store.users,
        Kind::Groups => &store.groups,
    };
    for rec in objects.by_seq.range(round.next..).map(|(_, r)| r) {
        if round.ids.as_ref().is_some_and(|ids| !ids.iter().any(|i| i == rec.id()))
            || !changed(rec, round, kind, faults.hide_restores)
        {
            continue;
        }
        if value.len() == faults.page_size {
            return (value, Some((rec.seq, 0)));
        }
        let mut obj = object(rec, round, kind);
        if rec.is_live() && kind == Kind::Groups && selected(round, "members") {
            let changes = member_changes(rec, round);
            let start = round.member_offset.min(changes.len());
            round.member_offset = 0;
            let end = (start + members_budget).min(changes.len());
            if !changes.is_empty()
                && let Some(o) = obj.as_object_mut()
            {
                o.insert("members@delta".to_owned(), Value::Array(changes[start..end].to_vec()));
            }
            value.push(obj);
            if end < changes.len() {
                // A large group fills the page and comes back on the next one with the
                // next slice of members@delta (spec §6.4).
                return (value, Some((rec.seq, end)));
            }
            continue;
        }
        value.push(obj);
        if faults.manager_apart
            && let Some(removal) = former_manager_apart(rec, round, kind)
        {
            value.push(removal);
        }
    }
    (value, None)
}

/// With `manager_delta_apart`: the removal of a user's former manager, as an item of its own,
/// when its manager changed from one user to another since `from`.
fn former_manager_apart(rec: &Rec, round: &Round, kind: Kind) -> Option<Value> {
    let changed = kind == Kind::Users
        && rec.is_live()
        && round.from > 0
        && rec.manager_version > round.from
        && selected(round, "manager")
        && round.select.is_some();
    let former = rec
        .former_manager
        .as_ref()
        .filter(|f| changed && rec.manager.as_ref() != Some(*f))?;
    rec.manager.as_ref()?;
    Some(json!({"id": rec.id(), "manager@delta": [reference(former, PrincipalType::User, true)]}))
}

/// An object as a delta page shows it: removed, or its properties (and `manager@delta`).
fn object(rec: &Rec, round: &Round, kind: Kind) -> Value {
    let mut obj = match rec.life {
        Life::SoftDeleted(_) => json!({"id": rec.id(), "@removed": {"reason": "changed"}}),
        Life::Purged => json!({"id": rec.id(), "@removed": {"reason": "deleted"}}),
        Life::Live => Value::Object(match kind {
            Kind::Users => properties(rec, round, USER_DEFAULT),
            Kind::Groups => properties(rec, round, GROUP_DELTA_DEFAULT),
        }),
    };
    if rec.is_live() && kind == Kind::Users && selected(round, "manager") && round.select.is_some() {
        let manager = if round.from == 0 || rec.manager_version > round.from {
            match (&rec.manager, &rec.former_manager) {
                (Some(m), _) => Some(vec![reference(m, PrincipalType::User, false)]),
                (None, Some(f)) if round.from > 0 => Some(vec![reference(f, PrincipalType::User, true)]),
                _ => None,
            }
        } else {
            None
        };
        if let (Some(m), Some(o)) = (manager, obj.as_object_mut()) {
            o.insert("manager@delta".to_owned(), Value::Array(m));
        }
    }
    obj
}

const GROUP_DELTA_DEFAULT: &[&str] = &[
    "id",
    "displayName",
    "description",
    "securityEnabled",
    "mailEnabled",
    "groupTypes",
];

/// The page's body: its objects and a nextLink (mid-round) or a deltaLink (round over).
fn page_body(
    ctx: &Ctx,
    kind: Kind,
    round: &Round,
    cursor: Option<(u64, usize)>,
    epoch: u64,
    value: Vec<Value>,
) -> Value {
    let path = format!("/v1.0/{}/delta", kind.name());
    let mut body = Map::new();
    body.insert(
        "@odata.context".to_owned(),
        json!(query::context(ctx, kind.name(), None)),
    );
    let mut t = json!({"k": kind.name(), "s": round.select, "f": round.ids, "e": epoch, "t": now_secs()});
    if let Some(o) = t.as_object_mut() {
        let fields = match cursor {
            Some((next, mo)) => vec![
                ("from", json!(round.from)),
                ("to", json!(round.to)),
                ("n", json!(next)),
                ("mo", json!(mo)),
                ("p", json!(round.page + 1)),
                ("min", json!(round.minimal)),
            ],
            None => vec![("v", json!(round.to))],
        };
        for (k, v) in fields {
            o.insert(k.to_owned(), v);
        }
    }
    let (name, param) = match cursor {
        Some(_) => ("@odata.nextLink", "$skiptoken"),
        None => ("@odata.deltaLink", "$deltatoken"),
    };
    let link = query::link(ctx, &path, &[(param, &query::encode_token(&t))]);
    body.insert(name.to_owned(), json!(link));
    body.insert("value".to_owned(), Value::Array(value));
    Value::Object(body)
}
