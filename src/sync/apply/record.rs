//! What `apply` does with each op's outcome: the cycle's statistics, the link (set, moved or
//! removed), the retry queue (failures and escrows), the provisioning-log record and the
//! [`SyncEvent::ObjectDone`] event.

use std::time::Instant;

use super::{Applier, Outcome, error_code};
use crate::store::{FailureRow, LogRecord, StoreError};
use crate::sync::event::{CycleStats, ObjectResult, SyncEvent};
use crate::sync::op::{Change, ObjectType, Op, OpKind, Step};
use crate::sync::outcome::{FailureCode, SkipReason, Status};

/// One outcome as the log records it.
struct Recorded {
    status: Status,
    code: Option<FailureCode>,
    reason: String,
    recommended_action: Option<String>,
    target_id: Option<String>,
    /// A planned failure as the object failed in an earlier cycle: same code, same op hash.
    known: bool,
}

impl Applier<'_> {
    pub(super) fn record(
        &mut self,
        op: &Op,
        outcome: Outcome,
        t0: Instant,
        stats: &mut CycleStats,
    ) -> Result<(), StoreError> {
        let recorded = match outcome {
            Outcome::Done(sys_id) => self.done(op, sys_id, stats)?,
            Outcome::Unresolved(why) => Recorded {
                status: Status::Failure,
                code: Some(why.code()),
                reason: why.to_string(),
                recommended_action: Some(
                    "fix the failure of the object it depends on; it is retried next cycle".into(),
                ),
                // The object's own row when it has one (a `SetReference` carries none).
                target_id: op.target_id.clone().or_else(|| match op.object_type {
                    ObjectType::Membership => None,
                    ot => self.sys_id(ot, &op.source_id),
                }),
                known: false,
            },
            Outcome::Failed(e) => self.failed(op, &e)?,
        };
        if recorded.status == Status::Failure {
            let object = (
                op.object_type,
                op.source_id.to_string(),
                op.member_id.as_ref().map(ToString::to_string),
            );
            if self.failed_objects.insert(object) {
                stats.failed += 1;
                let reference = op.object_type == ObjectType::Membership
                    || matches!(op.kind, OpKind::SetReference { .. })
                    || recorded.code == Some(FailureCode::ReferenceNotProvisioned);
                let count = if recorded.known {
                    &mut self.failures.known
                } else if reference {
                    &mut self.failures.references
                } else {
                    &mut self.failures.new
                };
                *count += 1;
            }
        }
        // "In sync" objects are counted, not logged: a quiet cycle leaves a quiet log.
        if matches!(
            &op.kind,
            OpKind::Skip {
                reason: SkipReason::InSync
            }
        ) {
            return Ok(());
        }
        self.log(op, recorded, t0)
    }

    /// Written, or nothing to write: statistics, links, the retry queue.
    fn done(&mut self, op: &Op, sys_id: Option<String>, stats: &mut CycleStats) -> Result<Recorded, StoreError> {
        let (status, code, reason, recommended_action) = match &op.kind {
            OpKind::Skip { reason } => (Status::Skipped, None, reason.to_string(), None),
            OpKind::Error(f) => (
                Status::Failure,
                Some(f.code),
                f.reason.clone(),
                Some(f.recommended_action.clone()),
            ),
            OpKind::StagedDelete { .. } => (
                Status::Skipped,
                None,
                "held back by the deletion threshold".into(),
                None,
            ),
            _ => (Status::Success, None, String::new(), None),
        };
        count(&op.kind, stats);
        if let (OpKind::CreateReference(r), Some(id)) = (&op.kind, &sys_id) {
            self.refs
                .insert((r.table.clone(), r.value.to_lowercase()), Some(id.clone()));
        }
        self.link(op, sys_id.as_deref())?;
        let ot = op.object_type;
        // Written, or out of scope never provisioned (nothing of it to retry): off the queue.
        let left = matches!(
            op.kind,
            OpKind::Skip {
                reason: SkipReason::LeftScope { .. }
            }
        );
        if op.kind.writes() || left {
            self.cx.store.clear_failure(ot, &op.source_id)?;
        }
        // A planned failure is an escrow too: `logs --escrow` lists it; planning retries it
        // every cycle (it costs no write), so it succeeds as soon as the data it lacked exists.
        // Failing again as before (the same code, the op unchanged) is no new failure event.
        let mut known = false;
        if let (OpKind::Error(f), true) = (&op.kind, ot != ObjectType::Membership) {
            known = self
                .cx
                .store
                .failure_of(ot, &op.source_id)?
                .is_some_and(|(hash, code)| op.hash == hash && code == f.code.as_str());
            self.cx
                .store
                .note_failure(ot, &op.source_id, &op.source_name.text(), &op.hash, f.code.as_str())?;
        }
        Ok(Recorded {
            status,
            code,
            reason,
            recommended_action,
            target_id: sys_id.or_else(|| op.target_id.clone()),
            known,
        })
    }

    /// The object's link after a completed op: removed by a delete, set to the row written.
    fn link(&mut self, op: &Op, sys_id: Option<&str>) -> Result<(), StoreError> {
        let ot = op.object_type;
        let links_row = !matches!(op.kind, OpKind::SetReference { .. } | OpKind::CreateReference(_));
        if ot == ObjectType::Membership || !links_row {
            return Ok(());
        }
        let key = (ot, op.source_id.to_string());
        match (&op.kind, sys_id) {
            (OpKind::Delete, _) => {
                self.cx.store.remove_link(ot, &op.source_id)?;
                self.links.remove(&key);
                self.gone.insert(key.clone());
                self.written.insert(key, None);
            }
            (OpKind::Error(_), _) | (_, None) => {}
            (_, Some(id)) => {
                self.links.insert(key.clone(), id.to_owned());
                self.gone.remove(&key);
                let in_store = match self.written.get(&key) {
                    Some(now) => now.as_deref(),
                    None => self.stored.get(&key).map(String::as_str),
                };
                if in_store != Some(id) {
                    self.cx.store.set_link(ot, &op.source_id, &op.source_name.text(), id)?;
                    self.written.insert(key, Some(id.to_owned()));
                }
            }
        }
        Ok(())
    }

    /// A write ServiceNow refused (after the client's retries): into the retry queue, as
    /// transient (retried next cycle) or permanent (an escrow, retried on its schedule or when
    /// the object changes).
    fn failed(&mut self, op: &Op, e: &crate::servicenow::Error) -> Result<Recorded, StoreError> {
        let code = error_code(e);
        let transient = e.retry_next_cycle();
        if op.object_type != ObjectType::Membership {
            let row = FailureRow {
                hash: op.hash.to_string(),
                code: code.to_string(),
                transient,
                attempts: 0,
            };
            self.cx.store.set_failure(op.object_type, &op.source_id, &row)?;
        }
        let (reason, action) = match e {
            crate::servicenow::Error::Forbidden { ctx, message, .. } => {
                // The instance's own words, on one line: they name the rule or the fields.
                let said: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
                (
                    format!("{ctx}: the instance refused this record (403): \"{said}\""),
                    refusal_action(code),
                )
            }
            _ if transient => (e.to_string(), "retried in the next cycle"),
            _ => (
                e.to_string(),
                "fix the cause in ServiceNow (permissions, field rules); retried when the object changes",
            ),
        };
        Ok(Recorded {
            status: Status::Failure,
            code: Some(code),
            // ServiceNow's message may quote what was sent ("Duplicate entry '…'").
            reason: crate::sync::redact::scrub(&reason, &redacted_values(&op.kind)),
            recommended_action: Some(action.into()),
            target_id: op.target_id.clone(),
            known: false,
        })
    }

    /// The result: the provisioning-log record, the event (and the kept result).
    fn log(&mut self, op: &Op, r: Recorded, t0: Instant) -> Result<(), StoreError> {
        let mut steps = op.steps.to_vec();
        steps.push(Step {
            name: "Action".into(),
            status: r.status,
            detail: format!("{} {}", op.kind.action(), r.reason).trim().to_owned().into(),
        });
        let result = ObjectResult {
            cycle_id: self.cycle_id,
            change_id: format!("{}-{}-{}", self.cycle_id, op.object_type, op.hash),
            time: chrono::Utc::now(),
            object_type: op.object_type,
            source_id: op.source_id.to_string(),
            member_id: op.member_id.as_ref().map(|m| m.to_string()),
            source_name: op.source_name.to_string(),
            target_id: r.target_id,
            action: op.kind.action(),
            status: r.status,
            error_code: r.code,
            reason: r.reason,
            recommended_action: r.recommended_action,
            steps,
            modified_properties: self.named(self.written(modified(&op.kind)), &op.kind),
            duration_ms: u64::try_from(t0.elapsed().as_millis()).unwrap_or(0),
        };
        self.cx.store.append_log(&LogRecord::from(&result))?;
        if let Some(results) = &mut self.results {
            results.push(result.clone());
        }
        self.cx.emit(SyncEvent::ObjectDone {
            cycle_id: self.cycle_id,
            result,
        });
        Ok(())
    }
}

