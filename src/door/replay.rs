//! What a console attaching now needs to show the engine as its own console does: the running
//! cycle (its phase, counts, progress, clock and throughput), the last plan with where it
//! stands (ready, applied, refused, superseded) and when it was made, and the engine's next
//! scheduled cycle. Kept by the door from the engine's events ([`Replay::see`]) and sent once,
//! after the backlog ([`super::proto::ServerFrame::Replay`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::sync::outcome::{Action, Status};
use crate::sync::{CycleKind, ObjectResult, ObjectType, Plan, StopPhase, Stopped, SyncEvent, Totals};

/// Seconds of throughput kept (the console's sparkline keeps as many).
const RATES: usize = 600;

/// Objects by outcome, as the dashboard counts them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub created: u64,
    pub updated: u64,
    pub disabled: u64,
    pub deleted: u64,
    pub skipped: u64,
    /// Objects with a failure in this cycle, each once however many of its operations failed
    /// (as the cycle's `CycleStats::failed` counts them).
    pub failed: u64,
    /// The objects `failed` counted (type, source id, a membership's member id): sent along,
    /// so a console attaching mid-cycle goes on counting each once.
    #[serde(default)]
    pub failed_objects: std::collections::HashSet<(ObjectType, String, Option<String>)>,
}

impl Tally {
    /// One object's result, counted under its outcome.
    pub fn count(&mut self, result: &ObjectResult) {
        match (result.status, result.action) {
            (Status::Failure, _) => {
                let object = (result.object_type, result.source_id.clone(), result.member_id.clone());
                if self.failed_objects.insert(object) {
                    self.failed += 1;
                }
            }
            (Status::Skipped, _) | (_, Action::Skip) => self.skipped += 1,
            (_, Action::Create) => self.created += 1,
            (_, Action::Update) => self.updated += 1,
            (_, Action::Disable) => self.disabled += 1,
            (_, Action::Delete) => self.deleted += 1,
            _ => {}
        }
    }
}

/// The cycle running, as a console attaching now shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Running {
    pub cycle_id: i64,
    pub kind: CycleKind,
    pub dry_run: bool,
    /// Still reading the source and the target: no plan, no totals yet.
    pub reading: bool,
    pub totals: Totals,
    pub done: u64,
    pub total: u64,
    pub tally: Tally,
    /// Since the cycle's plan was made (its `CycleStarted`): the clock behind rate and ETA.
    pub elapsed_ms: u64,
    /// Objects done in each second since then, at most the last [`RATES`].
    pub rates: Vec<u64>,
}

impl Running {
    /// A cycle begun: reading (no totals yet) or with its plan's totals.
    fn new(cycle_id: i64, kind: CycleKind, dry_run: bool, totals: Option<Totals>) -> Running {
        Running {
            cycle_id,
            kind,
            dry_run,
            reading: totals.is_none(),
            total: totals.map_or(0, |t| t.operations),
            totals: totals.unwrap_or_default(),
            done: 0,
            tally: Tally::default(),
            elapsed_ms: 0,
            rates: Vec::new(),
        }
    }
}

/// Where the last plan stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PlanState {
    /// A dry run's plan, current: it may be applied.
    Ready,
    /// A real cycle's plan, or a shown plan applied, in this cycle.
    Applied { cycle_id: i64 },
    /// The admin stopped that cycle while it applied the plan: how far it got.
    Stopped { cycle_id: i64, at: Stopped },
    /// The engine refused to apply it: its reason.
    Refused { reason: String },
    /// Out of date without being refused: a cycle ran since it was made.
    Superseded { why: String },
}

/// The last plan made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastPlan {
    pub plan: Arc<Plan>,
    /// The cycle it planned (a dry run's: the id the next cycle takes).
    pub cycle_id: i64,
    pub state: PlanState,
    /// When the engine made it (RFC 3339, UTC).
    pub made: String,
}

/// What a client receives after the backlog.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Replay {
    pub running: Option<Running>,
    pub plan: Option<LastPlan>,
    /// The engine's last [`SyncEvent::NextRun`]; `None` when it has said none yet.
    pub next_run: Option<NextRun>,
    /// Scheduled cycles paused (the last [`SyncEvent::Paused`]): also while a cycle runs.
    #[serde(default)]
    pub paused: bool,
}

/// The engine's next scheduled cycle (a struct, so that "none scheduled" survives JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextRun {
    /// RFC 3339, UTC; `None`: no cycle runs by itself.
    pub at: Option<String>,
}

/// The door's tracker: [`Replay`] as of now, from the events seen.
#[derive(Debug, Default)]
pub struct Tracker {
    replay: Replay,
    /// When the running cycle's plan was made, and objects done at the end of each second since.
    started: Option<Instant>,
    done_by_second: Vec<u64>,
}

impl Tracker {
    /// Takes one engine event into account.
    pub fn see(&mut self, event: &SyncEvent) {
        self.see_at(event, Instant::now(), chrono::Utc::now());
    }

