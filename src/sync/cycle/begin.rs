//! Stage 1, begin: what the store remembers ([`Prior`]: links, permanent failures not yet
//! due), the cycle's kind, and its row in the cycles table (a real cycle's only).
//!
//! Incremental needs links, the rules the links were made under (the stored `rules` hash
//! equals [`Context::rules_hash`]), and both deltaLinks; otherwise the cycle is initial. An
//! incremental cycle becomes a reconciliation — both sides read whole, the deltaLinks not
//! used — when one is asked for or `reconcile_hours` have passed since the last full read
//! (`crate::sync::reconcile`); it says so as [`SyncEvent::FullCycle`] and in the log file.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::Context;
use crate::store::Store;
use crate::sync::error::CycleError;
use crate::sync::event::SyncEvent;
use crate::sync::op::{CycleKind, ObjectType};
use crate::sync::outcome::FailureCode;
use crate::sync::plan::Prior;
use crate::sync::reconcile::{self, Next};

/// What a cycle is asked to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ask {
    /// What the state allows: the changes since the deltaLinks, unless the cycle must be
    /// initial or a reconciliation is due.
    Due,
    /// Both sides whole now, whatever `reconcile_hours` says (`Command::Reconcile`).
    Reconcile,
    /// Nothing: a shown plan is applied (no reconciliation however due).
    Nothing,
}

/// A cycle that has begun.
pub(crate) struct Begun {
    pub cycle_id: i64,
    pub kind: CycleKind,
    /// When it began: a full read's `reconciled` mark.
    pub started: DateTime<Utc>,
    /// The stored (users, groups) deltaLinks an incremental cycle reads from; `None`: both
    /// sides are read whole.
    pub links: Option<(String, String)>,
    pub prior: Prior,
}

impl Begun {
    /// The cycle's duration so far, reads included: what its row and the console call its
    /// duration (the acceptance pass saw "0.4 s" for a cycle that ran 7.1 s, the reads left out).
    pub(crate) fn elapsed_ms(&self) -> u64 {
        u64::try_from((Utc::now() - self.started).num_milliseconds()).unwrap_or(0)
    }
}

pub(super) fn begin(cx: &Context, dry_run: bool, ask: Ask) -> Result<Begun, CycleError> {
    let prior = prior(&cx.store)?;
    let started = Utc::now();
    let mark = |name: &str| cx.store.watermark(name).ok().flatten();
    let mut links = match (mark("users_delta"), mark("groups_delta")) {
        (Some(u), Some(g)) if !prior.links.is_empty() && mark("rules").as_deref() == Some(&cx.profile.rules_hash) => {
            Some((u, g))
        }
        _ => None,
    };
    let mut kind = if links.is_some() {
        CycleKind::Incremental
    } else {
        CycleKind::Initial
    };
    let why = match ask {
        _ if kind != CycleKind::Incremental => None,
        Ask::Reconcile => Some("asked for".to_owned()),
        Ask::Due => due(cx, started)?,
        Ask::Nothing => None,
    };
    if why.is_some() {
        kind = CycleKind::Reconciliation;
        links = None;
    }
    // A dry run is not a cycle: it plans as the next cycle would (its id, for the intents it
    // must read back) and leaves no row, so cycle numbers count real cycles only (issue 14).
    let cycle_id = if dry_run {
        cx.store.next_cycle_id()?
    } else {
        cx.store.begin_cycle(kind, false)?
    };
    if let Some(why) = why {
        let reason = format!(
            "a reconciliation ({why}): this cycle reads both sides whole and corrects what no delta reports (rows changed in ServiceNow by hand, restores Graph left out, links whose rows vanished)"
        );
        tracing::info!(cycle_id, "{reason}");
        cx.emit(SyncEvent::FullCycle { cycle_id, reason });
    }
    Ok(Begun {
        cycle_id,
        kind,
        started,
        links,
        prior,
    })
}

/// Why a reconciliation is due now, in words; `None` when it is not.
fn due(cx: &Context, now: DateTime<Utc>) -> Result<Option<String>, CycleError> {
    let hours = cx.profile.provisioning.reconcile_hours;
    let last = reconcile::last(&cx.store)?;
    if !reconcile::due(last, hours, now) {
        return Ok(None);
    }
    Ok(Some(match (reconcile::next(last, hours), last) {
        (Next::At(_), Some(t)) => format!(
            "the last full read of both sides began {}, more than reconcile_hours = {hours} ago",
            t.format("%Y-%m-%d %H:%M UTC")
        ),
        _ => format!("none is recorded yet; reconcile_hours = {hours}"),
    }))
}

/// What the store remembers for a plan: every link, and the permanent failures whose retry
/// time has not come (an escrow that is due is left out, so the plan retries it).
pub(super) fn prior(store: &Store) -> Result<Prior, CycleError> {
    let mut prior = Prior::default();
    for ot in [ObjectType::User, ObjectType::Group] {
        for l in store.links(ot)? {
            prior.links.insert((ot, l.source_id), l.sys_id);
        }
    }
    let now = chrono::Utc::now();
    let due: HashSet<(ObjectType, String)> = store
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
    let names: HashMap<(ObjectType, String), String> = store
        .escrows()?
        .into_iter()
        .map(|e| ((e.object_type, e.source_id), e.source_name))
        .collect();
    let name = |key: &(ObjectType, String)| names.get(key).cloned().unwrap_or_default();
    for v in store.plan_failures()? {
        if let Ok(code) = v.value.parse::<FailureCode>() {
            let key = (v.object_type, v.source_id);
            let named = name(&key);
            prior.failing.insert(key, (code, named));
        }
    }
    for (ot, id, f) in store.failures()? {
        // A row this version cannot read is retried rather than skipped forever.
        let Ok(code) = f.code.parse::<FailureCode>() else {
            continue;
        };
        let key = (ot, id);
        let named = name(&key);
        prior.failing.insert(key.clone(), (code, named));
        if !f.transient && !due.contains(&key) {
            prior.permanent_failures.insert(key, (f.hash, code));
        }
    }
    Ok(prior)
}