impl Applier<'_> {
    /// A `SetReference`'s change names the user it refers to (its `new` stays that user's
    /// source id, for machines): the log and the console's detail say `manager: (none) →
    /// boss@x.com`, never an Entra object id alone (issue 14).
    fn named(&self, mut changes: Vec<Change>, kind: &OpKind) -> Vec<Change> {
        if let OpKind::SetReference { source_id, .. } = kind {
            for c in &mut changes {
                // Written: the row's sys_id, as any reference's `new`.
                if let Some(sys_id) = self.sys_id(ObjectType::User, source_id) {
                    c.new = Some(sys_id.into());
                }
                c.set_display(None, Some(self.user_name(source_id)));
            }
        }
        changes
    }

    /// The changes as written: a pending reference holds the sys_id sent in its place (its
    /// display value stays the person's name); one left out (its user was not created) is not
    /// listed, its own `SetReference` failure says so.
    fn written(&self, changes: Vec<Change>) -> Vec<Change> {
        changes
            .into_iter()
            .filter_map(|mut c| {
                if c.pending {
                    c.new = Some(self.sys_id(ObjectType::User, c.new.as_deref()?)?.into());
                    c.pending = false;
                }
                Some(c)
            })
            .collect()
    }
}

/// What to do about a 403, by its code.
fn refusal_action(code: FailureCode) -> &'static str {
    match code {
        FailureCode::ServiceNowDataPolicy => {
            "give the object the fields the data policy makes mandatory (map them in the mappings, or fill them in Entra); retried when the object changes"
        }
        FailureCode::ServiceNowBusinessRule => {
            "ask the instance's admin about the business rule the message names, or scope the object out; retried when the object changes"
        }
        FailureCode::DuplicateTargetEntries => {
            "another row already holds this unique value: find it in ServiceNow and change or remove it; retried when the object changes"
        }
        _ => {
            "the integration account may not write this record: give it the rights (user_admin or admin role) or change the ACL; retried when the object changes"
        }
    }
}

