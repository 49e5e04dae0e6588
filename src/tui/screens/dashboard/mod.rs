//! The dashboard: what the engine said last (status, the cycle in progress with its progress
//! and counts, the last cycle's summary, statistics to date, the quarantine), with the live
//! log pane below (its keys are the log screen's, `super::log`).
//!
//! Invariant: changed only by `on_sync` and `tick`; no I/O here.

mod charts;
pub mod history;
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

/// Objects by outcome, as the dashboard counts them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub created: u64,
    pub updated: u64,
    pub disabled: u64,
    pub deleted: u64,
    pub skipped: u64,
    pub failed: u64,
}

impl Tally {
    /// One object's result, counted under its outcome.
    fn count(&mut self, result: &crate::sync::ObjectResult) {
        match (result.status.as_str(), result.action.as_str()) {
            ("failure", _) => self.failed += 1,
            ("skipped", _) | (_, "skip") => self.skipped += 1,
            (_, "create") => self.created += 1,
            (_, "update") => self.updated += 1,
            (_, "disable") => self.disabled += 1,
            (_, "delete") => self.deleted += 1,
            _ => {}
        }
    }
}

/// A finished cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub cycle_id: i64,
    /// As the cycle started (initial, incremental, reconciliation), when it was seen starting.
    pub kind: Option<CycleKind>,
    pub dry_run: bool,
    pub stats: CycleStats,
}

/// What the dashboard knows.
#[derive(Debug, Default)]
pub struct State {
    pub state: Option<EngineState>,
    pub running: Option<Running>,
    pub last: Option<Finished>,
    /// The last error the engine reported, until a cycle finishes cleanly.
    pub failing: Option<String>,
    /// When the last real cycle finished (the schedule counts from there).
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The quarantine's reason and next attempt, while the job is quarantined.
    pub quarantine: Option<String>,
    /// The cycles so far, from the state store.
    pub history: Option<history::History>,
    /// Which engine the console works with: "in this console", or "attached to the running
    /// engine (pid, since, started by)".
    pub engine: Option<String>,
}

impl State {
    pub fn cycle_running(&self) -> bool {
        self.running.is_some()
    }

    pub fn paused(&self) -> bool {
        self.state == Some(EngineState::Paused)
    }

    /// The status word: on, off (paused), running, failing.
    pub fn status(&self) -> String {
        match (self.state, &self.failing) {
            (None, _) => "not started".to_owned(),
            (Some(EngineState::Running), _) => "running".to_owned(),
            _ if self.quarantine.is_some() => {
                format!("quarantined: {}", self.quarantine.as_deref().unwrap_or_default())
            }
            (_, Some(why)) => format!("failing: {why}"),
            (Some(EngineState::Paused), _) => "off (paused)".to_owned(),
            (Some(EngineState::Stopped), _) => "stopped".to_owned(),
            (Some(EngineState::Idle), _) => "on (idle)".to_owned(),
        }
    }

    /// The next scheduled cycle, for provisioning `enabled` every `interval` minutes.
    pub fn next_run(&self, enabled: bool, interval: u32) -> String {
        match (self.state, enabled, self.finished_at) {
            (_, false, _) => "none: provisioning is off (Settings)".to_owned(),
            (Some(EngineState::Paused), _, _) => "none while paused (p resumes)".to_owned(),
            (Some(EngineState::Running), _, _) => format!("{interval} min after this cycle"),
            (_, true, Some(at)) => {
                let next = at + chrono::Duration::minutes(i64::from(interval));
                format!("{} UTC (every {interval} min)", next.format("%H:%M:%S"))
            }
            (_, true, None) => format!("every {interval} min, counted from the first cycle"),
        }
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
            SyncEvent::StateChanged(state) => self.state = Some(state),
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
            } => {
                // Reason and next attempt come from the engine; sanitise them like any foreign text.
                self.quarantine = reason.map(|r| {
                    let next = next_attempt.map(|n| format!(", next attempt {n}")).unwrap_or_default();
                    crate::model::text::sanitize_for_terminal(&format!("{r}{next}"))
                });
            }
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
                if cycle_id.is_some() || self.running.is_some() {
                    self.running = None;
                }
                self.failing = Some(message);
            }
            SyncEvent::PlanReady { .. }
            | SyncEvent::PlanRefused { .. }
            | SyncEvent::Log { .. }
            | SyncEvent::Answer { .. } => {}
        }
        Vec::new()
    }

    /// A cycle ended: it becomes the last one; after a real one the records and the history
    /// are read again.
    fn finished(&mut self, cycle_id: i64, dry_run: bool, stats: CycleStats) -> Vec<Effect> {
        if !dry_run {
            self.finished_at = Some(chrono::Utc::now());
        }
        self.failing = None;
        let kind = self
            .running
            .take()
            .filter(|r| r.cycle_id == cycle_id)
            .and_then(|r| r.kind);
        self.last = Some(Finished {
            cycle_id,
            kind,
            dry_run,
            stats,
        });
        if dry_run {
            Vec::new()
        } else {
            vec![Effect::LoadRecords, Effect::LoadHistory]
        }
    }
}