    fn see_at(&mut self, event: &SyncEvent, at: Instant, wall: chrono::DateTime<chrono::Utc>) {
        match event {
            SyncEvent::CycleReading {
                cycle_id,
                kind,
                dry_run,
            } => {
                self.replay.running = Some(Running::new(*cycle_id, *kind, *dry_run, None));
                self.started = None;
            }
            SyncEvent::CycleStarted {
                cycle_id,
                kind,
                dry_run,
                totals,
            } => {
                self.replay.running = Some(Running::new(*cycle_id, *kind, *dry_run, Some(*totals)));
                self.started = Some(at);
                self.done_by_second.clear();
                // A real cycle makes a plan shown before it out of date (the engine refuses it).
                if let (false, Some(p)) = (*dry_run, &mut self.replay.plan)
                    && p.state == PlanState::Ready
                {
                    p.state = PlanState::Superseded {
                        why: "a cycle ran since it was made".to_owned(),
                    };
                }
            }
            SyncEvent::PlanReady { cycle_id, plan } => self.plan_ready(*cycle_id, plan, wall),
            SyncEvent::PlanRefused { plan_id, reason } => {
                if let Some(p) = self
                    .replay
                    .plan
                    .as_mut()
                    .filter(|p| p.plan.numbered() && p.plan.id == *plan_id)
                    && !matches!(p.state, PlanState::Applied { .. })
                {
                    p.state = PlanState::Refused { reason: reason.clone() };
                }
            }
            SyncEvent::Progress { done, total, .. } => self.progress(*done, *total, at),
            SyncEvent::ObjectDone { result, .. } => {
                if let Some(c) = &mut self.replay.running {
                    c.tally.count(result);
                }
            }
            SyncEvent::CycleFinished { .. } | SyncEvent::Error { cycle_id: Some(_), .. } => {
                if let SyncEvent::CycleFinished {
                    cycle_id,
                    dry_run: false,
                    stats,
                } = event
                {
                    self.stopped(*cycle_id, stats.stopped);
                }
                self.replay.running = None;
                self.started = None;
                self.done_by_second.clear();
            }
            // The engine took another configuration: a ready plan made under other rules is
            // out of date for a console attaching now too.
            SyncEvent::Reloaded { changed, plan_hash } => {
                if let Some(p) = &mut self.replay.plan
                    && p.state == PlanState::Ready
                    && p.plan.basis.profile != *plan_hash
                {
                    p.state = PlanState::Superseded {
                        why: crate::sync::changed_since(changed),
                    };
                }
            }
            SyncEvent::NextRun { at } => self.replay.next_run = Some(NextRun { at: at.clone() }),
            SyncEvent::Paused { paused } => self.replay.paused = *paused,
            _ => {}
        }
    }

    /// A real cycle ended: the plan it applied says where a stop cut it short.
    fn stopped(&mut self, cycle_id: i64, stopped: Option<Stopped>) {
        if let (Some(p), Some(at)) = (&mut self.replay.plan, stopped)
            && at.phase == StopPhase::Applying
            && p.state == (PlanState::Applied { cycle_id })
        {
            p.state = PlanState::Stopped { cycle_id, at };
        }
    }

    /// A plan: a dry run's is ready; a real cycle's, or a shown plan being applied (the same
    /// plan, made when it was shown), is applied.
    fn plan_ready(&mut self, cycle_id: i64, plan: &Arc<Plan>, wall: chrono::DateTime<chrono::Utc>) {
        let dry_run = self.replay.running.as_ref().is_none_or(|c| c.dry_run);
        let state = if dry_run {
            PlanState::Ready
        } else {
            PlanState::Applied { cycle_id }
        };
        match &mut self.replay.plan {
            Some(p) if p.plan.same(plan) => p.state = state,
            slot => {
                *slot = Some(LastPlan {
                    plan: Arc::clone(plan),
                    cycle_id,
                    state,
                    made: wall.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                });
            }
        }
    }

    /// Objects done so far: the counts, and the throughput of the second it falls in.
    fn progress(&mut self, done: u64, total: u64, at: Instant) {
        if let Some(c) = &mut self.replay.running {
            c.done = done;
            c.total = total;
        }
        if let Some(started) = self.started {
            let second = usize::try_from(at.saturating_duration_since(started).as_secs()).unwrap_or(usize::MAX);
            let last = self.done_by_second.last().copied().unwrap_or(0);
            if second < RATES * 2 {
                self.done_by_second.resize(second + 1, last);
                if let Some(slot) = self.done_by_second.last_mut() {
                    *slot = done;
                }
            }
        }
    }

    /// The replay as of `now`: the running cycle's clock and throughput to this second.
    pub fn replay(&self) -> Replay {
        self.replay_at(Instant::now())
    }

    fn replay_at(&self, now: Instant) -> Replay {
        let mut replay = self.replay.clone();
        if let (Some(c), Some(started)) = (&mut replay.running, self.started) {
            let elapsed = now.saturating_duration_since(started);
            c.elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
            let seconds = usize::try_from(elapsed.as_secs()).unwrap_or(usize::MAX).min(RATES * 2);
            let mut done = self.done_by_second.clone();
            let last = done.last().copied().unwrap_or(0);
            if done.len() < seconds {
                done.resize(seconds, last);
            }
            let mut before = 0;
            let rates: Vec<u64> = done
                .iter()
                .map(|&d| {
                    let rate = d.saturating_sub(before);
                    before = d;
                    rate
                })
                .collect();
            c.rates = rates[rates.len().saturating_sub(RATES)..].to_vec();
        }
        replay
    }
}

/// How long the running cycle's plan has been applied for, as the replay says.
pub fn elapsed(running: &Running) -> Duration {
    Duration::from_millis(running.elapsed_ms)
}

#[cfg(test)]
#[path = "replay_tests.rs"]
mod tests;