/// The op counted in the cycle's statistics.
fn count(kind: &OpKind, stats: &mut CycleStats) {
    match kind {
        OpKind::Create { .. } | OpKind::CreateReference(_) => stats.created += 1,
        OpKind::Update { .. } | OpKind::SetReference { .. } => stats.updated += 1,
        OpKind::Disable { .. } => stats.disabled += 1,
        OpKind::Delete => stats.deleted += 1,
        OpKind::AddMember => stats.members_added += 1,
        OpKind::RemoveMember => stats.members_removed += 1,
        OpKind::Skip { .. } | OpKind::StagedDelete { .. } => stats.skipped += 1,
        // Counted by object with the other failures (`Applier::record`).
        OpKind::Error(_) => {}
    }
}

/// The values of an op's redacted changes, hidden from what is recorded of its failure.
fn redacted_values(kind: &OpKind) -> Vec<&str> {
    match kind {
        OpKind::Create { fields: changes } | OpKind::Update { diff: changes } | OpKind::Disable { diff: changes } => {
            changes
                .iter()
                .filter(|c| c.redacted)
                .flat_map(|c| [c.old(), c.new.as_deref()])
                .flatten()
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The log's `modified_properties`: the changes an op carries.
fn modified(kind: &OpKind) -> Vec<Change> {
    let set = |attribute: String, new: &str| Change::new(attribute, None, Some(new.to_owned()));
    match kind {
        OpKind::Create { fields } => fields.clone(),
        OpKind::Update { diff } | OpKind::Disable { diff } => diff.clone(),
        OpKind::SetReference { attribute, source_id } => vec![set(attribute.clone(), source_id)],
        OpKind::CreateReference(r) => vec![set(format!("{}.{}", r.table, r.field), &r.value)],
        _ => Vec::new(),
    }
}
