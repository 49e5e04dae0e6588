//! `apply`: sends a plan's writes to ServiceNow, phase by phase (reference rows, users,
//! groups, memberships, references to rows created in the cycle), each phase concurrently, a
//! little above the client's in-flight limit, and records every outcome: intent before the
//! write, link and log record after (`record`); an op's request is built in `request`, sent
//! in `send`. Within the users' phase a report's create
//! starts once its manager's create is done, and carries the manager's sys_id (`waves`).
//!
//! Crash safety: every write is recorded as an intent (the object it is for) before it is
//! sent, and closed once its outcome is known. A write whose outcome is unknown (the process
//! died, or the answer was lost) leaves its intent open; the next cycle reads that object's
//! rows before planning it — a full cycle in its bulk read, an incremental one by adding the
//! object (a membership: its group) to the touched set (`cycle::read_target`) — so a create
//! whose answer was lost is found by its matching attribute and linked, never created twice,
//! and a membership is compared with the rows read back, never added twice or lost.
//!
//! Retries: the client retries transient failures (429 honouring Retry-After, 5xx, timeouts,
//! dropped connections) with backoff; a transient failure that outlasts them is recorded as
//! transient and retried next cycle; a permanent one is recorded with the op's hash and not
//! retried while the op stays the same (see `plan`). The small-tenant rule
//! ([`crate::sync::safety::Halt`]) stops a cycle on systemic refusals only (401s, a table
//! operation refused whatever is sent), never on refusals of one record.

mod record;
mod request;
mod send;
mod waves;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use request::Unresolved;
use send::{error_code, send};

use super::cycle::Context;
use super::event::{CycleStats, ObjectResult, SyncEvent};
use super::op::{ObjectType, Op, OpKind, Plan};
use super::outcome::FailureCode;
use super::safety::{Failures, Halt};
use crate::servicenow::Error;
use crate::store::StoreError;

/// (type, source id) → sys_id.
pub type Links = HashMap<(ObjectType, String), String>;

/// What an applied op produced.
enum Outcome {
    /// Written (or nothing to write); the row's sys_id (none for a delete).
    Done(Option<String>),
    /// Not sent: why.
    Unresolved(Unresolved),
    Failed(Error),
}

/// What applying a plan did.
#[derive(Debug, Default)]
pub struct Applied {
    pub stats: CycleStats,
    /// Each object's result, when the applier was asked to keep them (provision on demand);
    /// a cycle's results travel as [`SyncEvent::ObjectDone`] only.
    pub results: Vec<ObjectResult>,
    /// The small-tenant rule stopped the writes: the code and the error's text.
    pub halted: Option<(FailureCode, String)>,
    /// The failed objects as the escrow thresholds count them (`stats.failed` is all of them).
    pub failures: Failures,
    /// Operations done (written, failed or needing no write) out of the plan's: fewer when
    /// the cycle was stopped or halted.
    pub done: u64,
    pub total: u64,
}

/// Applies one plan.
pub struct Applier<'a> {
    cx: &'a Context,
    cycle_id: i64,
    /// Set to stop starting new writes (the ones in flight finish).
    stop: &'a AtomicBool,
    /// What references resolve through: the rows this cycle matched and wrote, over `stored`
    /// (read through, not copied: a copy of every link cost a quiet cycle at 100,000 users
    /// tens of MB; issue 16 §3); `gone`: links a delete removed.
    links: Links,
    gone: HashSet<(ObjectType, String)>,
    /// The links as the store held them when the cycle began, and what this cycle changed in
    /// the store since (`None`: removed): a link is written only when it changes.
    stored: &'a Links,
    written: HashMap<(ObjectType, String), Option<String>>,
    halt: Halt,
    /// Reference rows the plan creates, (table, lower-cased value) → their sys_id once created:
    /// the lookup fields of the objects that need them hold the value until then.
    refs: HashMap<(String, String), Option<String>>,
    results: Option<Vec<ObjectResult>>,
    /// The objects that failed in this cycle (a membership: its group and user): `failed`
    /// counts each once, however many of its ops failed (issue 14: counts mean objects).
    failed_objects: HashSet<(ObjectType, String, Option<String>)>,
    failures: Failures,
    /// Source id → name (UPN) of the users the plan's references name (pending changes and
    /// `SetReference`s): a reference that could not be set is said by name, not by id.
    names: HashMap<String, String>,
}

