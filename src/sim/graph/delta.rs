//! `users/delta` and `groups/delta` (spec §6): a round pages through objects changed since the
//! token's version, ending in a deltaLink whose token holds the version at the round's start, so
//! a change made during a round is reported again next round (a legal duplicate) and never lost.
//!
//! Tokens are opaque base64url JSON: `k` kind, `s` `$select`, `f` id filter, `v`/`from`/`to`
//! versions, `n`/`mo` the page cursor (next seq, member offset), `p` page number, `e` the delta
//! epoch (bumped by `expire_delta_tokens`), `t` issue time (for the 7-day TTL).

use axum::http::{HeaderName, StatusCode};
use serde_json::{Map, Value, json};

use super::query::{self, GROUP_DEFAULT, GROUP_KNOWN_EXTRA, USER_DEFAULT, USER_KNOWN};
use super::reply::{Ctx, Reply};
use super::route::Query;
use super::store::{Life, Rec};
use super::{Sim, lock};
use crate::sim::tenant::PrincipalType;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Users,
    Groups,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Users => "users",
            Kind::Groups => "groups",
        }
    }
}

/// Where a round stands.
struct Round {
    select: Option<Vec<String>>,
    ids: Option<Vec<String>>,
    from: u64,
    to: u64,
    next: u64,
    member_offset: usize,
    page: u64,
    minimal: bool,
}

pub(super) fn users(sim: &Sim, ctx: &Ctx, q: &Query) -> Reply {
    run(sim, ctx, q, Kind::Users).unwrap_or_else(|e| e)
}

