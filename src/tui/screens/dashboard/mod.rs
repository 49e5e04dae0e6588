//! The dashboard: what the engine said last (status, the cycle in progress with its progress
//! and counts, the last cycle's summary, statistics to date, the quarantine), with the live
//! log pane below (its keys are the log screen's, `super::log`).
//!
//! Invariant: changed only by `on_sync` and `tick`; no I/O here.

mod charts;
pub mod history;
mod running;
mod view;

use std::time::Duration;

use crossterm::event::KeyEvent;

pub use view::DashboardView;

use crate::sync::{CycleKind, CycleStats, EngineState, SyncEvent, Totals};
use crate::tui::app::Action;
use crate::tui::effect::Effect;

/// The cycle in progress.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Running {
    pub cycle_id: i64,
    pub kind: Option<CycleKind>,
    pub dry_run: bool,
    /// Still reading the source and the target (no plan, no totals yet).
    pub reading: bool,
    pub totals: Totals,
    pub done: u64,
    pub total: u64,
    pub tally: Tally,
    pub elapsed: Duration,
    /// Objects done in each second so far (the throughput sparkline).
    pub rates: Vec<u64>,
    /// Objects done at the last tick.
    pub done_at_tick: u64,
}

/// Objects by outcome, as the dashboard counts them (the door counts them the same way for a
/// console attaching mid-cycle).
pub use crate::door::replay::Tally;

/// A finished real cycle (a dry run takes no cycle number and is never the `Last` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub cycle_id: i64,
    /// As the cycle started (initial, incremental, reconciliation), when it was seen starting.
    pub kind: Option<CycleKind>,
    pub stats: CycleStats,
}

/// An RFC 3339 time from the engine.
fn parse_time(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.to_utc())
}

/// What the Status row says until the store is read (the quarantine is not known before).
pub const READING: &str = "reading the engine's state…";

/// What the Status row says while scheduled cycles are paused.
const PAUSED: &str = "paused: scheduled cycles wait; p resumes";

/// A time as every row of the dashboard says it: `Dec 08 20:47 UTC` (the date, so a time
/// tomorrow never reads as one past).
pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%b %d %H:%M UTC").to_string()
}

/// The quarantine, while the job is in one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantine {
    /// Entra's word: `TooManyDeletes`, `TooManyFailures`, … (sanitised).
    pub reason: String,
    /// When scheduled cycles may try again, as the engine or the store said last.
    pub next_attempt: Option<chrono::DateTime<chrono::Utc>>,
}

/// What the dashboard knows.
#[derive(Debug, Default)]
pub struct State {
    pub state: Option<EngineState>,
    /// Scheduled cycles paused, as the engine confirmed it (`SyncEvent::Paused`, or its state
    /// `Paused`): also while a cycle runs, when the state says `Running`.
    pub schedule_paused: bool,
    pub running: Option<Running>,
    pub last: Option<Finished>,
    /// The last error the engine reported, until a cycle finishes cleanly.
    pub failing: Option<String>,
    /// The engine's next scheduled cycle as it published it (`SyncEvent::NextRun`): `None`
    /// until it said, `Some(None)` when no cycle runs by itself.
    pub next_at: Option<Option<chrono::DateTime<chrono::Utc>>>,
    /// The quarantine, while the job is quarantined: from the store when the console opens
    /// or attaches (and after each cycle), from the engine's events in between.
    pub quarantine: Option<Quarantine>,
    /// What the deletion threshold holds now (the staged set), as the store counts it.
    pub held: crate::sync::HeldCounts,
    /// The cycles so far, from the state store.
    pub history: Option<history::History>,
    /// Which engine the console works with: "in this console", or "attached to the running
    /// engine (pid, since, started by)".
    pub engine: Option<String>,
    /// The engine attached to has gone and none is attached yet: r and d reach no engine.
    pub engine_gone: bool,
    /// The console opened or attached and the store (the quarantine, the held set) is not read
    /// yet: the Status row says so rather than a state that may be wrong.
    pub reading_store: bool,
}

impl State {
    pub fn cycle_running(&self) -> bool {
        self.running.is_some()
    }

    pub fn paused(&self) -> bool {
        self.schedule_paused && self.state != Some(EngineState::Stopped)
    }