/// Objects done out of the plan's operations.
struct Progress {
    done: u64,
    total: u64,
}

fn phase(op: &Op) -> u8 {
    match (&op.object_type, &op.kind) {
        (_, OpKind::CreateReference(_)) => 0,
        (_, OpKind::SetReference { .. }) => 4,
        (ObjectType::User, _) => 1,
        (ObjectType::Group, _) => 2,
        (ObjectType::Membership, _) => 3,
    }
}

impl<'a> Applier<'a> {
    /// The applier of `plan` in cycle `cycle_id`: references resolve through the stored links
    /// and the rows the plan matched (creates add theirs as they complete). `keep_results`:
    /// return every object's result as well as sending it.
    pub fn new(
        cx: &'a Context,
        cycle_id: i64,
        plan: &Plan,
        stored: &'a Links,
        stop: &'a AtomicBool,
        keep_results: bool,
    ) -> Applier<'a> {
        let mut links = Links::new();
        for op in plan.objects() {
            if let (Some(id), ObjectType::User | ObjectType::Group) = (&op.target_id, op.object_type)
                && !matches!(op.kind, OpKind::SetReference { .. } | OpKind::Error(_))
            {
                links.insert((op.object_type, op.source_id.to_string()), id.clone());
            }
        }
        let names = referenced_names(plan);
        let mut refs = HashMap::new();
        for key in super::plan::created(plan.objects()) {
            refs.insert(key, None);
        }
        Applier {
            cx,
            cycle_id,
            stop,
            links,
            gone: HashSet::new(),
            stored,
            written: HashMap::new(),
            halt: Halt::default(),
            refs,
            results: keep_results.then(Vec::new),
            failed_objects: HashSet::new(),
            failures: Failures::default(),
            names,
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.halt.halted.is_some()
    }

    /// Applies every op of `plan` (the one it was built for).
    pub async fn apply(mut self, plan: &Plan) -> Result<Applied, StoreError> {
        let started = Instant::now();
        let mut stats = CycleStats::default();
        let mut progress = Progress {
            done: 0,
            total: plan.len() as u64,
        };
        for ph in 0..5u8 {
            let held = plan.objects().iter().filter(|op| phase(op) == ph).collect();
            // The compact memberships wait for nothing: built one by one as they start.
            let members = (ph == 3).then(|| plan.members());
            let ops = waves::Queue::new(held, members);
            self.phase(ops, &mut stats, &mut progress).await?;
            if self.stopped() {
                break;
            }
        }
        stats.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(Applied {
            stats,
            results: self.results.unwrap_or_default(),
            halted: self.halt.halted,
            failures: self.failures,
            done: progress.done,
            total: progress.total,
        })
    }

