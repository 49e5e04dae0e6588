//! Stage 3, read target: after a full source read, the managed tables in bulk pages; after an
//! incremental one, only the rows of the touched objects (`crate::sync::target::touched`).
//!
//! Touched, besides what the delta rounds reported: users and groups whose assignment differs
//! from what the last applied cycle saw (assignments are in no delta), and the retry queue —
//! the objects that failed in the last plan (a missing reference, a duplicate, a value too
//! long: planned again each cycle, so they recover once the data they lacked exists) and the
//! objects whose writes failed (a transient failure is retried next cycle; a permanent one as
//! soon as what it lacked may have changed, `plan` skipping it while its hash is unchanged).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::Context;
use crate::store::Store;
use crate::sync::error::CycleError;
use crate::sync::op::CycleKind;
use crate::sync::plan::{Prior, Source, Target};
use crate::sync::source::SourceRead;
use crate::sync::target::{self, touched};

/// What the reads found, ready to plan.
pub(super) struct Read {
    pub source: Source,
    pub target: Target,
    pub kind: CycleKind,
    /// The clock of this cycle's plan.
    pub now: DateTime<Utc>,
    /// The assignments as read this cycle.
    pub assignments: Vec<(String, String)>,
    /// The objects the last applied cycle's plan failed (`eu:<id>`/`eg:<id>` → code).
    pub failed_before: Vec<(String, String)>,
    pub users_link: Option<String>,
    pub groups_link: Option<String>,
}

pub(super) async fn read_target(cx: &Context, prior: &Prior, read: SourceRead) -> Result<Read, CycleError> {
    let now = Utc::now();
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
    let mut failed_before = Vec::new();
    let (source, target, kind) = if full {
        (
            source,
            target::read(&cx.snow, &cx.profile.mappings).await?,
            CycleKind::Initial,
        )
    } else {
        let (mut users, mut groups) = changed_assignments(&cx.store, &assignments)?;
        failed_before = cx.store.assignments_seen()?;
        failed_before.retain(|(k, _)| k.starts_with("eu:") || k.starts_with("eg:"));
        for (k, _) in &failed_before {
            match k.split_once(':') {
                Some(("eu", id)) => users.push(id.to_owned()),
                Some(("eg", id)) => groups.push(id.to_owned()),
                _ => {}
            }
        }
        for (t, id, _) in cx.store.failures()? {
            match t.as_str() {
                "user" => users.push(id),
                "group" => groups.push(id),
                _ => {}
            }
        }
        let touched = touched::Touched {
            users: touched_users.into_iter().chain(users).collect(),
            groups: touched_groups.into_iter().chain(groups).collect(),
        };
        let (source, target) = touched::read(&cx.snow, &cx.profile.mappings, source, touched, prior, now).await?;
        (source, target, CycleKind::Incremental)
    };
    Ok(Read {
        source,
        target,
        kind,
        now,
        assignments,
        failed_before,
        users_link,
        groups_link,
    })
}

/// Users and groups whose assignment differs from what the last applied cycle saw (added,
/// removed or with other roles).
fn changed_assignments(store: &Store, now: &[(String, String)]) -> Result<(Vec<String>, Vec<String>), CycleError> {
    let before: HashMap<String, String> = store.assignments_seen()?.into_iter().collect();
    let after: HashMap<&str, &str> = now.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut keys: Vec<&str> = before
        .iter()
        .filter(|(k, v)| after.get(k.as_str()) != Some(&v.as_str()))
        .map(|(k, _)| k.as_str())
        .collect();
    keys.extend(after.keys().filter(|k| !before.contains_key(**k)).copied());
    let (mut users, mut groups) = (Vec::new(), Vec::new());
    for k in keys {
        match k.split_once(':') {
            Some(("u", id)) => users.push(id.to_owned()),
            Some(("g", id)) => groups.push(id.to_owned()),
            _ => {}
        }
    }
    Ok((users, groups))
}
