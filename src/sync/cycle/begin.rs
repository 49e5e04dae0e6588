//! Stage 1, begin: what the store remembers ([`Prior`]: links, permanent failures not yet
//! due), the cycle's kind, and its row in the cycles table.
//!
//! Incremental needs links, the rules the links were made under (the stored `rules` hash
//! equals [`Context::rules_hash`]), and both deltaLinks; otherwise the cycle is initial.

use std::collections::HashSet;

use super::{Context, kind_text};
use crate::store::Store;
use crate::sync::error::CycleError;
use crate::sync::op::{CycleKind, ObjectType};
use crate::sync::outcome::FailureCode;
use crate::sync::plan::Prior;

/// A cycle that has begun.
pub(crate) struct Begun {
    pub cycle_id: i64,
    /// The stored (users, groups) deltaLinks an incremental cycle reads from; `None`: initial.
    pub links: Option<(String, String)>,
    pub prior: Prior,
}

pub(super) fn begin(cx: &Context, dry_run: bool) -> Result<Begun, CycleError> {
    let prior = prior(&cx.store)?;
    let mark = |name: &str| cx.store.watermark(name).ok().flatten();
    let links = match (mark("users_delta"), mark("groups_delta")) {
        (Some(u), Some(g)) if !prior.links.is_empty() && mark("rules").as_deref() == Some(&cx.profile.rules_hash) => {
            Some((u, g))
        }
        _ => None,
    };
    let kind = if links.is_some() {
        CycleKind::Incremental
    } else {
        CycleKind::Initial
    };
    let cycle_id = cx.store.begin_cycle(kind_text(kind), dry_run)?;
    Ok(Begun { cycle_id, links, prior })
}

/// What the store remembers for a plan: every link, and the permanent failures whose retry
/// time has not come (an escrow that is due is left out, so the plan retries it).
pub(super) fn prior(store: &Store) -> Result<Prior, CycleError> {
    let mut prior = Prior::default();
    for ot in [ObjectType::User, ObjectType::Group] {
        for l in store.links(ot.as_str())? {
            prior.links.insert((ot, l.source_id), l.sys_id);
        }
    }
    let now = chrono::Utc::now();
    let due: HashSet<(String, String)> = store
        .escrows()?
        .into_iter()
        .filter(|e| {
            e.next_attempt
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t.to_utc() <= now)
        })
        .map(|e| (e.object_type, e.source_id))
        .collect();
    for (t, id, f) in store.failures()? {
        // A row this version cannot read is retried rather than skipped forever.
        let (Ok(ot), Ok(code)) = (t.parse::<ObjectType>(), f.code.parse::<FailureCode>()) else {
            continue;
        };
        if !f.transient && !due.contains(&(t, id.clone())) {
            prior.permanent_failures.insert((ot, id), (f.hash, code));
        }
    }
    Ok(prior)
}
