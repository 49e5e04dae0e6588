//! One provisioning cycle as named stages over one borrowed [`Context`]:
//!
//! ```text
//! begin.rs        store ──► Prior (links, failures not yet due), kind, the cycle's row
//! read_source.rs  Graph: assignments, delta rounds ──► source cache ──► scoped Source
//! read_target.rs  ServiceNow: bulk pages, or only the touched rows ──► Target
//! plan.rs         Rules ──► the pure plan ──► Plan, Totals
//! hold.rs         deletion threshold ──► StagedDelete, staged set      (a dry run ends here)
//! apply.rs        Applier ──► intent, write, link, log record per op
//! commit.rs       escrow schedule, watermarks, intents settled, cycle row, quarantine verdict
//! ```
//!
//! A dry run stops after hold (nothing stored but the cycle row); applying a shown plan skips
//! the reads and the plan. `allow-deletes` (`allow_deletes.rs`) is begin → apply (the staged
//! set) → commit; provision on demand (`on_demand.rs`) is read source → read target → plan →
//! apply for one object's operations. The kind is initial when nothing is linked yet, the rules
//! changed (their hash is stored), or a deltaLink is missing; a reconciliation (both sides read
//! whole although incremental would do) when asked for or `reconcile_hours` have passed
//! (`crate::sync::reconcile`); an expired delta token turns an incremental cycle full,
//! reported. What the reads saw (deltaLinks, assignments, the objects
//! the plan failed) is stored only once the writes are done, so a crash replays them.

mod allow_deletes;
mod apply;
mod begin;
mod commit;
mod hold;
mod on_demand;
mod on_demand_hold;
mod plan;
mod preview;
mod read_source;
mod read_target;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{broadcast, watch};

pub(super) use allow_deletes::allow_deletes;
pub(super) use on_demand::provision;
pub use on_demand::{ObjectReport, OnDemand, Subject};
pub(super) use preview::preview;
pub(super) use read_source::read_source;

use begin::Ask;

use super::error::CycleError;
use super::event::{LogLevel, SyncEvent, Totals};
use super::op::Plan;
use super::safety::Tripped;
use crate::config::ResolvedProfile;
use crate::store::Store;
use crate::sync::target::identity::Identity;
use crate::{graph, servicenow};

/// What every stage reads: the profile with its mappings, the clients, the store and the
/// engine's outward channels. Owned by the engine; a cycle borrows it.
pub(crate) struct Context {
    /// The profile with its mappings, scopes and rules hash, resolved once by `config`.
    pub profile: ResolvedProfile,
    pub snow: servicenow::Client,
    pub graph: graph::Client,
    pub store: Store,
    pub data_dir: PathBuf,
    pub events: broadcast::Sender<SyncEvent>,
    pub last_plan: watch::Sender<Option<Arc<Plan>>>,
    /// Set by Stop: a running cycle finishes its writes in flight and starts no more.
    pub stop: Arc<AtomicBool>,
    /// The instance's identity and the integration account, read by the first cycle that
    /// needs them (a reload with other connection settings starts afresh).
    pub identity: tokio::sync::OnceCell<Identity>,
    /// Set once the state is known to belong to the instance and tenant the profile names
    /// (`safety::binding`), checked before the first cycle's first read.
    pub bound: tokio::sync::OnceCell<()>,
    /// The profile's redaction keys (`crate::sync::redact`).
    pub redaction: Arc<crate::sync::redact::Redaction>,
    /// When a plan is made, and whether a shown one is still valid (`Options::clock`).
    pub clock: crate::sync::Clock,
}

