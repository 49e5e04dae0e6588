//! `apply`: sends a plan's writes to ServiceNow, phase by phase (users, groups, memberships,
//! references), each phase concurrently up to the client's in-flight ceiling, and records
//! every outcome: intent before the write, link and log record after.
//!
//! Crash safety: every write is recorded as an intent before it is sent. A create whose
//! answer is lost leaves the row without a link; the next cycle's bulk read and matching find
//! it by its matching attribute and link it, so it is never created twice. Memberships are
//! compared with the rows read back, so they are never added twice either.
//!
//! Retries: the client retries transient failures (429 honouring Retry-After, 5xx, timeouts,
//! dropped connections) with backoff; a transient failure that outlasts them is recorded as
//! transient and retried next cycle; a permanent one is recorded with the op's hash and not
//! retried while the op stays the same (see `plan`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use super::event::{CycleStats, ObjectResult, SyncEvent};
use super::types::{Change, ObjectType, Op, OpKind, Plan};
use crate::mapping::model::MappingSet;
use crate::model::SysId;
use crate::servicenow::{self, Error};
use crate::store::{FailureRow, LogRecord, Store, StoreError};

/// What an applied op produced.
enum Outcome {
    /// Written; the row's sys_id (none for a delete).
    Done(Option<String>),
    /// Not sent: why, as a failure code and reason.
    Unresolved(String),
    Failed(Error),
}

/// One write: table, method, the row (PATCH/DELETE) and the body.
type Request = (String, &'static str, Option<SysId>, Map<String, Value>);

pub struct Applier<'a> {
    pub client: &'a servicenow::Client,
    pub store: &'a Store,
    pub events: &'a broadcast::Sender<SyncEvent>,
    pub mappings: &'a MappingSet,
    pub cycle_id: i64,
    /// Set to stop starting new writes (the ones in flight finish).
    pub stop: &'a AtomicBool,
    /// (type, source id) → sys_id: what references resolve through, updated as ops complete.
    pub links: HashMap<(ObjectType, String), String>,
    /// The links as the store holds them (written only when they change).
    pub stored: HashMap<(ObjectType, String), String>,
    /// The small-tenant rule's tally: see [`Halt`].
    pub halt: Halt,
    /// Reference rows the plan creates, (table, lower-cased value) → their sys_id once created:
    /// the lookup fields of the objects that need them hold the value until then.
    pub refs: HashMap<(String, String), Option<String>>,
}

/// The small-tenant rule: stop writing after [`super::safety::HALT_AFTER`] identical permanent
/// failures in a row when (a) every write of the cycle so far failed alike, or (b) the error is
/// a refused permission (403: a lost role), which every later write would hit too; and after
/// that many rejected logins (401: a password changed mid-cycle) in the cycle at all. The engine then quarantines the job.
#[derive(Debug, Default)]
pub struct Halt {
    any_success: bool,
    failures: u32,
    code: Option<String>,
    streak: u32,
    /// 401s this cycle: a rejected login is never about one object, so they are counted
    /// whatever succeeded in between (requests sent before a password change still succeed
    /// after the first 401s).
    unauthorized: u32,
    /// Set when the cycle stopped under the rule: the code and the error's text.
    pub halted: Option<(String, String)>,
}

impl Halt {
    fn success(&mut self) {
        self.any_success = true;
        self.streak = 0;
    }

    fn failure(&mut self, code: &str, transient: bool, message: &str) {
        if transient {
            return;
        }
        self.failures += 1;
        if self.code.as_deref() == Some(code) {
            self.streak += 1;
        } else {
            self.code = Some(code.to_owned());
            self.streak = 1;
        }
        if code == "ServiceNowUnauthorized" {
            self.unauthorized += 1;
        }
        let limit = super::safety::HALT_AFTER;
        let forbidden = code == "ServiceNowForbidden";
        let all_alike = !self.any_success && self.streak == self.failures;
        let halt = self.unauthorized >= limit || (self.streak >= limit && (forbidden || all_alike));
        if halt && self.halted.is_none() {
            self.halted = Some((code.to_owned(), message.to_owned()));
        }
    }
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

/// Entra-style code for a ServiceNow failure.
fn error_code(e: &Error) -> String {
    match e.status() {
        Some(401) => "ServiceNowUnauthorized".into(),
        Some(403) => "ServiceNowForbidden".into(),
        Some(404) => "InvalidAnchor".into(),
        Some(429) => "ServiceNowThrottled".into(),
        Some(400) => "ServiceNowBadRequest".into(),
        Some(s) if s >= 500 => "ServiceNowServerError".into(),
        _ if e.is_transient() => "ServiceNowTransientError".into(),
        _ => "ServiceNowError".into(),
    }
}

impl Applier<'_> {
    fn table(&self, op: &Op) -> String {
        match op.object_type {
            ObjectType::User => self.mappings.user.target_table.clone(),
            ObjectType::Group => self.mappings.group.target_table.clone(),
            ObjectType::Membership => self
                .mappings
                .group
                .members_table
                .clone()
                .unwrap_or_else(|| "sys_user_grmember".into()),
        }
    }