    /// The status word: on, paused, running, quarantined, failing.
    pub fn status(&self) -> String {
        let quarantined = self.quarantine.as_ref().map(|q| format!("quarantined: {}", q.reason));
        match (self.state, &self.failing) {
            (None, _) => "not started".to_owned(),
            // Idle may be a quarantine not read yet (acceptance N16).
            (Some(EngineState::Idle), None) if self.reading_store && self.quarantine.is_none() => READING.to_owned(),
            (Some(EngineState::Running), _) => {
                let mut parts = vec!["running".to_owned()];
                parts.extend(quarantined);
                if self.paused() {
                    parts.push(PAUSED.to_owned());
                }
                parts.join(" · ")
            }
            _ if self.quarantine.is_some() => {
                let mut parts: Vec<String> = quarantined.into_iter().collect();
                if self.paused() {
                    parts.push(PAUSED.to_owned());
                }
                parts.join(" · ")
            }
            (_, Some(why)) => format!("failing: {why}"),
            (Some(EngineState::Paused), _) => format!("enabled · {PAUSED}"),
            (Some(EngineState::Stopped), _) => "stopped".to_owned(),
            (Some(EngineState::Idle), _) => "on (idle)".to_owned(),
        }
    }

    /// The next scheduled cycle, for provisioning `enabled` every `interval` minutes: the
    /// engine's own word, never a guess of the console's.
    pub fn next_run(&self, enabled: bool, interval: u32) -> String {
        match (self.state, enabled, self.next_at) {
            (Some(EngineState::Stopped), _, _) => "none: the engine is stopped".to_owned(),
            (_, false, _) => "none: provisioning is off (Settings)".to_owned(),
            _ if self.paused() => "none while paused (p resumes)".to_owned(),
            (_, true, Some(Some(at))) => format!("{} (every {interval} min)", when(at)),
            (_, true, Some(None)) => {
                "none: the engine schedules no cycle (is provisioning on in its profile?)".to_owned()
            }
            (_, true, None) => format!("every {interval} min"),
        }
    }

    /// When a quarantined job's scheduled cycles try again: the engine's next scheduled
    /// cycle (its back-off included) once it said it, else the store's next attempt.
    pub fn next_attempt(&self) -> Option<String> {
        let q = self.quarantine.as_ref()?;
        self.next_at.flatten().or(q.next_attempt).map(when)
    }

    /// A console attaching: the engine's running cycle and next scheduled one, as the door
    /// kept them.
    pub fn restore(&mut self, replay: &crate::door::replay::Replay) {
        self.running = replay.running.as_ref().map(|r| Running {
            cycle_id: r.cycle_id,
            kind: Some(r.kind),
            dry_run: r.dry_run,
            reading: r.reading,
            totals: r.totals,
            done: r.done,
            total: r.total,
            tally: r.tally.clone(),
            elapsed: crate::door::replay::elapsed(r),
            rates: r.rates.clone(),
            done_at_tick: r.done,
        });
        self.schedule_paused = replay.paused;
        // The schedule of the engine attached to, none said: nothing of an engine before.
        self.next_at = replay
            .next_run
            .as_ref()
            .map(|next| next.at.as_deref().and_then(parse_time));
    }

    /// The history was read: the last real cycle it holds is the `Last` row until one is seen
    /// finishing (a console opened or attached after it); the quarantine and the held set are
    /// the store's, which the engine wrote before it said them (so a console opened on a
    /// quarantined profile shows the quarantine at once).
    pub fn history_read(&mut self, history: history::History) {
        if let Some(p) = history.points.last()
            && self.last.is_none()
        {
            self.last = Some(Finished {
                cycle_id: p.cycle_id,
                kind: Some(p.kind),
                stats: CycleStats {
                    created: p.created,
                    updated: p.updated,
                    disabled: p.disabled,
                    deleted: p.deleted,
                    members_added: p.members_added,
                    members_removed: p.members_removed,
                    skipped: p.skipped,
                    failed: p.failed,
                    staged_deletes: p.staged,
                    duration_ms: p.duration_ms,
                    stopped: p.stopped,
                    error: p.error.clone(),
                    ..CycleStats::default()
                },
            });
        }
        self.quarantine = history.quarantine.as_ref().map(|q| Quarantine {
            reason: crate::model::text::sanitize_for_terminal(&q.reason),
            next_attempt: q.next_attempt.as_deref().and_then(parse_time),
        });
        self.held = history.held;
        self.history = Some(history);
        self.reading_store = false;
    }

    /// Once a second while a cycle runs: the clock behind rate and ETA.
    pub fn tick(&mut self, by: Duration) {
        if let Some(r) = &mut self.running {
            r.elapsed += by;
            r.rates.push(r.done.saturating_sub(r.done_at_tick));
            r.done_at_tick = r.done;
            if r.rates.len() > 600 {
                r.rates.remove(0);
            }
        }
    }

    /// The dashboard's own keys: the log pane's. Its letters (r, d, p, x, e, a, m, s, t, L,
    /// w) work on every screen that does not use them (`app/keys.rs`).
    pub fn key(&self, key: KeyEvent) -> Option<Action> {
        super::log::pane_key(key).map(Action::Log)
    }

