//! One Graph delta round (users or groups) merged item by item into the store's source cache.
//!
//! Why a cache: a delta item carries only the properties that changed (spec §6), and a user's
//! mapped values need all of them. The keys starting with `@` are ours, not Graph's.

use std::collections::HashSet;

use serde_json::{Map, Value as J, json};

use crate::graph::{DeltaItem, DeltaRound, Removed};
use crate::model::ObjectType;
use crate::store::Store;
use crate::sync::error::CycleError;
use crate::sync::redact::Sealing;

/// Set on a cached object that Graph soft-deleted (restorable).
pub(super) const SOFT_DELETED: &str = "@softDeleted";
/// A cached group's direct user members.
pub(super) const MEMBERS: &str = "@members";
/// A cached group's nested groups (direct group members), for `flatten_nested_groups`.
pub(super) const NESTED: &str = "@groups";

/// What a round ended with: its deltaLink, and why a stored link could not be used (an
/// expired delta token), when that happened.
pub(super) struct RoundEnd {
    pub delta_link: Option<String>,
    pub reset: Option<String>,
}

/// Reads one round into the cache. A round that turns out full (no link, or the link expired)
/// replaces each object it reports and, once it has ended, forgets the objects of its type it
/// did not report; an incremental one adds the ids it reports to `touched`.
///
/// The cache is not cleared before a full round: one cut short (a page with no link, graph.md
/// §6.1, or any failure) leaves every cached object whole, reached or not, so the delta links
/// the failed cycle keeps replay onto a whole cache — a cleared one would make the objects the
/// round did not reach look deleted to the next incremental cycle.
pub(super) async fn round(
    store: &Store,
    object_type: ObjectType,
    mut round: DeltaRound,
    touched: &mut HashSet<String>,
    sealing: &Sealing<'_>,
) -> Result<RoundEnd, CycleError> {
    // The ids a full round reported: the first time one comes it replaces the cached object.
    let mut reported: HashSet<String> = HashSet::new();
    let mut was_full = false;
    while let Some(page) = round.next_page().await? {
        if round.is_full() && !was_full {
            // A reset turns a round full: what its incremental pages touched is moot.
            touched.clear();
            was_full = true;
        }
        // Items may repeat within a page: later ones merge onto the page's pending writes.
        let mut writes: Vec<(String, Option<String>)> = Vec::new();
        for item in page {
            let previous = match writes.iter().rev().find(|(id, _)| *id == item.id) {
                Some((_, pending)) => pending.clone(),
                None if round.is_full() && reported.insert(item.id.clone()) => None,
                None => store.cached(object_type, &item.id)?,
            };
            if !round.is_full() {
                // A full round touches everything; its ids are not worth holding.
                touched.insert(item.id.clone());
            }
            let id = item.id.clone();
            writes.push((id, merge(previous.as_deref(), item, sealing)));
        }
        store.put_cached(object_type, &writes)?;
    }
    if round.is_full() {
        store.forget_cached_except(object_type, &reported)?;
    }
    Ok(RoundEnd {
        delta_link: round.delta_link().map(str::to_owned),
        reset: round.reset().map(ToString::to_string),
    })
}

/// One item merged onto the cached text of its object; `None`: purged, forget it.
/// Values a redacting mapping reads are sealed (`sync::redact::Sealing`).
fn merge(previous: Option<&str>, item: DeltaItem, sealing: &Sealing<'_>) -> Option<String> {
    let mut obj: Map<String, J> = previous.and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default();
    match item.removed {
        Some(Removed::Deleted) => return None,
        // Soft-deleted (restorable): kept, so a restore that carries few properties still
        // finds the rest.
        Some(_) => {
            obj.insert(SOFT_DELETED.into(), J::Bool(true));
        }
        None => {
            obj.remove(SOFT_DELETED);
            obj.extend(item.properties);
            sealing.seal(&mut obj);
            if let Some(changes) = item.manager {
                merge_manager(&mut obj, &changes);
            }
            if let Some(changes) = item.members {
                merge_members(&mut obj, changes);
            }
        }
    }
    Some(J::Object(obj).to_string())
}

/// `manager@delta`: an entry without `@removed` is the manager now; a removal clears only the
/// manager it names. Graph promises no order (graph.md §6.4, §12): the former manager's
/// removal may come after the new one's add, in the same list or in a later item of the round,
/// and must not clear the new manager (review R4).
fn merge_manager(obj: &mut Map<String, J>, changes: &[crate::graph::RefChange]) {
    if let Some(now) = changes.iter().rev().find(|m| m.removed.is_none()) {
        obj.insert("manager".into(), json!({"id": now.id}));
        return;
    }
    let current = obj.get("manager").and_then(|m| m.get("id")).and_then(J::as_str);
    if changes.iter().any(|m| Some(m.id.as_str()) == current) {
        obj.insert("manager".into(), J::Null);
    }
}

/// `members@delta`: users into [`MEMBERS`], groups into [`NESTED`], removals taken out.
fn merge_members(obj: &mut Map<String, J>, changes: Vec<crate::graph::RefChange>) {
    let list = |obj: &Map<String, J>, key: &str| -> Vec<String> {
        obj.get(key)
            .and_then(|m| serde_json::from_value(m.clone()).ok())
            .unwrap_or_default()
    };
    let mut members = list(obj, MEMBERS);
    let mut nested = list(obj, NESTED);
    for c in changes {
        let target = if c.is_user() {
            &mut members
        } else if c.odata_type.as_deref() == Some("#microsoft.graph.group") {
            &mut nested
        } else {
            continue;
        };
        target.retain(|id| *id != c.id);
        if c.removed.is_none() {
            target.push(c.id);
        }
    }
    obj.insert(MEMBERS.into(), json!(members));
    obj.insert(NESTED.into(), json!(nested));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::RefChange;

    fn entry(id: &str, removed: bool) -> RefChange {
        RefChange {
            id: id.into(),
            odata_type: Some("#microsoft.graph.user".into()),
            removed: removed.then_some(Removed::Deleted),
        }
    }

    fn manager_of(obj: &Map<String, J>) -> Option<&str> {
        obj.get("manager").and_then(|m| m.get("id")).and_then(J::as_str)
    }

    /// Review R4: the former manager's removal, before or after the new one's add, in one list
    /// or in items of their own, leaves the new manager.
    #[test]
    fn manager_changes_merge_in_any_order() {
        let start = || {
            let mut obj = Map::new();
            obj.insert("manager".into(), json!({"id": "old"}));
            obj
        };
        for lists in [
            vec![vec![entry("new", false), entry("old", true)]],
            vec![vec![entry("old", true), entry("new", false)]],
            vec![vec![entry("new", false)], vec![entry("old", true)]],
            vec![vec![entry("old", true)], vec![entry("new", false)]],
        ] {
            let mut obj = start();
            for l in &lists {
                merge_manager(&mut obj, l);
            }
            assert_eq!(manager_of(&obj), Some("new"), "{lists:?}");
        }
        // The manager's own removal clears it; another user's leaves it.
        let mut obj = start();
        merge_manager(&mut obj, &[entry("someone", true)]);
        assert_eq!(manager_of(&obj), Some("old"));
        merge_manager(&mut obj, &[entry("old", true)]);
        assert_eq!(obj.get("manager"), Some(&J::Null));
    }
}
