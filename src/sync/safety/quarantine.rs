//! The quarantine (spec §2.7): decided after each real cycle — a tripped threshold, the
//! small-tenant rule, a cycle refused at login, or Entra's escrow thresholds start (or
//! continue) one; a good cycle ends it — mailed once per reason through `notify`, and the
//! back-off of scheduled cycles while it lasts.

use chrono::{DateTime, Utc};

use super::escrow::{parse_time, rfc3339};
use super::{Verdict, rules};
use crate::notify::{self, Kind, Reason};
use crate::store::QuarantineRow;
use crate::sync::cycle::Context;
use crate::sync::error::CycleError;
use crate::sync::event::{CycleStats, LogLevel, SyncEvent};
use crate::sync::outcome::{Action, FailureCode};

/// Decides the quarantine after a real cycle.
pub(crate) async fn judge(cx: &Context, cycle_id: Option<i64>, stats: &CycleStats, verdict: Verdict) {
    let reason = if verdict.tripped.is_some() {
        Some(Reason::TooManyDeletes)
    } else if let Some((code, _)) = &verdict.halted {
        Some(if code.is_credentials() {
            Reason::CredentialsRejected
        } else {
            Reason::TooManyFailures
        })
    } else if rules::escrow_threshold(
        verdict.failures.new,
        verdict.failures.references,
        stats.writes.max(verdict.failures.new),
    ) {
        Some(Reason::TooManyFailures)
    } else {
        None
    };
    let saved = match reason {
        Some(reason) => start(cx, cycle_id, stats, reason, verdict).await,
        None => good_cycle(cx, cycle_id),
    };
    if let Err(e) = saved {
        cx.log(LogLevel::Warn, format!("quarantine state not saved: {e}"));
    }
}

/// A cycle that failed whole: rejected credentials stop every cycle alike, so quarantine (and
/// back off) as Entra does for invalid credentials, rather than retrying on the interval.
pub(crate) async fn cycle_failed(cx: &Context, cycle_id: Option<i64>, e: &CycleError) {
    let CycleError::ServiceNow(se) = e else { return };
    let code = match se.status() {
        Some(401) => FailureCode::ServiceNowUnauthorized,
        Some(403) => FailureCode::ServiceNowForbidden,
        _ => return,
    };
    let verdict = Verdict {
        tripped: None,
        halted: Some((code, e.to_string())),
        failures: Default::default(),
    };
    judge(cx, cycle_id, &CycleStats::default(), verdict).await;
}

/// When a quarantined job's next scheduled cycle may run.
pub(crate) fn until(cx: &Context) -> Option<DateTime<Utc>> {
    let q = cx.store.quarantine().ok()??;
    q.next_attempt.as_deref().and_then(parse_time)
}

/// Ends the quarantine: the next one mails again, even for the same reason.
pub(super) fn end(cx: &Context, cycle_id: Option<i64>) -> Result<(), CycleError> {
    cx.store.clear_quarantine()?;
    let state = notify::StateFile::in_data_dir(&cx.data_dir);
    if let Ok(mut d) = state.load() {
        d.clear(&cx.profile.name);
        let _ = state.save(&d);
    }
    emit(cx, cycle_id, None, None);
    Ok(())
}

/// A good cycle ends a quarantine, and replaces whatever was staged: every cycle planned the
/// staged objects again (an incremental one touches them, `cycle::read_target`), and this one
/// found them below the threshold or no longer leaving; the next trip stages afresh.
fn good_cycle(cx: &Context, cycle_id: Option<i64>) -> Result<(), CycleError> {
    if !cx.store.staged()?.is_empty() {
        cx.store.clear_staged()?;
        super::staged::said(cx)?;
    }
    if cx.store.quarantine()?.is_some() {
        end(cx, cycle_id)?;
    }
    Ok(())
}

