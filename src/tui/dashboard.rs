//! The state behind the dashboard, plan and provisioning-logs screens: what the engine said
//! last (status, cycle, progress, counts, last summary, statistics to date), the last plan and
//! the records read from the state store, with each list's selection and filters.
//!
//! Invariant: changed only by `on_sync`, `records_loaded`, `tick` and `update`; no I/O here.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event as CtEvent, KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::app::{self, Overlay, Screen};
use super::effect::Effect;
use crate::store::LogRecord;
use crate::sync::{CycleKind, CycleStats, EngineState, Plan, SyncEvent, Totals};

/// A key's meaning on the records and plan screens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Select(isize),
    /// Enter: expand an operation, open a record's details.
    Open,
    /// Esc on a record's details: back to the list.
    Close,
    /// Next status (records) or action (plan) filter.
    NextFilter,
    /// `/`: type a text filter.
    StartFilter,
    FilterKey(KeyEvent),
    AskApply,
    /// Export the filtered records: CSV (true) or JSON.
    Export(bool),
    /// Offer to create the missing reference row of the open record.
    AskCreateReference,
}

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

/// A finished cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub cycle_id: i64,
    pub dry_run: bool,
    pub stats: CycleStats,
}

/// A list's selection and filters.
#[derive(Debug, Default)]
pub struct ListView {
    pub selected: usize,
    /// Index into the filter words (0: all).
    pub filter: usize,
    pub text: String,
    pub input: Option<Input>,
    /// Plan: expanded operation; records: details open.
    pub open: bool,
}

/// What the dashboard knows.
#[derive(Debug, Default)]
pub struct Dashboard {
    pub state: Option<EngineState>,
    pub running: Option<Running>,
    pub last: Option<Finished>,
    pub to_date: CycleStats,
    pub cycles: u64,
    /// The last error the engine reported, until a cycle finishes cleanly.
    pub failing: Option<String>,
    pub plan: Option<Arc<Plan>>,
    pub plan_view: ListView,
    pub records: Vec<LogRecord>,
    pub records_error: Option<String>,
    pub records_view: ListView,
    /// When the last real cycle finished (the schedule counts from there).
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The quarantine's reason and next attempt, while the job is quarantined.
    pub quarantine: Option<String>,
}

/// The status filter words of the records screen.
pub const RECORD_FILTERS: [&str; 4] = ["all", "failure", "success", "skipped"];
/// The action filter words of the plan screen.
pub const PLAN_FILTERS: [&str; 8] = [
    "all",
    "create",
    "update",
    "disable",
    "delete",
    "add_member",
    "skip",
    "error",
];