impl Context {
    pub fn emit(&self, event: SyncEvent) {
        let _ = self.events.send(event);
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// The instance's identity and the integration account's sys_id, read once.
    pub async fn identity(&self) -> Result<&Identity, CycleError> {
        let username = self.profile.servicenow.as_ref().map_or("", |sn| sn.username.as_str());
        self.identity
            .get_or_try_init(|| crate::sync::target::identity::read(&self.snow, username))
            .await
    }

    /// Refuses when the state belongs to another instance or tenant (checked once).
    pub async fn bound(&self) -> Result<(), CycleError> {
        self.bound
            .get_or_try_init(|| crate::sync::safety::binding::check(self))
            .await
            .map(|_| ())
    }

    /// Says `message` to the log file and, as [`SyncEvent::Log`], to the engine's consumers:
    /// for what no other event carries.
    pub fn log(&self, level: LogLevel, message: String) {
        match level {
            LogLevel::Debug => tracing::debug!("{message}"),
            LogLevel::Info => tracing::info!("{message}"),
            LogLevel::Warn => tracing::warn!("{message}"),
            LogLevel::Error => tracing::error!("{message}"),
        }
        self.emit(SyncEvent::Log { level, message });
    }
}

/// A cycle failed: the error, and the cycle's id when its row was written.
pub(super) type Failed = (Option<i64>, CycleError);

/// A plan a dry run showed, with what the deletion threshold held back in it.
pub(crate) struct Shown {
    pub plan: Arc<Plan>,
    pub held: Option<Tripped>,
    /// The engine's count of write-capable runs when it was shown: one more since makes it
    /// out of date.
    pub writes: u64,
    /// What the dry run's reads saw: the cycle that applies the plan stores it as a real
    /// cycle would (its deltaLinks), so the next cycle reads the changes since the dry run
    /// instead of everything again.
    pub seen: Option<plan::Seen>,
    /// The profile it was made under: a refusal names what differs from the one in force.
    pub made_under: Box<crate::config::ResolvedProfile>,
}

/// What a cycle does.
pub(super) enum Mode {
    /// Read, plan, hold, apply, commit; `true`: a reconciliation, whatever is due.
    Real(bool),
    /// Read, plan and hold; nothing written; `true`: read as a reconciliation.
    DryRun(bool),
    /// Apply a plan a dry run showed, exactly.
    Shown(Shown),
}

/// Runs one cycle; a dry run returns the plan it showed.
pub(super) async fn run(cx: &Context, mode: Mode, plan_id: u64) -> Result<Option<Shown>, Failed> {
    let dry_run = matches!(mode, Mode::DryRun(_));
    let ask = match mode {
        Mode::Real(true) | Mode::DryRun(true) => Ask::Reconcile,
        Mode::Real(false) | Mode::DryRun(false) => Ask::Due,
        Mode::Shown(_) => Ask::Nothing,
    };
    // The row first (begin reads only the store), so that a cycle refused at its first read —
    // by the binding check, or Graph refusing a permission — is recorded as failed.
    let begun = begin::begin(cx, dry_run, ask).map_err(|e| (None, e))?;
    match stages(cx, mode, plan_id, &begun).await {
        // A dry run's id is the next cycle's, not its own: its failure names no cycle.
        Err(e) if dry_run => Err((None, e)),
        Err(e) => {
            failed(cx, &begun, &e);
            Err((Some(begun.cycle_id), e))
        }
        Ok(shown) => Ok(shown),
    }
}

/// A real cycle failed as a whole: its row is finished with the error (`status`, the console's
/// history), not left without an outcome.
fn failed(cx: &Context, begun: &begin::Begun, e: &CycleError) {
    let stats = super::event::CycleStats {
        error: Some(e.to_string()),
        duration_ms: begun.elapsed_ms(),
        ..Default::default()
    };
    if let Err(store) = commit::finish_row(cx, begun.cycle_id, &stats) {
        tracing::warn!(cycle_id = begun.cycle_id, error = %store, "the failed cycle's row could not be finished");
    }
}

/// The stages after begin: bound, reads, plan, hold; apply and commit for a real cycle.
async fn stages(cx: &Context, mode: Mode, plan_id: u64, begun: &begin::Begun) -> Result<Option<Shown>, CycleError> {
    let dry_run = matches!(mode, Mode::DryRun(_));
    cx.bound().await?;
    let (planned, tripped) = match mode {
        Mode::Shown(shown) => hold::shown(cx, begun, shown)?,
        Mode::Real(_) | Mode::DryRun(_) => {
            // The reads take minutes on a large tenant: a console shows the cycle from here.
            cx.emit(SyncEvent::CycleReading {
                cycle_id: begun.cycle_id,
                kind: begun.kind,
                dry_run,
            });
            let read_at = cx.clock.now();
            let source = read_source(cx, Some(begun)).await?;
            if cx.stopped() {
                return stopped_reading(cx, begun, dry_run);
            }
            let read = read_target::read_target(cx, begun.cycle_id, &begun.prior, source, begun.kind).await?;
            if cx.stopped() {
                return stopped_reading(cx, begun, dry_run);
            }
            let planned = plan::plan(cx, plan_id, begun.cycle_id, read, &begun.prior, read_at);
            hold::hold(cx, begun, planned, !dry_run)?
        }
    };
    announce(cx, begun.cycle_id, dry_run, &planned.plan, planned.totals);
    if dry_run {
        let stats = super::event::CycleStats::planned(&planned.plan.counts);
        commit::finish(cx, begun.cycle_id, true, stats)?;
        return Ok(Some(Shown {
            plan: planned.plan,
            held: tripped,
            writes: 0,
            seen: planned.seen,
            made_under: Box::new(cx.profile.clone()),
        }));
    }
    let applied = apply::apply(cx, begun.cycle_id, &planned.plan, &begun.prior.links, &cx.stop, false).await?;
    commit::commit(cx, begun, planned, applied, tripped).await?;
    Ok(None)
}

/// The admin stopped the cycle before it planned: nothing was written and nothing the reads saw
/// is kept (the watermarks stay), so the next cycle reads the same again. Its row says it was
/// stopped rather than a cycle that found nothing to do.
fn stopped_reading(cx: &Context, begun: &begin::Begun, dry_run: bool) -> Result<Option<Shown>, CycleError> {
    let stats = super::event::CycleStats {
        stopped: Some(super::event::Stopped {
            phase: super::event::StopPhase::Reading,
            done: 0,
            total: 0,
        }),
        duration_ms: begun.elapsed_ms(),
        ..Default::default()
    };
    tracing::info!(cycle_id = begun.cycle_id, "the cycle was stopped while reading");
    commit::finish(cx, begun.cycle_id, dry_run, stats)?;
    Ok(None)
}

/// Tells the consumers what the cycle will do: the plan (also kept for [`super::Handle::last_plan`]),
/// then the cycle's start with its totals.
fn announce(cx: &Context, cycle_id: i64, dry_run: bool, plan: &Arc<Plan>, totals: Totals) {
    let _ = cx.last_plan.send(Some(plan.clone()));
    cx.emit(SyncEvent::CycleStarted {
        cycle_id,
        kind: plan.kind,
        dry_run,
        totals,
    });
    cx.emit(SyncEvent::PlanReady {
        cycle_id,
        plan: plan.clone(),
    });
}

/// The plan of a cycle and what it was planned from.
pub(super) struct Planned {
    pub plan: Arc<Plan>,
    pub totals: Totals,
    /// What the reads saw, stored once the writes are done; a shown plan applied has its dry
    /// run's.
    pub seen: Option<plan::Seen>,
    /// This cycle read the target: the rows of earlier cycles' open intents were read (a shown
    /// plan applied read nothing itself).
    pub read_back: bool,
}

impl Planned {
    fn of(plan: Arc<Plan>) -> Planned {
        Planned {
            totals: Totals {
                operations: plan.len() as u64,
                ..Totals::default()
            },
            plan,
            seen: None,
            read_back: false,
        }
    }
}
