//! `apply`: sends a plan's writes to ServiceNow, phase by phase (reference rows, users,
//! groups, memberships, references to rows created in the cycle), each phase concurrently, a
//! little above the client's in-flight limit, and records every outcome: intent before the
//! write, link and log record after (`record`). Within the users' phase a report's create
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
mod waves;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::{Map, Value, json};

use super::cycle::Context;
use super::event::{CycleStats, ObjectResult, SyncEvent};
use super::op::{Change, ObjectType, Op, OpKind, Plan};
use super::outcome::FailureCode;
use super::safety::{Halt, Write};
use crate::model::SysId;
use crate::servicenow::{self, Error};
use crate::store::{Kept, StoreError, kept_digest};

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

/// Why an op's request cannot be built: something it refers to has no row (the object fails
/// with `ReferenceNotProvisioned` and is retried next cycle).
#[derive(Debug, thiserror::Error)]
enum Unresolved {
    #[error("{0} was not provisioned")]
    NotProvisioned(String),
    #[error("the linked sys_id is not valid: {0}")]
    BadSysId(#[source] crate::model::SysIdError),
    #[error("the group was not provisioned")]
    Group,
    #[error("the user was not provisioned")]
    User,
    #[error("{0}: the referenced user was not provisioned")]
    Referenced(String),
    #[error("{attribute}: the {table} row '{value}' could not be created")]
    RowNotCreated {
        attribute: String,
        table: String,
        value: String,
    },
    /// A last guard behind `plan`'s: nothing is ever written to the account nowsync signs in
    /// as.
    #[error("{0} is the integration account nowsync signs in as: never written")]
    IntegrationAccount(String),
}

impl Unresolved {
    fn code(&self) -> FailureCode {
        match self {
            Unresolved::IntegrationAccount(_) => FailureCode::MatchesIntegrationAccount,
            _ => FailureCode::ReferenceNotProvisioned,
        }
    }
}

/// One write: table, method, the row (PATCH/DELETE) and the body.
struct Request {
    table: String,
    method: &'static str,
    sys_id: Option<SysId>,
    body: Map<String, Value>,
    /// Pending references (attribute, source id) left out: the user was not created.
    missing: Vec<(String, String)>,
}

impl Request {
    /// The write as the halt rule sees it: its table operation and the fields it sends.
    fn write(&self) -> Write {
        let mut shape: Vec<String> = self.body.keys().cloned().collect();
        shape.sort_unstable();
        Write {
            operation: (self.table.clone(), self.method),
            shape,
        }
    }
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
}

/// Applies one plan.
pub struct Applier<'a> {
    cx: &'a Context,
    cycle_id: i64,
    /// Set to stop starting new writes (the ones in flight finish).
    stop: &'a AtomicBool,
    /// What references resolve through, updated as ops complete.
    links: Links,
    /// The links as the store holds them (written only when they change).
    stored: Links,
    halt: Halt,
    /// Reference rows the plan creates, (table, lower-cased value) → their sys_id once created:
    /// the lookup fields of the objects that need them hold the value until then.
    refs: HashMap<(String, String), Option<String>>,
    results: Option<Vec<ObjectResult>>,
}

/// Objects done out of the plan's operations.
struct Progress {
    done: u64,
    total: u64,
}

fn phase(op: &Op) -> u8 {
    match (&op.object_type, &op.kind) {
        (_, OpKind::CreateReference { .. }) => 0,
        (_, OpKind::SetReference { .. }) => 4,
        (ObjectType::User, _) => 1,
        (ObjectType::Group, _) => 2,
        (ObjectType::Membership, _) => 3,
    }
}

fn fields(changes: &[Change]) -> Map<String, Value> {
    changes
        .iter()
        .filter_map(|c| c.new.as_ref().map(|v| (c.attribute.clone(), Value::String(v.clone()))))
        .collect()
}

/// Entra-style code for a ServiceNow failure. A 403 is told apart by the instance's words
/// (servicenow.md §13 #2; as instances word them: "Data Policy Exception: … mandatory: …",
/// "… was aborted by Business Rule '…'", "Unique Key violation detected by database", "ACL
/// Exception Insert Failed due to security constraints").
pub(super) fn error_code(e: &Error) -> FailureCode {
    match e.status() {
        Some(401) => FailureCode::ServiceNowUnauthorized,
        Some(403) => refusal_code(e),
        Some(404) => FailureCode::InvalidAnchor,
        Some(429) => FailureCode::ServiceNowThrottled,
        Some(400) => FailureCode::ServiceNowBadRequest,
        Some(s) if s >= 500 => FailureCode::ServiceNowServerError,
        _ if e.retry_next_cycle() => FailureCode::ServiceNowTransientError,
        _ => FailureCode::ServiceNowError,
    }
}

