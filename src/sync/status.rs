//! `status`: what `nowsync status` and the console's status screen show, read from the data
//! dir without an engine (safe while one runs): enabled, running or idle (the profile lock),
//! the quarantine, the last cycle's statistics, statistics to date, staged deletions, escrows,
//! the last reconciliation and when the next is due.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::config::Profile;
use crate::model::{CycleKind, ObjectType};
use crate::store::{ProfileLock, QuarantineRow, StagedRow, Store, StoreError};
use crate::sync::event::{CycleStats, Stopped};
use crate::sync::op::{Counts, Held, OpKind};
use crate::sync::reconcile::{self, Next};

/// The profile's provisioning status.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub profile: String,
    pub enabled: bool,
    /// `running` (an engine holds the profile lock) or `idle`.
    pub state: &'static str,
    /// The lock holder's line (`pid=… started=…`) when running.
    pub engine: Option<String>,
    /// The running engine's scheduled cycles are paused (the console's `p`): no cycle runs by
    /// itself until resumed. Always false without a running engine.
    #[serde(default)]
    pub paused: bool,
    /// Whether the profile has a state database yet (a new profile has none until its first
    /// cycle).
    pub has_state: bool,
    pub quarantine: Option<QuarantineRow>,
    pub last_cycle: Option<CycleSummary>,
    /// The last provision on demand (`nowsync provision`): one object's run, apart from the
    /// cycles (`last_cycle` stays the last scheduled or manual cycle).
    pub last_on_demand: Option<CycleSummary>,
    /// Every retained real cycle's statistics of what was done summed (created, updated, …,
    /// writes, duration), and `failed`: the objects failing now, each once (`failing`), not
    /// the same object again for every cycle it failed in. No `skipped` nor `staged_deletes`:
    /// the same objects are skipped or held back every cycle (the last cycle's say how many).
    pub to_date: Value,
    pub cycles: u64,
    /// Every op the deletion threshold holds (the staged set), each with what it holds.
    pub staged_deletions: Vec<StagedOp>,
    /// The staged set counted by what it holds (issue 14: counts mean objects; 866 membership
    /// removals are no deletions).
    pub held: HeldCounts,
    pub escrows: u64,
    /// Objects failing now (the retry queue and the last plan's failures), each counted once;
    /// `to_date.failed` says the same.
    pub failing: u64,
    pub linked_users: u64,
    pub linked_groups: u64,
    pub reconciliation: Reconciliation,
}

/// One op of the staged set: the store's row (its `action` is the op held: `disable` also for
/// a group's deactivation, kept as it was) and what it holds, by name.
#[derive(Debug, Clone, Serialize)]
pub struct StagedOp {
    #[serde(flatten)]
    pub row: StagedRow,
    /// `disable` (a user), `deactivate` (a group), `delete`, or `remove_member`.
    pub held: Held,
}

impl From<StagedRow> for StagedOp {
    fn from(row: StagedRow) -> StagedOp {
        let held = match (row.object_type, row.action.as_str()) {
            (_, "delete") => Held::Delete,
            (ObjectType::Membership, _) => Held::RemoveMember,
            (ObjectType::Group, _) => Held::Deactivate,
            (ObjectType::User, _) => Held::Disable,
        };
        StagedOp { row, held }
    }
}

/// What the deletion threshold holds now, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct HeldCounts {
    pub disable: u64,
    pub deactivate: u64,
    pub delete: u64,
    pub remove_member: u64,
}

impl HeldCounts {
    /// The staged set counted as a plan's held ops are (`Counts::add`).
    pub fn of<'a>(ops: impl IntoIterator<Item = &'a StagedOp>) -> HeldCounts {
        let mut c = Counts::default();
        for op in ops {
            c.add(&OpKind::StagedDelete { held: op.held });
        }
        HeldCounts::from(&c)
    }

    pub fn total(&self) -> u64 {
        self.disable + self.deactivate + self.delete + self.remove_member
    }

    /// `792 disables, 51 deactivations, 866 membership removals`; `None`: nothing is held.
    pub fn words(&self) -> Option<String> {
        crate::sync::op::held_words(self.disable, self.deactivate, self.delete, self.remove_member)
    }
}

/// What a plan's counts say the deletion threshold holds.
impl From<&Counts> for HeldCounts {
    fn from(c: &Counts) -> HeldCounts {
        HeldCounts {
            disable: c.held_disable,
            deactivate: c.held_deactivate,
            delete: c.held_delete,
            remove_member: c.held_remove_member,
        }
    }
}

/// The store's mark of a running engine's pause (`Engine`: set on pause and resume, cleared
/// when an engine starts).
pub const PAUSED_MARK: &str = "paused";

/// The periodic full reconciliation (`crate::sync::reconcile`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    /// `reconcile_hours` (0: never).
    pub every_hours: u32,
    /// When the last full read of both sides (initial or reconciliation) began, RFC 3339.
    pub last: Option<String>,
    /// When the next is due, RFC 3339: the first cycle at or after it reads both sides whole.
    /// `None`: never (`every_hours` 0), or none recorded (`due`: the next cycle).
    pub next_due: Option<String>,
    /// The next cycle reads both sides whole (a reconciliation, or an initial cycle).
    pub due: bool,
}