impl Dashboard {
    pub fn in_text_field(&self, screen: Screen) -> bool {
        match screen {
            Screen::Plan => self.plan_view.input.is_some(),
            Screen::Records => self.records_view.input.is_some(),
            _ => false,
        }
    }

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
        }
    }

    /// The records the list shows, after its filters.
    pub fn visible_records(&self) -> Vec<&LogRecord> {
        let v = &self.records_view;
        let status = RECORD_FILTERS.get(v.filter).copied().unwrap_or("all");
        let text = v.text.to_lowercase();
        self.records
            .iter()
            .filter(|r| status == "all" || r.status == status)
            .filter(|r| {
                text.is_empty()
                    || [&r.source_name, &r.action, &r.reason]
                        .iter()
                        .any(|f| f.to_lowercase().contains(&text))
                    || r.error_code
                        .as_deref()
                        .is_some_and(|c| c.to_lowercase().contains(&text))
            })
            .collect()
    }

    /// The plan's operations the list shows, after its filters.
    pub fn visible_ops(&self) -> Vec<&crate::sync::Op> {
        let Some(plan) = &self.plan else { return Vec::new() };
        let v = &self.plan_view;
        let action = PLAN_FILTERS.get(v.filter).copied().unwrap_or("all");
        let text = v.text.to_lowercase();
        plan.ops
            .iter()
            .filter(|op| action == "all" || op.kind.action() == action)
            .filter(|op| text.is_empty() || op.source_name.to_lowercase().contains(&text))
            .collect()
    }

    pub fn action_for(&self, screen: Screen, key: KeyEvent) -> Option<app::Action> {
        let view = if screen == Screen::Plan {
            &self.plan_view
        } else {
            &self.records_view
        };
        if view.input.is_some() {
            return Some(app::Action::Dashboard(Action::FilterKey(key)));
        }
        let a = match key.code {
            KeyCode::Up | KeyCode::Char('k') => Action::Select(-1),
            KeyCode::Down | KeyCode::Char('j') => Action::Select(1),
            KeyCode::PageUp => Action::Select(-10),
            KeyCode::PageDown => Action::Select(10),
            KeyCode::Enter => Action::Open,
            KeyCode::Esc if screen == Screen::Records && view.open => Action::Close,
            KeyCode::Esc => return Some(app::Action::Show(Screen::Dashboard)),
            KeyCode::Char('s') if screen == Screen::Records => Action::NextFilter,
            KeyCode::Char('f') if screen == Screen::Plan => Action::NextFilter,
            KeyCode::Char('/') => Action::StartFilter,
            KeyCode::Char('A') if screen == Screen::Plan => Action::AskApply,
            KeyCode::Char('J') if screen == Screen::Records => Action::Export(false),
            KeyCode::Char('C') if screen == Screen::Records => Action::Export(true),
            KeyCode::Char('c') if screen == Screen::Records && view.open => Action::AskCreateReference,
            _ => return None,
        };
        Some(app::Action::Dashboard(a))
    }

    /// Applies a list action on `screen`; an overlay to show, if any.
    pub fn update(&mut self, screen: Screen, action: Action) -> Option<Overlay> {
        let len = match screen {
            Screen::Plan => self.visible_ops().len(),
            _ => self.visible_records().len(),
        };
        if action == Action::AskApply {
            return self.apply_overlay();
        }
        if action == Action::AskCreateReference {
            let record = self.visible_records().get(self.records_view.selected).copied()?;
            let (table, field, value) = super::troubleshoot::missing_reference(&record.reason)?;
            return Some(Overlay::ConfirmCreate { table, field, value });
        }
        let view = if screen == Screen::Plan {
            &mut self.plan_view
        } else {
            &mut self.records_view
        };
        match action {
            Action::Select(d) => {
                let max = len.saturating_sub(1) as isize;
                view.selected = (view.selected as isize + d).clamp(0, max) as usize;
            }
            Action::Open => view.open = !view.open,
            Action::Close => view.open = false,
            Action::NextFilter => {
                let n = if screen == Screen::Plan {
                    PLAN_FILTERS.len()
                } else {
                    RECORD_FILTERS.len()
                };
                view.filter = (view.filter + 1) % n;
                view.selected = 0;
            }
            Action::StartFilter => view.input = Some(Input::new(view.text.clone())),
            Action::FilterKey(key) => match key.code {
                KeyCode::Enter => view.input = None,
                KeyCode::Esc => {
                    view.input = None;
                    view.text.clear();
                }
                _ => {
                    if let Some(input) = &mut view.input {
                        input.handle_event(&CtEvent::Key(key));
                        view.text = input.value().to_owned();
                        view.selected = 0;
                    }
                }
            },
            Action::AskApply | Action::AskCreateReference | Action::Export(_) => {}
        }
        None
    }

    fn apply_overlay(&self) -> Option<Overlay> {
        let plan = self.plan.as_ref()?;
        let c = &plan.counts;
        Some(Overlay::ConfirmApply {
            plan_id: plan.id,
            summary: format!(
                "{} creates, {} updates, {} DISABLES, {} DELETES, {} membership changes ({} writes).",
                c.create,
                c.update + c.set_reference,
                c.disable,
                c.delete,
                c.add_member + c.remove_member,
                c.writes()
            ),
        })
    }

    /// The store's records arrived.
    pub fn records_loaded(&mut self, result: Result<Vec<LogRecord>, String>) {
        match result {
            Ok(mut records) => {
                records.reverse();
                self.records = records;
                self.records_error = None;
                let len = self.visible_records().len();
                self.records_view.selected = self.records_view.selected.min(len.saturating_sub(1));
            }
            Err(e) => self.records_error = Some(e),
        }
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
            SyncEvent::FullCycle { .. } => {
                if let Some(r) = &mut self.running {
                    r.kind = Some(crate::sync::CycleKind::Initial);
                }
            }
            SyncEvent::PlanReady { plan, .. } => {
                self.plan = Some(plan);
                self.plan_view = ListView::default();
            }
            SyncEvent::Progress { done, total, .. } => {
                if let Some(r) = &mut self.running {
                    r.done = done;
                    r.total = total;
                }
            }
            SyncEvent::ObjectDone { result, .. } => {
                if let Some(r) = &mut self.running {
                    let t = &mut r.tally;
                    match (result.status.as_str(), result.action.as_str()) {
                        ("failure", _) => t.failed += 1,
                        ("skipped", _) | (_, "skip") => t.skipped += 1,
                        (_, "create") => t.created += 1,
                        (_, "update") => t.updated += 1,
                        (_, "disable") => t.disabled += 1,
                        (_, "delete") => t.deleted += 1,
                        _ => {}
                    }
                }
            }
            SyncEvent::CycleFinished {
                cycle_id,
                dry_run,
                stats,
            } => {
                if !dry_run {
                    add(&mut self.to_date, &stats);
                    self.cycles += 1;
                    self.finished_at = Some(chrono::Utc::now());
                }
                self.failing = None;
                self.running = None;
                self.last = Some(Finished {
                    cycle_id,
                    dry_run,
                    stats,
                });
                return vec![Effect::LoadRecords];
            }
            SyncEvent::Error { cycle_id, message, .. } => {
                if cycle_id.is_some() || self.running.is_some() {
                    self.running = None;
                }
                self.failing = Some(message);
            }
            SyncEvent::Log { .. } | SyncEvent::Answer { .. } => {}
        }
        Vec::new()
    }
}

fn add(sum: &mut CycleStats, s: &CycleStats) {
    sum.created += s.created;
    sum.updated += s.updated;
    sum.disabled += s.disabled;
    sum.deleted += s.deleted;
    sum.members_added += s.members_added;
    sum.members_removed += s.members_removed;
    sum.skipped += s.skipped;
    sum.failed += s.failed;
    sum.writes += s.writes;
    sum.duration_ms += s.duration_ms;
}