/// The code of a 403, from what the instance said.
fn refusal_code(e: &Error) -> FailureCode {
    let text = e.to_string().to_ascii_lowercase();
    if text.contains("data policy exception") {
        FailureCode::ServiceNowDataPolicy
    } else if text.contains("aborted by business rule") {
        FailureCode::ServiceNowBusinessRule
    } else if text.contains("unique key violation") {
        FailureCode::DuplicateTargetEntries
    } else if text.contains("acl exception") {
        FailureCode::ServiceNowAclDenied
    } else {
        FailureCode::ServiceNowForbidden
    }
}

/// Sends one write; the row's sys_id and what the instance kept otherwise than sent.
async fn send(client: servicenow::Client, r: Request) -> Result<(Option<String>, Vec<Kept>), Error> {
    let stored = match (r.method, &r.sys_id) {
        ("POST", _) => client.create(&r.table, &r.body).await?,
        ("PATCH", Some(id)) => client.update(&r.table, id, &r.body).await?,
        (_, Some(id)) => return client.delete(&r.table, id).await.map(|()| (None, Vec::new())),
        (_, None) => return Ok((None, Vec::new())),
    };
    let Some(sys_id) = stored.sys_id().map(|s| s.to_string()) else {
        return Ok((None, Vec::new()));
    };
    Ok((sys_id.clone().into(), kept(&sys_id, &r.body, &stored)))
}

/// The fields the instance stored otherwise than they were sent (servicenow.md §13 #6: 4-byte
/// characters as '?' on MariaDB-backed instances, strings cut to the field's length, choice
/// values canonicalised), remembered so the next comparison does not write them again.
fn kept(sys_id: &str, sent: &Map<String, Value>, stored: &servicenow::Record) -> Vec<Kept> {
    sent.iter()
        .filter_map(|(field, v)| {
            let sent = v.as_str()?;
            let kept = stored.value(field)?;
            (kept != sent).then(|| Kept {
                sys_id: sys_id.to_owned(),
                field: field.clone(),
                sent: kept_digest(field, sent),
                kept: kept_digest(field, &kept),
            })
        })
        .collect()
}

impl<'a> Applier<'a> {
    /// The applier of `plan` in cycle `cycle_id`: references resolve through the stored links
    /// and the rows the plan matched (creates add theirs as they complete). `keep_results`:
    /// return every object's result as well as sending it.
    pub fn new(
        cx: &'a Context,
        cycle_id: i64,
        plan: &Plan,
        stored: &Links,
        stop: &'a AtomicBool,
        keep_results: bool,
    ) -> Applier<'a> {
        let mut links = stored.clone();
        for op in &plan.ops {
            if let (Some(id), ObjectType::User | ObjectType::Group) = (&op.target_id, op.object_type)
                && !matches!(op.kind, OpKind::SetReference { .. } | OpKind::Error(_))
            {
                links.insert((op.object_type, op.source_id.clone()), id.clone());
            }
        }
        let mut refs = HashMap::new();
        for key in super::plan::created(&plan.ops) {
            refs.insert(key, None);
        }
        Applier {
            cx,
            cycle_id,
            stop,
            links,
            stored: stored.clone(),
            halt: Halt::default(),
            refs,
            results: keep_results.then(Vec::new),
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
            total: plan.ops.len() as u64,
        };
        for ph in 0..5u8 {
            let ops = waves::Queue::new(plan.ops.iter().filter(|op| phase(op) == ph).collect());
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
                let mut request = match self.request(op) {
                    Ok(Some(request)) => request,
                    Ok(None) => {
                        self.record(op, Outcome::Done(op.target_id.clone()), t0, stats)?;
                        ops.done(op);
                        progress.done += 1;
                        continue;
                    }
                    Err(why) => {
                        self.record(op, Outcome::Unresolved(why), t0, stats)?;
                        ops.done(op);
                        progress.done += 1;
                        continue;
                    }
                };
                let intent = self.cx.store.intent(
                    self.cycle_id,
                    op.object_type.as_str(),
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
            self.record(op, outcome, t0, stats)?;
            if written {
                self.unset_references(op, missing, t0, stats)?;
            }
            ops.done(op);
            progress.done += 1;
            self.cx.emit(SyncEvent::Progress {
                cycle_id: self.cycle_id,
                done: progress.done,
                total: progress.total,
            });
        }
        Ok(())
    }

    fn table(&self, op: &Op) -> String {
        let mappings = &self.cx.profile.mappings;
        match op.object_type {
            ObjectType::User => mappings.user.target_table.clone(),
            ObjectType::Group => mappings.group.target_table.clone(),
            ObjectType::Membership => mappings
                .group
                .members_table
                .clone()
                .unwrap_or_else(|| "sys_user_grmember".into()),
        }
    }

    fn sys_id(&self, ot: ObjectType, source_id: &str) -> Option<String> {
        self.links.get(&(ot, source_id.to_owned())).cloned()
    }