    fn sys_id(&self, ot: ObjectType, source_id: &str) -> Option<String> {
        self.links.get(&(ot, source_id.to_owned())).cloned()
    }

    /// The request an op sends, or why it cannot be sent.
    fn request(&self, op: &Op) -> Result<Option<Request>, String> {
        let table = self.table(op);
        let own = || -> Result<SysId, String> {
            let id = op
                .target_id
                .clone()
                .or_else(|| self.sys_id(op.object_type, &op.source_id))
                .ok_or_else(|| format!("{} was not provisioned", op.source_name))?;
            SysId::parse(&id).map_err(|e| e.to_string())
        };
        Ok(Some(match &op.kind {
            OpKind::Create { fields: f } => (table, "POST", None, self.resolve_created(op, fields(f))?),
            OpKind::Update { diff } | OpKind::Disable { diff } => {
                (table, "PATCH", Some(own()?), self.resolve_created(op, fields(diff))?)
            }
            OpKind::CreateReference { table, field, value } => {
                let mut m = Map::new();
                m.insert(field.clone(), json!(value));
                (table.clone(), "POST", None, m)
            }
            OpKind::Delete | OpKind::RemoveMember => (table, "DELETE", Some(own()?), Map::new()),
            OpKind::AddMember => {
                let group = self
                    .sys_id(ObjectType::Group, &op.source_id)
                    .ok_or("the group was not provisioned")?;
                let member = op.member_id.as_deref().unwrap_or_default();
                let user = self
                    .sys_id(ObjectType::User, member)
                    .ok_or("the user was not provisioned")?;
                let mut m = Map::new();
                m.insert("group".into(), json!(group));
                m.insert("user".into(), json!(user));
                (table, "POST", None, m)
            }
            OpKind::SetReference { attribute, source_id } => {
                let to = self
                    .sys_id(ObjectType::User, source_id)
                    .ok_or_else(|| format!("{attribute}: the referenced user was not provisioned"))?;
                let mut m = Map::new();
                m.insert(attribute.clone(), json!(to));
                (table, "PATCH", Some(own()?), m)
            }
            OpKind::Skip { .. } | OpKind::Error(_) | OpKind::StagedDelete => return Ok(None),
        }))
    }

    /// Swaps the values of lookup fields that name a row created in this cycle for its sys_id;
    /// fails the object when that row could not be created.
    fn resolve_created(&self, op: &Op, mut body: Map<String, Value>) -> Result<Map<String, Value>, String> {
        let mapping = match op.object_type {
            ObjectType::User => &self.mappings.user,
            ObjectType::Group => &self.mappings.group,
            ObjectType::Membership => return Ok(body),
        };
        for (attribute, v) in body.iter_mut() {
            let (Some((table, _)), Some(text)) = (super::plan::lookup_of(mapping, attribute), v.as_str()) else {
                continue;
            };
            match self.refs.get(&(table.to_owned(), text.to_lowercase())) {
                Some(Some(sys_id)) => *v = json!(sys_id),
                Some(None) => return Err(format!("{attribute}: the {table} row '{text}' could not be created")),
                None => {}
            }
        }
        Ok(body)
    }