    /// An engine event (its log line went to the pane through `log::line_of`).
    pub fn on_sync(&mut self, event: SyncEvent) -> Vec<Effect> {
        match event {
            SyncEvent::StateChanged(state) => self.state_changed(state),
            SyncEvent::Paused { paused } => self.schedule_paused = paused,
            SyncEvent::CycleReading {
                cycle_id,
                kind,
                dry_run,
            } => {
                self.running = Some(Running {
                    cycle_id,
                    kind: Some(kind),
                    dry_run,
                    reading: true,
                    ..Running::default()
                });
            }
            SyncEvent::NextRun { at } => self.next_at = Some(at.as_deref().and_then(parse_time)),
            SyncEvent::CycleStarted {
                cycle_id,
                kind,
                dry_run,
                totals,
            } => {
                self.running = Some(Running {
                    cycle_id,
                    kind: Some(kind),
                    dry_run,
                    total: totals.operations,
                    totals,
                    ..Running::default()
                });
            }
            SyncEvent::Quarantine {
                reason, next_attempt, ..
            } => self.quarantined(reason, next_attempt),
            // A provision on demand, allow-deletes or a cycle changed the held set (N15).
            SyncEvent::Held { held } => self.held = held,
            SyncEvent::FullCycle { cycle_id, .. } => {
                // An incremental cycle whose delta token expired reads everything; a
                // reconciliation is one already.
                if let Some(r) = self.running.as_mut().filter(|r| r.cycle_id == cycle_id)
                    && r.kind == Some(CycleKind::Incremental)
                {
                    r.kind = Some(CycleKind::Initial);
                }
            }
            SyncEvent::Progress { done, total, .. } => {
                if let Some(r) = &mut self.running {
                    r.done = done;
                    r.total = total;
                }
            }
            SyncEvent::ObjectDone { result, .. } => {
                if let Some(r) = &mut self.running {
                    r.tally.count(&result);
                }
            }
            SyncEvent::CycleFinished {
                cycle_id,
                dry_run,
                stats,
            } => return self.finished(cycle_id, dry_run, stats),
            SyncEvent::Error { cycle_id, message, .. } => {
                let running = if cycle_id.is_some() || self.running.is_some() {
                    self.running.take()
                } else {
                    None
                };
                // A real cycle that failed as a whole, even before it read or planned
                // anything, is the last cycle: the Last row says it failed and why (acceptance
                // N7: it kept showing the cycle before), and the store's history has its error.
                if let Some(cycle_id) = cycle_id {
                    self.last = Some(Finished {
                        cycle_id,
                        kind: running.filter(|r| r.cycle_id == cycle_id).and_then(|r| r.kind),
                        stats: CycleStats {
                            error: Some(message.clone()),
                            ..CycleStats::default()
                        },
                    });
                }
                self.failing = Some(message);
                if cycle_id.is_some() {
                    return vec![Effect::LoadHistory];
                }
            }
            SyncEvent::PlanReady { .. }
            | SyncEvent::PlanRefused { .. }
            | SyncEvent::Reloaded { .. }
            | SyncEvent::Log { .. }
            | SyncEvent::Answer { .. } => {}
        }
        Vec::new()
    }

    fn state_changed(&mut self, state: EngineState) {
        self.state = Some(state);
        match state {
            EngineState::Paused => self.schedule_paused = true,
            EngineState::Idle | EngineState::Stopped => self.schedule_paused = false,
            EngineState::Running => {}
        }
    }

    fn quarantined(&mut self, reason: Option<String>, next_attempt: Option<String>) {
        // The reason comes from the engine; sanitise it like any foreign text.
        self.quarantine = reason.map(|r| Quarantine {
            reason: crate::model::text::sanitize_for_terminal(&r),
            next_attempt: next_attempt.as_deref().and_then(parse_time),
        });
        // Ended: nothing is held any more (allowed, or a cycle found the objects staying).
        if self.quarantine.is_none() {
            self.held = crate::sync::HeldCounts::default();
        }
    }

    /// A cycle ended: a real one becomes the last one, and the records and the history are
    /// read again; a dry run is no cycle (it shows in the plan row).
    fn finished(&mut self, cycle_id: i64, dry_run: bool, stats: CycleStats) -> Vec<Effect> {
        self.failing = None;
        let kind = self
            .running
            .take()
            .filter(|r| r.cycle_id == cycle_id)
            .and_then(|r| r.kind);
        // The `Last` row is the last real cycle: a dry run shows in the plan row.
        if dry_run {
            return Vec::new();
        }
        self.last = Some(Finished { cycle_id, kind, stats });
        vec![Effect::LoadRecords, Effect::LoadHistory]
    }
}