    /// The request an op sends (`None`: nothing to send), or why it cannot be sent.
    fn request(&self, op: &Op) -> Result<Option<Request>, Unresolved> {
        let table = self.table(op);
        let own = || -> Result<SysId, Unresolved> {
            let id = op
                .target_id
                .clone()
                .or_else(|| self.sys_id(op.object_type, &op.source_id))
                .ok_or_else(|| Unresolved::NotProvisioned(op.source_name.clone()))?;
            let integration = self.cx.identity.get().map(|i| i.integration_account.as_str());
            if op.object_type == ObjectType::User && integration == Some(id.as_str()) {
                return Err(Unresolved::IntegrationAccount(id));
            }
            SysId::parse(&id).map_err(Unresolved::BadSysId)
        };
        let request = |table: String, method, sys_id, body| Request {
            table,
            method,
            sys_id,
            body,
            missing: Vec::new(),
        };
        Ok(Some(match &op.kind {
            OpKind::Create { fields: f } => {
                let mut body = self.resolve_created(op, fields(f))?;
                let missing = self.resolve_pending(f, &mut body);
                Request {
                    missing,
                    ..request(table, "POST", None, body)
                }
            }
            OpKind::Update { diff } | OpKind::Disable { diff } => {
                let sys_id = Some(own()?);
                let mut body = self.resolve_created(op, fields(diff))?;
                let missing = self.resolve_pending(diff, &mut body);
                Request {
                    missing,
                    ..request(table, "PATCH", sys_id, body)
                }
            }
            OpKind::CreateReference { table, field, value } => request(
                table.clone(),
                "POST",
                None,
                Map::from_iter([(field.clone(), json!(value))]),
            ),
            OpKind::Delete | OpKind::RemoveMember => request(table, "DELETE", Some(own()?), Map::new()),
            OpKind::AddMember => {
                let group = self.sys_id(ObjectType::Group, &op.source_id).ok_or(Unresolved::Group)?;
                let member = op.member_id.as_deref().unwrap_or_default();
                let user = self.sys_id(ObjectType::User, member).ok_or(Unresolved::User)?;
                let body = Map::from_iter([("group".to_owned(), json!(group)), ("user".to_owned(), json!(user))]);
                request(table, "POST", None, body)
            }
            OpKind::SetReference { attribute, source_id } => {
                let to = self
                    .sys_id(ObjectType::User, source_id)
                    .ok_or_else(|| Unresolved::Referenced(attribute.clone()))?;
                let body = Map::from_iter([(attribute.clone(), json!(to))]);
                request(table, "PATCH", Some(own()?), body)
            }
            OpKind::Skip { .. } | OpKind::Error(_) | OpKind::StagedDelete => return Ok(None),
        }))
    }

    /// Swaps each pending reference (the source id of a user created in this cycle, whose create
    /// `waves` waited for) for that user's sys_id; one whose user was not created is left out
    /// of the body and returned.
    fn resolve_pending(&self, changes: &[Change], body: &mut Map<String, Value>) -> Vec<(String, String)> {
        let mut missing = Vec::new();
        for c in changes.iter().filter(|c| c.pending) {
            let source_id = c.new.clone().unwrap_or_default();
            match self.sys_id(ObjectType::User, &source_id) {
                Some(sys_id) => {
                    body.insert(c.attribute.clone(), json!(sys_id));
                }
                None => {
                    body.remove(&c.attribute);
                    missing.push((c.attribute.clone(), source_id));
                }
            }
        }
        missing
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
                hash: crate::model::stable_hash(&[&op.source_id, &attribute, &source_id]),
                kind: OpKind::SetReference {
                    attribute: attribute.clone(),
                    source_id,
                },
                ..op.clone()
            };
            self.record(&set, Outcome::Unresolved(Unresolved::Referenced(attribute)), t0, stats)?;
        }
        Ok(())
    }

    /// Swaps the values of lookup fields that name a row created in this cycle for its sys_id;
    /// fails the object when that row could not be created.
    fn resolve_created(&self, op: &Op, mut body: Map<String, Value>) -> Result<Map<String, Value>, Unresolved> {
        let mapping = match op.object_type {
            ObjectType::User => &self.cx.profile.mappings.user,
            ObjectType::Group => &self.cx.profile.mappings.group,
            ObjectType::Membership => return Ok(body),
        };
        for (attribute, v) in body.iter_mut() {
            let (Some((table, _)), Some(text)) = (super::plan::lookup_of(mapping, attribute), v.as_str()) else {
                continue;
            };
            match self.refs.get(&(table.to_owned(), text.to_lowercase())) {
                Some(Some(sys_id)) => *v = json!(sys_id),
                Some(None) => {
                    return Err(Unresolved::RowNotCreated {
                        attribute: attribute.clone(),
                        table: table.to_owned(),
                        value: text.to_owned(),
                    });
                }
                None => {}
            }
        }
        Ok(body)
    }
}