impl Reconciliation {
    fn of(last: Option<chrono::DateTime<chrono::Utc>>, hours: u32) -> Reconciliation {
        let next_due = match reconcile::next(last, hours) {
            Next::At(t) => Some(reconcile::mark(t)),
            Next::Never | Next::Unrecorded => None,
        };
        Reconciliation {
            every_hours: hours,
            last: last.map(reconcile::mark),
            next_due,
            due: reconcile::due(last, hours, chrono::Utc::now()),
        }
    }
}

/// One cycle, as `status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CycleSummary {
    pub id: i64,
    pub kind: CycleKind,
    pub started: String,
    pub finished: Option<String>,
    /// `success`, `object_failures`, `failed` (as a whole: `error` says why), or `stopped` (by
    /// the admin: `stopped` says where).
    pub outcome: &'static str,
    pub stopped: Option<Stopped>,
    /// Why it failed as a whole (outcome `failed`): the error, as the admin reads it.
    pub error: Option<String>,
    pub stats: Value,
}

/// Distinct objects in the retry queue, failed in the last plan, or failed in the last real
/// cycle and not fixed by a provision on demand since.
fn failing(store: &Store, last_cycle: Option<i64>) -> Result<u64, StoreError> {
    let mut objects: std::collections::HashSet<(ObjectType, String)> = store
        .failures()?
        .into_iter()
        .map(|(object_type, id, _)| (object_type, id))
        .collect();
    objects.extend(store.plan_failures()?.into_iter().map(|v| (v.object_type, v.source_id)));
    if let Some(id) = last_cycle {
        objects.extend(store.failing_since(id)?);
    }
    Ok(objects.len() as u64)
}

/// Reads the profile's status from its state database, opened read-only (never created or
/// migrated: a profile without state has no cycle yet, `has_state` false).
pub fn status(data_dir: &Path, profile: &Profile) -> Result<Status, StoreError> {
    let engine = ProfileLock::holder(data_dir, &profile.name);
    let Some(store) = Store::open_read_only(data_dir, &profile.name)? else {
        return Ok(Status {
            profile: profile.name.clone(),
            enabled: profile.provisioning.enabled,
            state: if engine.is_some() { "running" } else { "idle" },
            engine,
            paused: false,
            has_state: false,
            quarantine: None,
            last_cycle: None,
            last_on_demand: None,
            to_date: Value::Object(serde_json::Map::new()),
            cycles: 0,
            staged_deletions: Vec::new(),
            held: HeldCounts::default(),
            escrows: 0,
            failing: 0,
            linked_users: 0,
            linked_groups: 0,
            reconciliation: Reconciliation::of(None, profile.provisioning.reconcile_hours),
        });
    };
    let cycles = store.cycles(10_000)?;
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            .unwrap_or(Value::Null)
    };
    let mut to_date = serde_json::Map::new();
    for c in &cycles {
        if let Value::Object(m) = parse(&c.stats) {
            // Only the counts of what was done add up (`stopped` says where one cycle ended).
            // Skipped objects and staged deletions are states, not events: the same objects
            // come again every cycle, so their sum counts nothing (issue 14); the last cycle
            // says how many were skipped, `staged_deletions` what is held back now.
            let summed = |k: &str| !matches!(k, "skipped" | "staged_deletes");
            for (k, v) in m.into_iter().filter(|(k, v)| v.is_u64() && summed(k)) {
                let sum = to_date.get(&k).and_then(Value::as_u64).unwrap_or(0) + v.as_u64().unwrap_or(0);
                to_date.insert(k, Value::from(sum));
            }
        }
    }
    // Counts mean objects (issue 14): 122 objects failing in 4 cycles are 122 failing, not 488.
    let failing = failing(&store, cycles.first().map(|c| c.id))?;
    if !to_date.is_empty() {
        to_date.insert("failed".to_owned(), Value::from(failing));
    }
    let last_cycle = cycles.first().map(|c| summary(c, &parse));
    let last_on_demand = store.last_on_demand()?.map(|c| summary(&c, &parse));
    let staged: Vec<StagedOp> = store.staged()?.into_iter().map(StagedOp::from).collect();
    // A mark left by an engine killed while paused means nothing once no engine runs.
    let paused = engine.is_some() && store.watermark(PAUSED_MARK)?.as_deref() == Some("true");
    Ok(Status {
        profile: profile.name.clone(),
        enabled: profile.provisioning.enabled,
        state: if engine.is_some() { "running" } else { "idle" },
        engine,
        paused,
        has_state: true,
        quarantine: store.quarantine()?,
        last_cycle,
        last_on_demand,
        to_date: Value::Object(to_date),
        cycles: cycles.len() as u64,
        held: HeldCounts::of(&staged),
        staged_deletions: staged,
        escrows: store.escrows()?.len() as u64,
        failing,
        linked_users: store.links(ObjectType::User)?.len() as u64,
        linked_groups: store.links(ObjectType::Group)?.len() as u64,
        reconciliation: Reconciliation::of(reconcile::last(&store)?, profile.provisioning.reconcile_hours),
    })
}

/// A cycle's row as `status` shows it.
fn summary(c: &crate::store::CycleRow, parse: &impl Fn(&Option<String>) -> Value) -> CycleSummary {
    let stats = parse(&c.stats);
    let typed = serde_json::from_value::<CycleStats>(stats.clone()).unwrap_or_default();
    CycleSummary {
        id: c.id,
        kind: c.kind,
        started: c.started.clone(),
        finished: c.finished.clone(),
        outcome: typed.outcome(),
        stopped: typed.stopped,
        error: typed.error,
        stats,
    }
}
