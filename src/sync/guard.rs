//! The engine's safety at run time (issue 8): the deletion threshold held on a planned cycle,
//! the quarantine decided after a cycle (and the notification mail it sends), the escrow
//! schedule written after a cycle, and `allow-deletes` applying exactly the staged set.
//!
//! The rules themselves are pure, in [`super::safety`]; this file only reads and writes the
//! store, sends events and mails.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::apply::Halt;
use super::engine::Engine;
use super::error::CycleError;
use super::event::{CycleStats, LogLevel, SyncEvent};
use super::safety;
use super::types::{Op, Plan};
use crate::notify::{self, Kind, Reason};
use crate::store::{QuarantineRow, StagedRow};

/// A tripped threshold: the limit exceeded and the held ops.
pub(super) type Tripped = (u64, Vec<Op>);

/// What happened in a cycle that the quarantine decision needs.
#[derive(Debug, Default)]
pub(super) struct Verdict {
    /// The deletion threshold tripped: the limit and how many were held.
    pub tripped: Option<Tripped>,
    /// The small-tenant rule stopped the cycle: code and message.
    pub halted: Option<(String, String)>,
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.to_utc())
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Engine {
    /// Holds back every disable and delete when the plan's deletions exceed the threshold. A
    /// real cycle stores the held ops (the staged set) so `allow-deletes` applies exactly them;
    /// a dry run shows the same staged plan and stores nothing (applying that shown plan
    /// stores them then, through [`Engine::persist_staged`]).
    pub(super) fn hold_deletions(
        &self,
        plan: Arc<Plan>,
        cycle_id: i64,
        linked: usize,
        persist: bool,
    ) -> Result<(Arc<Plan>, Option<Tripped>), CycleError> {
        let p = &self.profile.provisioning;
        let Some(limit) = safety::threshold_exceeded(&plan, linked, p.deletion_threshold, p.deletion_threshold_percent)
        else {
            return Ok((plan, None));
        };
        let (staged, held) = safety::stage(&plan);
        if persist {
            self.persist_staged(&held, cycle_id)?;
        }
        Ok((Arc::new(staged), Some((limit, held))))
    }

    /// Stores the staged set (replacing an older one).
    pub(super) fn persist_staged(&self, held: &[Op], cycle_id: i64) -> Result<(), CycleError> {
        let rows: Vec<StagedRow> = held
            .iter()
            .map(|op| StagedRow {
                object_type: op.object_type.as_str().to_owned(),
                source_id: op.source_id.clone(),
                source_name: op.source_name.clone(),
                sys_id: op.target_id.clone().unwrap_or_default(),
                action: op.kind.action().to_owned(),
                cycle_id,
                op: serde_json::to_string(op).unwrap_or_default(),
            })
            .collect();
        self.store().set_staged(&rows)?;
        self.log(
            LogLevel::Warn,
            format!(
                "deletion threshold exceeded: {} disables and deletes staged (nowsync allow-deletes applies them)",
                held.len()
            ),
        );
        Ok(())
    }

    /// Writes each permanent failure's next retry (Entra's escrow schedule).
    pub(super) fn schedule_escrows(&self) -> Result<(), CycleError> {
        for e in self.store().escrows()? {
            let first = e.first_failed.as_deref().and_then(parse_time).unwrap_or_else(Utc::now);
            let p = &self.profile.provisioning;
            let next = safety::escrow_next(first, e.attempts, &p.escrow_retry_hours, p.escrow_days).map(rfc3339);
            if next != e.next_attempt || e.first_failed.is_none() {
                self.store()
                    .schedule_failure(&e.object_type, &e.source_id, &e.source_name, next.as_deref())?;
            }
        }
        Ok(())
    }

    /// Decides the quarantine after a real cycle: a tripped threshold, the small-tenant rule or
    /// Entra's escrow thresholds start (or continue) one; a good cycle ends it.
    pub(super) async fn judge(&self, cycle_id: Option<i64>, stats: &CycleStats, verdict: Verdict) {
        let reason = if verdict.tripped.is_some() {
            Some(Reason::TooManyDeletes)
        } else if let Some((code, _)) = &verdict.halted {
            Some(if code == "ServiceNowUnauthorized" || code == "ServiceNowForbidden" {
                Reason::CredentialsRejected
            } else {
                Reason::TooManyFailures
            })
        } else if safety::escrow_threshold(stats.failed, 0, stats.writes.max(stats.failed)) {
            Some(Reason::TooManyFailures)
        } else {
            None
        };
        if let Err(e) = self.set_quarantine(cycle_id, stats, reason, verdict).await {
            self.log(LogLevel::Warn, format!("quarantine state not saved: {e}"));
        }
    }

    async fn set_quarantine(
        &self,
        cycle_id: Option<i64>,
        stats: &CycleStats,
        reason: Option<Reason>,
        verdict: Verdict,
    ) -> Result<(), CycleError> {
        let store = self.store();
        let before = store.quarantine()?;
        let Some(reason) = reason else {
            if before.is_some() {
                store.clear_quarantine()?;
                // A good cycle replaced whatever was staged: the next trip stages afresh.
                store.clear_staged()?;
                let state = notify::StateFile::in_data_dir(&self.options().data_dir);
                if let Ok(mut d) = state.load() {
                    d.clear(&self.profile.name);
                    let _ = state.save(&d);
                }
                self.emit_quarantine(cycle_id, None, None);
            }
            return Ok(());
        };
        let now = Utc::now();
        let series = before.as_ref().map_or(0, |q| q.series_count) + 1;
        let next = now + safety::quarantine_backoff(series);
        let detail = match (&verdict.tripped, &verdict.halted) {
            (Some((limit, held)), _) => format!("{} deletions staged (threshold {limit})", held.len()),
            (_, Some((code, message))) => format!("{code}: {message}"),
            _ => format!("{} of {} operations failed", stats.failed, stats.writes),
        };
        let row = QuarantineRow {
            reason: reason.as_str().to_owned(),
            since: before.as_ref().map_or_else(|| rfc3339(now), |q| q.since.clone()),
            next_attempt: Some(rfc3339(next)),
            series_count: series,
            detail: detail.clone(),
        };
        store.set_quarantine(&row)?;
        self.emit_quarantine(cycle_id, Some(row.reason.clone()), row.next_attempt.clone());
        let kind = match (&verdict.tripped, &before) {
            (Some((limit, held)), _) => Kind::DeletionThreshold {
                staged_disables: held.iter().filter(|o| o.kind.action() == "disable").count() as u64,
                staged_deletes: held.iter().filter(|o| o.kind.action() == "delete").count() as u64,
                threshold: *limit,
            },
            (None, Some(q)) if q.reason != reason.as_str() => Kind::ReasonChanged {
                from: q.reason.parse().unwrap_or(Reason::Other(q.reason.clone())),
                to: reason,
            },
            _ => Kind::QuarantineStarted { reason },
        };
        let mut event = notify::Event::new(self.profile.name.clone(), kind, now);
        event.counts = notify::Counts {
            operations: stats.writes,
            failures: stats.failed,
        };
        event.next_attempt = Some(next);
        if let Some((code, message)) = &verdict.halted {
            event.errors.push(notify::ErrorSample {
                code: code.clone(),
                object: "ServiceNow".into(),
                message: message.clone(),
            });
        }
        self.mail(&event).await;
        Ok(())
    }

    fn emit_quarantine(&self, cycle_id: Option<i64>, reason: Option<String>, next_attempt: Option<String>) {
        let _ = self.events_sender().send(SyncEvent::Quarantine {
            cycle_id,
            reason,
            next_attempt,
        });
    }

    /// Mails the event through `[notification]` when configured, once per reason.
    async fn mail(&self, event: &notify::Event) {
        let Some(settings) = self.profile.notification.clone() else {
            return;
        };
        let password = if settings.smtp_user.is_some() {
            let (name, store) = (self.profile.name.clone(), self.profile.secrets.store);
            let got = tokio::task::spawn_blocking(move || {
                crate::secrets::Secrets::new(&name, store).lookup(crate::secrets::SecretName::SmtpPassword)
            })
            .await;
            match got {
                Ok(Ok(Some((secret, _)))) => Some(secret),
                _ => {
                    self.log(
                        LogLevel::Warn,
                        "notification not sent: the secret smtp-password is not set".to_owned(),
                    );
                    return;
                }
            }
        } else {
            None
        };
        let state = notify::StateFile::in_data_dir(&self.options().data_dir);
        match notify::Notifier::new(&self.profile.name, &settings, password) {
            Ok(n) => match n.notify(&state, event).await {
                Ok(notify::Delivery::Sent) => {
                    self.log(LogLevel::Info, format!("notification sent to {}", settings.email))
                }
                Ok(notify::Delivery::AlreadySent { reason }) => self.log(
                    LogLevel::Info,
                    format!("notification not sent again: already sent for {reason}"),
                ),
                Err(e) => self.log(LogLevel::Warn, format!("notification not sent: {e}")),
            },
            Err(e) => self.log(LogLevel::Warn, format!("notification not sent: {e}")),
        }
    }

    /// The staged set as a plan (exactly the held ops), or `None` when nothing is staged.
    pub(super) fn staged_plan(&mut self) -> Result<Option<Arc<Plan>>, CycleError> {
        let rows = self.store().staged()?;
        let ops: Vec<Op> = rows.iter().filter_map(|r| serde_json::from_str(&r.op).ok()).collect();
        if ops.is_empty() {
            return Ok(None);
        }
        Ok(Some(Arc::new(Plan::new(
            self.take_plan_id(),
            super::CycleKind::Incremental,
            ops,
        ))))
    }

    /// After `allow-deletes` applied the staged set: forget it, and end a quarantine whose
    /// only reason was the threshold.
    pub(super) fn staged_applied(&self, cycle_id: i64) -> Result<(), CycleError> {
        let store = self.store();
        store.clear_staged()?;
        if store
            .quarantine()?
            .is_some_and(|q| q.reason == Reason::TooManyDeletes.as_str())
        {
            store.clear_quarantine()?;
            let state = notify::StateFile::in_data_dir(&self.options().data_dir);
            if let Ok(mut d) = state.load() {
                d.clear(&self.profile.name);
                let _ = state.save(&d);
            }
            self.emit_quarantine(Some(cycle_id), None, None);
        }
        Ok(())
    }

    /// When a quarantined job's next scheduled cycle may run.
    pub(super) fn quarantine_until(&self) -> Option<DateTime<Utc>> {
        let q = self.store().quarantine().ok()??;
        q.next_attempt.as_deref().and_then(parse_time)
    }
}

/// Halt of the small-tenant rule as a verdict part.
pub(super) fn halted(h: &Halt) -> Option<(String, String)> {
    h.halted.clone()
}
