//! Where a delta round starts: a `$skiptoken` resumes a round, a `$deltatoken` (or `latest`)
//! starts the next one, and a plain request starts an initial round after its options are
//! checked as Graph checks them (spec §6).

use axum::http::{HeaderName, StatusCode};
use serde_json::Value;

use super::super::query::{self, GROUP_DEFAULT, GROUP_KNOWN_EXTRA, USER_KNOWN};
use super::super::reply::{Ctx, Reply};
use super::super::route::Query;
use super::super::{Sim, lock};
use super::{Kind, Round, now_secs};

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

pub(super) fn start(sim: &Sim, ctx: &Ctx, q: &Query, kind: Kind) -> Result<Round, Reply> {
    let minimal = ctx
        .headers
        .get("prefer")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.contains("return=minimal"));
    if let Some(raw) = q.get("$skiptoken") {
        return resume(sim, raw, kind);
    }
    if let Some(raw) = q.get("$deltatoken") {
        return next_round(sim, ctx, raw, kind, minimal);
    }
    initial(sim, q, kind, minimal)
}

/// A token of this collection, issued in the current epoch and within its time to live.
fn check_token(sim: &Sim, t: &Value, kind: Kind) -> Result<(), Reply> {
    let epoch = *lock(&sim.inner.delta_epoch);
    let ttl = sim.inner.options.delta_token_ttl.as_secs();
    let issued = t.get("t").and_then(Value::as_u64).unwrap_or(0);
    if t.get("e").and_then(Value::as_u64) != Some(epoch) || now_secs().saturating_sub(issued) > ttl {
        return Err(sync_state_not_found(sim));
    }
    if t.get("k").and_then(Value::as_str) != Some(kind.name()) {
        return Err(Reply::bad_request("The token does not belong to this collection."));
    }
    Ok(())
}

/// The next page of a round under way.
fn resume(sim: &Sim, raw: &str, kind: Kind) -> Result<Round, Reply> {
    let t = query::decode_token(raw).ok_or_else(|| sync_state_not_found(sim))?;
    check_token(sim, &t, kind)?;
    let num = |k: &str| t.get(k).and_then(Value::as_u64).unwrap_or(0);
    Ok(Round {
        select: t.get("s").and_then(strings),
        ids: t.get("f").and_then(strings),
        from: num("from"),
        to: num("to"),
        next: num("n"),
        member_offset: usize::try_from(num("mo")).unwrap_or(0),
        page: num("p"),
        minimal: t.get("min").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// A round of the changes since a deltaLink's version; `latest` starts with no changes.
fn next_round(sim: &Sim, ctx: &Ctx, raw: &str, kind: Kind, minimal: bool) -> Result<Round, Reply> {
    let version = sim.store().version;
    let t = if raw == "latest" {
        None
    } else {
        Some(query::decode_token(raw).ok_or_else(|| sync_state_not_found(sim))?)
    };
    if let Some(t) = &t {
        check_token(sim, t, kind)?;
        if take_gone_fault(sim) {
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
    let field = |k: &str| t.as_ref().and_then(|t| t.get(k));
    Ok(Round {
        select: field("s").and_then(strings),
        ids: field("f").and_then(strings),
        from: field("v").and_then(Value::as_u64).unwrap_or(version),
        to: version,
        next: if raw == "latest" { u64::MAX } else { 0 },
        member_offset: 0,
        page: 0,
        minimal,
    })
}

fn take_gone_fault(sim: &Sim) -> bool {
    let mut f = sim.faults();
    let gone = f.delta_gone_next > 0;
    f.delta_gone_next = f.delta_gone_next.saturating_sub(1);
    gone
}

/// An initial round, after the query options Graph refuses on delta.
fn initial(sim: &Sim, q: &Query, kind: Kind, minimal: bool) -> Result<Round, Reply> {
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
        Some(raw) => Some(id_filter(raw)?),
    };
    Ok(Round {
        select,
        ids,
        from: 0,
        to: sim.store().version,
        next: 0,
        member_offset: 0,
        page: 0,
        minimal,
    })
}

fn id_filter(raw: &str) -> Result<Vec<String>, Reply> {
    super::super::filter::parse(raw)
        .ok()
        .and_then(|f| f.ids())
        .filter(|ids| ids.len() <= 50)
        .ok_or_else(|| {
            Reply::error(
                StatusCode::BAD_REQUEST,
                "Request_UnsupportedQuery",
                "Delta queries support only $filter=id eq '…' joined with or, at most 50 ids.",
            )
        })
}