    /// Applies every op; returns the cycle's statistics.
    pub async fn apply(&mut self, plan: &Plan) -> Result<CycleStats, StoreError> {
        let started = Instant::now();
        for key in super::plan::created(&plan.ops) {
            self.refs.entry(key).or_insert(None);
        }
        let mut stats = CycleStats::default();
        let total = plan.ops.len() as u64;
        let mut done = 0u64;
        let ceiling = self.client.options().max_in_flight.max(1);
        for ph in 0..5u8 {
            let mut inflight = FuturesUnordered::new();
            let mut ops = plan.ops.iter().filter(|op| phase(op) == ph);
            loop {
                while inflight.len() < ceiling && !self.stop.load(Ordering::SeqCst) && self.halt.halted.is_none() {
                    let Some(op) = ops.next() else { break };
                    let t0 = Instant::now();
                    match self.request(op) {
                        Ok(None) => {
                            self.record(op, Outcome::Done(op.target_id.clone()), t0, &mut stats)?;
                            done += 1;
                        }
                        Err(why) => {
                            self.record(op, Outcome::Unresolved(why), t0, &mut stats)?;
                            done += 1;
                        }
                        Ok(Some((table, method, sys_id, body))) => {
                            let intent = self.store.intent(self.cycle_id, &table, method, &op.source_id)?;
                            let client = self.client.clone();
                            inflight.push(async move {
                                let result = match (method, sys_id) {
                                    ("POST", _) => client
                                        .create(&table, &body)
                                        .await
                                        .map(|r| r.sys_id().map(|s| s.to_string())),
                                    ("PATCH", Some(id)) => {
                                        client.update(&table, &id, &body).await.map(|_| Some(id.to_string()))
                                    }
                                    (_, Some(id)) => client.delete(&table, &id).await.map(|()| None),
                                    (_, None) => Ok(None),
                                };
                                (op, intent, t0, result)
                            });
                        }
                    }
                }
                let Some((op, intent, t0, result)) = inflight.next().await else {
                    break;
                };
                stats.writes += 1;
                let outcome = match result {
                    Ok(sys_id) => {
                        self.store.intent_done(intent, sys_id.as_deref())?;
                        self.halt.success();
                        Outcome::Done(sys_id)
                    }
                    Err(e) => {
                        self.halt.failure(&error_code(&e), e.is_transient(), &e.to_string());
                        Outcome::Failed(e)
                    }
                };
                self.record(op, outcome, t0, &mut stats)?;
                done += 1;
                let _ = self.events.send(SyncEvent::Progress {
                    cycle_id: self.cycle_id,
                    done,
                    total,
                });
            }
            if self.stop.load(Ordering::SeqCst) || self.halt.halted.is_some() {
                break;
            }
        }
        stats.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(stats)
    }