    /// One phase: its ops started a few above the client's in-flight limit (so it always has the
    /// next request at hand and can find more capacity, but little is left that a halt would
    /// still send), each recorded as it completes.
    async fn phase<'o>(
        &mut self,
        mut ops: waves::Queue<'o>,
        stats: &mut CycleStats,
        progress: &mut Progress,
    ) -> Result<(), StoreError> {
        let mut inflight = FuturesUnordered::new();
        loop {
            while inflight.len() < self.cx.snow.in_flight_limit() + 4 && !self.stopped() {
                let Some(op) = ops.next(inflight.is_empty()) else { break };
                let t0 = Instant::now();
                let mut request = match self.request(&op) {
                    Ok(Some(request)) => request,
                    Ok(None) => {
                        self.record(&op, Outcome::Done(op.target_id.clone()), t0, stats)?;
                        ops.done(&op);
                        progress.done += 1;
                        continue;
                    }
                    Err(why) => {
                        self.record(&op, Outcome::Unresolved(why), t0, stats)?;
                        ops.done(&op);
                        progress.done += 1;
                        continue;
                    }
                };
                let intent = self.cx.store.intent(
                    self.cycle_id,
                    op.object_type,
                    &request.table,
                    request.method,
                    &op.source_id,
                )?;
                let client = self.cx.snow.clone();
                let write = request.write();
                let missing = std::mem::take(&mut request.missing);
                inflight.push(async move { (op, intent, t0, write, missing, send(client, request).await) });
            }
            let Some((op, intent, t0, write, missing, result)) = inflight.next().await else {
                break;
            };
            stats.writes += 1;
            let outcome = match result {
                Ok((sys_id, kept)) => {
                    self.cx.store.intent_done(intent, sys_id.as_deref())?;
                    self.cx.store.set_kept(&kept)?;
                    self.halt.success(&write);
                    Outcome::Done(sys_id)
                }
                Err(e) => {
                    // A refusal says the instance did not act; after a transient failure (a
                    // dropped connection, a cut-off body, a 5xx) it may have: the intent stays
                    // open and the next cycle reads the object's rows before planning it.
                    if !e.retry_next_cycle() {
                        self.cx.store.intent_done(intent, None)?;
                    }
                    self.halt
                        .failure(&write, error_code(&e), e.retry_next_cycle(), &e.to_string());
                    Outcome::Failed(e)
                }
            };
            let written = matches!(outcome, Outcome::Done(_));
            self.record(&op, outcome, t0, stats)?;
            if written {
                self.unset_references(&op, missing, t0, stats)?;
            }
            ops.done(&op);
            progress.done += 1;
            self.cx.emit(SyncEvent::Progress {
                cycle_id: self.cycle_id,
                done: progress.done,
                total: progress.total,
            });
        }
        Ok(())
    }

    /// An object written without a pending reference whose user was not created: that
    /// reference fails as its own `SetReference` would (`ReferenceNotProvisioned`, retried next
    /// cycle).
    fn unset_references(
        &mut self,
        op: &Op,
        missing: Vec<(String, String)>,
        t0: Instant,
        stats: &mut CycleStats,
    ) -> Result<(), StoreError> {
        for (attribute, source_id) in missing {
            let set = Op {
                target_id: self.sys_id(op.object_type, &op.source_id),
                hash: crate::model::stable_hash(&[op.source_id.as_str(), &attribute, &source_id]).into(),
                kind: OpKind::SetReference {
                    attribute: attribute.clone(),
                    source_id,
                },
                ..op.clone()
            };
            let why = Unresolved::Referenced {
                user: self.user_name(&source_id_of(&set)),
                attribute,
            };
            self.record(&set, Outcome::Unresolved(why), t0, stats)?;
        }
        Ok(())
    }
}

/// The source id a `SetReference` refers to.
fn source_id_of(op: &Op) -> String {
    match &op.kind {
        OpKind::SetReference { source_id, .. } => source_id.clone(),
        _ => String::new(),
    }
}

/// Source id → name of each user a reference in `plan` names (a pending change, a
/// `SetReference`), from that user's op: a few entries, not one per user.
fn referenced_names(plan: &Plan) -> HashMap<String, String> {
    let mut wanted: HashSet<&str> = HashSet::new();
    for op in plan.objects() {
        match &op.kind {
            OpKind::SetReference { source_id, .. } => {
                wanted.insert(source_id);
            }
            OpKind::Create { fields: changes } | OpKind::Update { diff: changes } => {
                wanted.extend(changes.iter().filter(|c| c.pending).filter_map(|c| c.new.as_deref()));
            }
            _ => {}
        }
    }
    plan.objects()
        .iter()
        .filter(|op| op.object_type == ObjectType::User && wanted.contains(op.source_id.as_str()))
        .map(|op| (op.source_id.to_string(), op.source_name.to_string()))
        .collect()
}