/// Starts or continues the quarantine, and mails about it.
async fn start(
    cx: &Context,
    cycle_id: Option<i64>,
    stats: &CycleStats,
    reason: Reason,
    verdict: Verdict,
) -> Result<(), CycleError> {
    let before = cx.store.quarantine()?;
    let now = Utc::now();
    let series = before.as_ref().map_or(0, |q| q.series_count) + 1;
    let next = now + rules::quarantine_backoff(series);
    let detail = match (&verdict.tripped, &verdict.halted) {
        (Some((limit, held)), _) => threshold_detail(&limit.to_string(), &super::staged::held_text(held)),
        (_, Some((code, message))) => format!("{code}: {message}"),
        _ => {
            let f = verdict.failures;
            format!(
                "{} objects newly failed, {} writes; {} reference failures; {} failing as before (not counted)",
                f.new, stats.writes, f.references, f.known
            )
        }
    };
    let row = QuarantineRow {
        reason: reason.as_str().to_owned(),
        since: before.as_ref().map_or_else(|| rfc3339(now), |q| q.since.clone()),
        next_attempt: Some(rfc3339(next)),
        series_count: series,
        detail,
    };
    cx.store.set_quarantine(&row)?;
    emit(cx, cycle_id, Some(row.reason.clone()), row.next_attempt.clone());
    let kind = match (&verdict.tripped, &before) {
        (Some((limit, held)), _) => Kind::DeletionThreshold {
            staged_disables: held.iter().filter(|o| o.kind.action() == Action::Disable).count() as u64,
            staged_deletes: held.iter().filter(|o| o.kind.action() == Action::Delete).count() as u64,
            threshold: *limit,
        },
        (None, Some(q)) if q.reason != reason.as_str() => Kind::ReasonChanged {
            from: q.reason.parse().unwrap_or(Reason::Other(q.reason.clone())),
            to: reason,
        },
        _ => Kind::QuarantineStarted { reason },
    };
    let mut event = notify::Event::new(cx.profile.name.clone(), kind, now);
    event.counts = notify::Counts {
        operations: stats.writes,
        failures: stats.failed,
    };
    event.next_attempt = Some(next);
    if let Some((code, message)) = &verdict.halted {
        event.errors.push(notify::ErrorSample {
            code: code.to_string(),
            object: "ServiceNow".into(),
            message: message.clone(),
        });
    }
    mail(cx, &event).await;
    Ok(())
}

/// How a TooManyDeletes quarantine's detail opens; [`threshold_detail`] writes it whole.
const THRESHOLD_DETAIL: &str = "held by the deletion threshold (";

/// A TooManyDeletes quarantine's detail: the limit that tripped and what is held.
fn threshold_detail(limit: &str, words: &str) -> String {
    format!("{THRESHOLD_DETAIL}{limit}): {words}")
}

/// The staged set changed while a TooManyDeletes quarantine goes on (a provision on demand
/// applied some of it): its detail says what is held now, with the limit that tripped, so
/// `status` never shows counts of before (acceptance N15).
pub(super) fn held_changed(cx: &Context, held: crate::sync::HeldCounts) -> Result<(), CycleError> {
    let Some(mut q) = cx.store.quarantine()? else {
        return Ok(());
    };
    if q.reason != Reason::TooManyDeletes.as_str() {
        return Ok(());
    }
    // The limit is the one this module wrote into the detail when the threshold tripped.
    let limit = q
        .detail
        .strip_prefix(THRESHOLD_DETAIL)
        .and_then(|rest| rest.split_once("): "))
        .map_or_else(
            || cx.profile.provisioning.deletion_threshold.to_string(),
            |(l, _)| l.to_owned(),
        );
    q.detail = threshold_detail(&limit, &held.words().unwrap_or_else(|| "nothing".to_owned()));
    cx.store.set_quarantine(&q)?;
    Ok(())
}

fn emit(cx: &Context, cycle_id: Option<i64>, reason: Option<String>, next_attempt: Option<String>) {
    cx.emit(SyncEvent::Quarantine {
        cycle_id,
        reason,
        next_attempt,
    });
}

/// Mails the event through `[notification]` when configured, once per reason.
async fn mail(cx: &Context, event: &notify::Event) {
    let Some(settings) = cx.profile.notification.clone() else {
        return;
    };
    let password = if settings.smtp_user.is_some() {
        let (name, store) = (cx.profile.name.clone(), cx.profile.secrets.store);
        let got = tokio::task::spawn_blocking(move || {
            crate::secrets::Secrets::new(&name, store).lookup(crate::secrets::SecretName::SmtpPassword)
        })
        .await;
        match got {
            Ok(Ok(Some((secret, _)))) => Some(secret),
            _ => {
                cx.log(
                    LogLevel::Warn,
                    "notification not sent: the secret smtp-password is not set".to_owned(),
                );
                return;
            }
        }
    } else {
        None
    };
    let state = notify::StateFile::in_data_dir(&cx.data_dir);
    match notify::Notifier::new(&cx.profile.name, &settings, password) {
        Ok(n) => match n.notify(&state, event).await {
            Ok(notify::Delivery::Sent) => cx.log(LogLevel::Info, format!("notification sent to {}", settings.email)),
            Ok(notify::Delivery::AlreadySent { reason }) => cx.log(
                LogLevel::Info,
                format!("notification not sent again: already sent for {reason}"),
            ),
            Err(e) => cx.log(LogLevel::Warn, format!("notification not sent: {e}")),
        },
        Err(e) => cx.log(LogLevel::Warn, format!("notification not sent: {e}")),
    }
}