    fn record(&mut self, op: &Op, outcome: Outcome, t0: Instant, stats: &mut CycleStats) -> Result<(), StoreError> {
        let ot = op.object_type;
        let key = ot.as_str();
        let (status, code, reason, action, target) = match outcome {
            Outcome::Done(sys_id) => {
                let (status, code, reason, action) = match &op.kind {
                    OpKind::Skip { reason } => ("skipped", None, reason.clone(), None),
                    OpKind::Error(f) => (
                        "failure",
                        Some(f.code.clone()),
                        f.reason.clone(),
                        Some(f.recommended_action.clone()),
                    ),
                    OpKind::StagedDelete => ("skipped", None, "held back by the deletion threshold".into(), None),
                    _ => ("success", None, String::new(), None),
                };
                match &op.kind {
                    OpKind::Create { .. } | OpKind::CreateReference { .. } => stats.created += 1,
                    OpKind::Update { .. } | OpKind::SetReference { .. } => stats.updated += 1,
                    OpKind::Disable { .. } => stats.disabled += 1,
                    OpKind::Delete => stats.deleted += 1,
                    OpKind::AddMember => stats.members_added += 1,
                    OpKind::RemoveMember => stats.members_removed += 1,
                    OpKind::Skip { .. } | OpKind::StagedDelete => stats.skipped += 1,
                    OpKind::Error(_) => stats.failed += 1,
                }
                if let (OpKind::CreateReference { table, value, .. }, Some(id)) = (&op.kind, &sys_id) {
                    self.refs
                        .insert((table.clone(), value.to_lowercase()), Some(id.clone()));
                }
                let linked = !matches!(op.kind, OpKind::SetReference { .. } | OpKind::CreateReference { .. });
                if ot != ObjectType::Membership && linked {
                    match (&op.kind, &sys_id) {
                        (OpKind::Delete, _) => {
                            self.store.remove_link(key, &op.source_id)?;
                            self.links.remove(&(ot, op.source_id.clone()));
                            self.stored.remove(&(ot, op.source_id.clone()));
                        }
                        (OpKind::Error(_), _) | (_, None) => {}
                        (_, Some(id)) => {
                            self.links.insert((ot, op.source_id.clone()), id.clone());
                            if self.stored.get(&(ot, op.source_id.clone())) != Some(id) {
                                self.store.set_link(key, &op.source_id, &op.source_name, id)?;
                                self.stored.insert((ot, op.source_id.clone()), id.clone());
                            }
                        }
                    }
                }
                if op.kind.writes() {
                    self.store.clear_failure(key, &op.source_id)?;
                }
                // A planned failure is an escrow too: `logs --escrow` lists it; planning
                // retries it every cycle (it costs no write), so it succeeds as soon as the
                // data it lacked exists.
                if let (OpKind::Error(f), true) = (&op.kind, ot != ObjectType::Membership) {
                    self.store
                        .note_failure(key, &op.source_id, &op.source_name, &op.hash, &f.code)?;
                }
                (status, code, reason, action, sys_id.or_else(|| op.target_id.clone()))
            }
            Outcome::Unresolved(why) => {
                stats.failed += 1;
                let code = "ReferenceNotProvisioned".to_owned();
                (
                    "failure",
                    Some(code),
                    why,
                    Some("fix the failure of the object it depends on; it is retried next cycle".into()),
                    op.target_id.clone(),
                )
            }
            Outcome::Failed(e) => {
                stats.failed += 1;
                let code = error_code(&e);
                let transient = e.is_transient();
                if ot != ObjectType::Membership {
                    self.store.set_failure(
                        key,
                        &op.source_id,
                        &FailureRow {
                            hash: op.hash.clone(),
                            code: code.clone(),
                            transient,
                            attempts: 0,
                        },
                    )?;
                }
                let action = if transient {
                    "retried in the next cycle"
                } else {
                    "fix the cause in ServiceNow (permissions, field rules); retried when the object changes"
                };
                (
                    "failure",
                    Some(code),
                    e.to_string(),
                    Some(action.into()),
                    op.target_id.clone(),
                )
            }
        };
        // "In sync" objects are counted, not logged: a quiet cycle leaves a quiet log.
        if matches!(&op.kind, OpKind::Skip { reason } if reason.starts_with("in sync")) {
            return Ok(());
        }
        let modified = match &op.kind {
            OpKind::Create { fields } => serde_json::to_value(fields),
            OpKind::Update { diff } | OpKind::Disable { diff } => serde_json::to_value(diff),
            OpKind::SetReference { attribute, source_id } => {
                Ok(json!([{"attribute": attribute, "old": null, "new": source_id}]))
            }
            OpKind::CreateReference { table, field, value } => {
                Ok(json!([{"attribute": format!("{table}.{field}"), "old": null, "new": value}]))
            }
            _ => Ok(json!([])),
        }
        .unwrap_or(Value::Null);
        let mut steps = serde_json::to_value(&op.steps).unwrap_or(Value::Null);
        if let Value::Array(a) = &mut steps {
            a.push(json!({"name": "Action", "status": status, "detail": format!("{} {}", op.kind.action(), reason).trim().to_owned()}));
        }
        let record = LogRecord {
            cycle_id: self.cycle_id,
            change_id: format!("{}-{}-{}", self.cycle_id, key, op.hash),
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            object_type: key.to_owned(),
            source_id: op
                .member_id
                .clone()
                .map_or_else(|| op.source_id.clone(), |m| format!("{}/{m}", op.source_id)),
            source_name: op.source_name.clone(),
            target_id: target.clone(),
            action: op.kind.action().to_owned(),
            status: status.to_owned(),
            error_code: code.clone(),
            reason: reason.clone(),
            recommended_action: action,
            steps,
            modified_properties: modified,
            duration_ms: u64::try_from(t0.elapsed().as_millis()).unwrap_or(0),
        };
        self.store.append_log(&record)?;
        let _ = self.events.send(SyncEvent::ObjectDone {
            cycle_id: self.cycle_id,
            result: ObjectResult {
                object_type: ot,
                source_id: op.source_id.clone(),
                source_name: op.source_name.clone(),
                target_id: target,
                action: op.kind.action().to_owned(),
                status: status.to_owned(),
                error_code: code,
                reason,
            },
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Halt;

    #[test]
    fn the_halt_counts_401s_across_successes_and_needs_alike_failures_otherwise() {
        let mut h = Halt::default();
        for _ in 0..4 {
            h.failure("ServiceNowBadRequest", false, "x");
        }
        h.failure("ServiceNowBadRequest", true, "transient: ignored");
        assert!(h.halted.is_none());
        h.failure("ServiceNowBadRequest", false, "x");
        assert_eq!(h.halted.as_ref().map(|(c, _)| c.as_str()), Some("ServiceNowBadRequest"));

        let mut h = Halt::default();
        h.success();
        for _ in 0..10 {
            h.failure("ServiceNowBadRequest", false, "data");
        }
        assert!(h.halted.is_none(), "data failures after a success are per object");
        for _ in 0..4 {
            h.failure("ServiceNowUnauthorized", false, "401");
            h.success();
        }
        assert!(h.halted.is_none());
        h.failure("ServiceNowUnauthorized", false, "401");
        assert!(h.halted.is_some(), "five 401s in a cycle halt it");
    }
}