pub(super) fn groups(sim: &Sim, ctx: &Ctx, q: &Query) -> Reply {
    run(sim, ctx, q, Kind::Groups).unwrap_or_else(|e| e)
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn sync_state_not_found(sim: &Sim) -> Reply {
    sim.stats_mut().delta_resets += 1;
    Reply::error(
        StatusCode::BAD_REQUEST,
        "syncStateNotFound",
        "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
    )
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
}

fn initial_url(ctx: &Ctx, kind: Kind, select: Option<&[String]>) -> String {
    let path = format!("/v1.0/{}/delta", kind.name());
    match select {
        Some(s) => query::link(ctx, &path, &[("$select", &s.join(","))]),
        None => query::link(ctx, &path, &[]),
    }
}

fn start(sim: &Sim, ctx: &Ctx, q: &Query, kind: Kind) -> Result<Round, Reply> {
    let epoch = *lock(&sim.inner.delta_epoch);
    let version = sim.store().version;
    let minimal = ctx
        .headers
        .get("prefer")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.contains("return=minimal"));
    let token_state = |t: &Value| -> Result<(), Reply> {
        let ttl = sim.inner.options.delta_token_ttl.as_secs();
        let issued = t.get("t").and_then(Value::as_u64).unwrap_or(0);
        if t.get("e").and_then(Value::as_u64) != Some(epoch) || now_secs().saturating_sub(issued) > ttl {
            return Err(sync_state_not_found(sim));
        }
        if t.get("k").and_then(Value::as_str) != Some(kind.name()) {
            return Err(Reply::bad_request("The token does not belong to this collection."));
        }
        Ok(())
    };
    if let Some(raw) = q.get("$skiptoken") {
        let t = query::decode_token(raw).ok_or_else(|| sync_state_not_found(sim))?;
        token_state(&t)?;
        let num = |k: &str| t.get(k).and_then(Value::as_u64).unwrap_or(0);
        return Ok(Round {
            select: t.get("s").and_then(strings),
            ids: t.get("f").and_then(strings),
            from: num("from"),
            to: num("to"),
            next: num("n"),
            member_offset: num("mo") as usize,
            page: num("p"),
            minimal: t.get("min").and_then(Value::as_bool).unwrap_or(false),
        });
    }
    if let Some(raw) = q.get("$deltatoken") {
        let t = if raw == "latest" {
            None
        } else {
            Some(query::decode_token(raw).ok_or_else(|| sync_state_not_found(sim))?)
        };
        if let Some(t) = &t {
            token_state(t)?;
            let gone = {
                let mut f = sim.faults();
                let gone = f.delta_gone_next > 0;
                f.delta_gone_next = f.delta_gone_next.saturating_sub(1);
                gone
            };
            if gone {
                // A synchronization reset: 410 with a Location of the initial query (spec §6.3).
                sim.stats_mut().delta_resets += 1;
                let select = t.get("s").and_then(strings);
                return Err(Reply::error(
                    StatusCode::GONE,
                    "resyncRequired",
                    "The delta token is no longer valid, and the app must reset the sync state.",
                )
                .header(
                    HeaderName::from_static("location"),
                    initial_url(ctx, kind, select.as_deref()),
                ));
            }
        }
        let from = t
            .as_ref()
            .and_then(|t| t.get("v"))
            .and_then(Value::as_u64)
            .unwrap_or(version);
        return Ok(Round {
            select: t.as_ref().and_then(|t| t.get("s")).and_then(strings),
            ids: t.as_ref().and_then(|t| t.get("f")).and_then(strings),
            from,
            to: version,
            next: if raw == "latest" { u64::MAX } else { 0 },
            member_offset: 0,
            page: 0,
            minimal,
        });
    }
    for option in ["$top", "$orderby", "$expand"] {
        if q.contains_key(option) {
            return Err(Reply::error(
                StatusCode::BAD_REQUEST,
                "Request_UnsupportedQuery",
                format!("The query option {option} is not supported on delta queries."),
            ));
        }
    }
    let select = match kind {
        Kind::Users => {
            if let Some(refused) = query::delta_select_refusal(q) {
                return Err(refused);
            }
            query::select(q, USER_KNOWN, &[], "user")?
        }
        Kind::Groups => query::select(q, GROUP_DEFAULT, GROUP_KNOWN_EXTRA, "group")?,
    };
    let ids = match q.get("$filter") {
        None => None,
        Some(raw) => {
            let ids = super::filter::parse(raw)
                .ok()
                .and_then(|f| f.ids())
                .filter(|ids| ids.len() <= 50);
            Some(ids.ok_or_else(|| {
                Reply::error(
                    StatusCode::BAD_REQUEST,
                    "Request_UnsupportedQuery",
                    "Delta queries support only $filter=id eq '…' joined with or, at most 50 ids.",
                )
            })?)
        }
    };
    Ok(Round {
        select,
        ids,
        from: 0,
        to: version,
        next: 0,
        member_offset: 0,
        page: 0,
        minimal,
    })
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

fn run(sim: &Sim, ctx: &Ctx, q: &Query, kind: Kind) -> Result<Reply, Reply> {
    let mut round = start(sim, ctx, q, kind)?;
    let (empty_pages, duplicates, page_size, hide_restores) = {
        let f = sim.faults();
        let size = f.delta_page_size.unwrap_or(sim.inner.options.delta_page_size).max(1);
        (
            f.empty_delta_pages,
            f.duplicate_delta_items,
            size,
            f.omit_restored_with_select,
        )
    };
    let members_budget = sim.inner.options.delta_members_per_page.max(1);
    let mut value: Vec<Value> = Vec::new();
    let mut cursor: Option<(u64, usize)> = None;
    // Graph sends empty pages with a nextLink during delta rounds; injected on even pages.
    let inject_empty = empty_pages && round.page % 2 == 0 && round.next != u64::MAX;
    if inject_empty {
        cursor = Some((round.next, round.member_offset));
    } else {
        let store = sim.store();
        let objects = match kind {
            Kind::Users => &store.users,
            Kind::Groups => &store.groups,
        };
        for rec in objects.by_seq.range(round.next..).map(|(_, r)| r) {
            if round.ids.as_ref().is_some_and(|ids| !ids.iter().any(|i| i == rec.id()))
                || !changed(rec, &round, kind, hide_restores)
            {
                continue;
            }
            if value.len() == page_size {
                cursor = Some((rec.seq, 0));
                break;
            }
            let mut obj = match rec.life {
                Life::SoftDeleted(_) => json!({"id": rec.id(), "@removed": {"reason": "changed"}}),
                Life::Purged => json!({"id": rec.id(), "@removed": {"reason": "deleted"}}),
                Life::Live => Value::Object(match kind {
                    Kind::Users => properties(rec, &round, USER_DEFAULT),
                    Kind::Groups => properties(
                        rec,
                        &round,
                        &[
                            "id",
                            "displayName",
                            "description",
                            "securityEnabled",
                            "mailEnabled",
                            "groupTypes",
                        ],
                    ),
                }),
            };
            if rec.is_live() && kind == Kind::Users && selected(&round, "manager") && round.select.is_some() {
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
            if rec.is_live() && kind == Kind::Groups && selected(&round, "members") {
                let changes = member_changes(rec, &round);
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
                    cursor = Some((rec.seq, end));
                    break;
                }
                continue;
            }
            value.push(obj);
        }
    }
    if duplicates && let Some(first) = value.first().cloned() {
        value.push(first);
    }
    let epoch = *lock(&sim.inner.delta_epoch);
    let path = format!("/v1.0/{}/delta", kind.name());
    let mut body = Map::new();
    body.insert(
        "@odata.context".to_owned(),
        json!(query::context(ctx, kind.name(), None)),
    );
    let base = json!({"k": kind.name(), "s": round.select, "f": round.ids, "e": epoch, "t": now_secs()});
    match cursor {
        Some((next, mo)) => {
            let mut t = base;
            if let Some(o) = t.as_object_mut() {
                for (k, v) in [("from", json!(round.from)), ("to", json!(round.to)), ("n", json!(next))] {
                    o.insert(k.to_owned(), v);
                }
                o.insert("mo".to_owned(), json!(mo));
                o.insert("p".to_owned(), json!(round.page + 1));
                o.insert("min".to_owned(), json!(round.minimal));
            }
            let link = query::link(ctx, &path, &[("$skiptoken", &query::encode_token(&t))]);
            body.insert("@odata.nextLink".to_owned(), json!(link));
        }
        None => {
            let mut t = base;
            if let Some(o) = t.as_object_mut() {
                o.insert("v".to_owned(), json!(round.to));
            }
            let link = query::link(ctx, &path, &[("$deltatoken", &query::encode_token(&t))]);
            body.insert("@odata.deltaLink".to_owned(), json!(link));
        }
    }
    body.insert("value".to_owned(), Value::Array(value));
    Ok(Reply::ok(Value::Object(body)))
}
