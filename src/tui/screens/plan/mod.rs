//! The plan of the last dry run (or of the last real cycle): a list of operations filtered by
//! action and text, an operation's details (its whole attribute diff, scrolled); `A` applies a
//! dry run's plan after a confirmation with the counts, while it is current.
//!
//! A plan is bound to what made it (issue 14): once a cycle ran, the rules changed, or the
//! engine refused it, it is shown as out of date and never offered as ready; an applied plan is
//! shown as applied.

mod view;

use std::borrow::Cow;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};

pub use view::PlanView;

use super::list::{ListAction, ListView};
use crate::sync::{Op, Plan};
use crate::tui::app::{Action as AppAction, Overlay, Shared};

/// The action filter words; `held`: what the deletion threshold holds (`StagedDelete`).
pub const FILTERS: [&str; 10] = [
    "all",
    "create",
    "update",
    "disable",
    "delete",
    "add_member",
    "remove_member",
    "held",
    "skip",
    "error",
];

/// Whether `op` is one the action filter `action` shows.
fn shown_by(action: &str, op: &Op) -> bool {
    match action {
        "all" => true,
        "held" => matches!(op.kind, crate::sync::OpKind::StagedDelete { .. }),
        _ => op.kind.action().as_str() == action,
    }
}

/// A key's meaning on the plan screen.
#[derive(Debug, Clone)]
pub enum Action {
    List(ListAction),
    AskApply,
}

/// Where the plan shown stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// A dry run's plan, current: `A` applies it.
    Ready,
    /// Sent to the engine to apply.
    Applying,
    /// Applied (or the plan of a real cycle) in this cycle.
    Applied { cycle_id: i64 },
    /// The admin stopped this cycle while it applied the plan: how far it got.
    Stopped { cycle_id: i64, at: crate::sync::Stopped },
    /// Not to be applied any more: why.
    OutOfDate(String),
    /// Its validity ended (`valid_until`, `HH:MM` UTC): either side may have changed since its
    /// reads, and the engine refuses it (review R5).
    Expired { until: String },
    /// The engine that made it has gone: no engine applies it (a new one refuses old plans).
    EngineGone,
}

/// Why a plan of the engine before a restart is out of date, in the engine's own words.
pub const RESTARTED: &str = "the engine restarted since it was made";

/// The plan's name: "plan 3" for a dry run's (numbered: `A` names it), "cycle 5's own plan"
/// for the plan a real cycle (r, the schedule) made and applied itself, which has no number.
pub fn name(plan: &Plan, status: &Status) -> String {
    if plan.numbered() {
        return format!("plan {}", plan.id);
    }
    let cycle_id = match status {
        Status::Applied { cycle_id } | Status::Stopped { cycle_id, .. } => *cycle_id,
        _ => plan.basis.cycle_id,
    };
    format!("cycle {cycle_id}'s own plan")
}

/// What is said of a plan whose engine has gone.
pub fn engine_gone(plan_id: u64) -> String {
    format!(
        "plan {plan_id}: its engine has gone; c attaches to the one serving the profile now, then d makes a new dry run"
    )
}

/// The plan and the list over it.
#[derive(Debug)]
pub struct State {
    pub plan: Option<Arc<Plan>>,
    pub status: Status,
    pub view: ListView,
    /// When the plan shown arrived (`HH:MM:SS` UTC): the list's time.
    pub made: String,
}

impl Default for State {
    fn default() -> Self {
        Self {
            plan: None,
            status: Status::Ready,
            view: ListView::default(),
            made: String::new(),
        }
    }
}

/// A plan out of date by this console's save, before the engine's reload names the change.
const RULES_CHANGED: &str = "rules changed since it was made";

impl State {
    pub fn in_text_field(&self) -> bool {
        self.view.input.is_some()
    }

    /// A plan arrived: a dry run's is ready; a real cycle's (or the applied one) is applied.
    pub fn planned(&mut self, plan: Arc<Plan>, dry_run: bool, cycle_id: i64, at: String) {
        let same = self.plan.as_ref().is_some_and(|p| p.same(&plan));
        if !same {
            self.made = at;
        }
        self.status = if dry_run {
            Status::Ready
        } else {
            Status::Applied { cycle_id }
        };
        if !same {
            self.view = ListView::default();
        }
        self.plan = Some(plan);
    }

    /// A console attaching: the engine's last plan as it stands, made when the engine made it
    /// (an applied plan is shown applied, never offered again).
    pub fn restore(&mut self, last: &crate::door::replay::LastPlan) {
        use crate::door::replay::PlanState;
        self.status = match &last.state {
            PlanState::Ready => Status::Ready,
            PlanState::Applied { cycle_id } => Status::Applied { cycle_id: *cycle_id },
            PlanState::Stopped { cycle_id, at } => Status::Stopped {
                cycle_id: *cycle_id,
                at: *at,
            },
            PlanState::Refused { reason } => Status::OutOfDate(refusal_why(reason).to_owned()),
            PlanState::Superseded { why } => Status::OutOfDate(why.clone()),
        };
        if self.plan.as_ref().is_none_or(|p| !p.same(&last.plan)) {
            self.view = ListView::default();
        }
        self.made = chrono::DateTime::parse_from_rfc3339(&last.made)
            .map_or_else(|_| last.made.clone(), |t| t.to_utc().format("%H:%M:%S").to_string());
        self.plan = Some(Arc::clone(&last.plan));
    }

    /// The engine went away: a plan ready or being applied is applied by none.
    pub fn engine_went(&mut self) {
        if matches!(self.status, Status::Ready | Status::Applying) {
            self.status = Status::EngineGone;
        }
    }

    /// The console's own engine started again (a wizard re-save): a plan the engine before it
    /// made is applied by none (the new one refuses it, saying [`RESTARTED`]).
    pub fn engine_restarted(&mut self) {
        if matches!(self.status, Status::Ready | Status::Applying) {
            self.status = Status::OutOfDate(RESTARTED.to_owned());
        }
    }

    /// Once a second: a ready plan whose validity ended by `now` is expired; true when it
    /// just did (the screen changed).
    pub fn expire_by(&mut self, now: chrono::DateTime<chrono::Utc>) -> bool {
        let Some(until) = self.plan.as_ref().and_then(|p| p.basis.valid_until) else {
            return false;
        };
        if self.status == Status::Ready && now > until {
            self.status = Status::Expired {
                until: until.format("%H:%M").to_string(),
            };
            return true;
        }
        false
    }

    /// `ApplyPlan` was sent for `plan_id`.
    pub fn applying(&mut self, plan_id: u64) {
        if self.plan.as_ref().is_some_and(|p| p.id == plan_id) {
            self.status = Status::Applying;
        }
    }

    /// A real cycle started: a plan shown before it is out of date (unless it is the one
    /// being applied).
    pub fn cycle_started(&mut self) {
        if self.status == Status::Ready {
            self.status = Status::OutOfDate("a cycle ran since it was made".to_owned());
        }
    }

    /// A real cycle ended: the plan it was applying says where a stop cut it short.
    pub fn cycle_finished(&mut self, cycle_id: i64, stopped: Option<crate::sync::Stopped>) {
        if let (Status::Applied { cycle_id: applied }, Some(at)) = (&self.status, stopped)
            && *applied == cycle_id
            && at.phase == crate::sync::StopPhase::Applying
        {
            self.status = Status::Stopped { cycle_id, at };
        }
    }

    /// The rules in force now have this plan hash (this console's save): a plan made under
    /// others is out of date, until the engine's reload names what changed.
    pub fn rules_now(&mut self, plan_hash: &str) {
        if self.status == Status::Ready && self.plan.as_ref().is_some_and(|p| p.basis.profile != plan_hash) {
            self.status = Status::OutOfDate(RULES_CHANGED.to_owned());
        }
    }

    /// The engine took a configuration whose plans have `plan_hash` (another console's save
    /// too): a ready plan made under others is out of date, `why` naming what changed — also
    /// one this console's own save marked before the engine named the change (acceptance N5).
    pub fn reloaded(&mut self, plan_hash: &str, why: String) {
        let unnamed = matches!(&self.status, Status::OutOfDate(w) if w == RULES_CHANGED);
        if (self.status == Status::Ready || unnamed) && self.plan.as_ref().is_some_and(|p| p.basis.profile != plan_hash)
        {
            self.status = Status::OutOfDate(why);
        }
    }

    /// The engine refused to apply `plan_id`; its reason ends with why ("… (plan 3: a cycle
    /// ran since it was made)"), which is what the screen shows.
    pub fn refused(&mut self, plan_id: u64, reason: &str) {
        // Refused as applied already: it stays shown as applied.
        if self.plan.as_ref().is_some_and(|p| p.id == plan_id) && !matches!(self.status, Status::Applied { .. }) {
            self.status = Status::OutOfDate(refusal_why(reason).to_owned());
        }
    }

    /// Whether `A` may apply the plan shown.
    pub fn ready(&self) -> bool {
        self.plan.is_some() && self.status == Status::Ready
    }

    /// The operations the list shows, after its filters: their places in the plan. Without a
    /// filter no op is built (a plan's memberships are built when read; issue 16 §3).
    pub fn visible(&self) -> Vec<usize> {
        let Some(plan) = &self.plan else { return Vec::new() };
        let v = &self.view;
        let action = FILTERS.get(v.filter).copied().unwrap_or("all");
        let text = v.text.to_lowercase();
        if action == "all" && text.is_empty() {
            return (0..plan.len()).collect();
        }
        plan.ops()
            .enumerate()
            .filter(|(_, op)| shown_by(action, op))
            .filter(|(_, op)| text.is_empty() || op.source_name.text().to_lowercase().contains(&text))
            .map(|(i, _)| i)
            .collect()
    }

    /// The `k`th operation the list shows.
    pub fn visible_op(&self, visible: &[usize], k: usize) -> Option<Cow<'_, Op>> {
        self.plan.as_ref()?.get(*visible.get(k)?)
    }

    pub fn key(&self, key: KeyEvent) -> Option<AppAction> {
        if let Some(a) = self.view.key(key) {
            return Some(AppAction::Plan(Action::List(a)));
        }
        let a = match key.code {
            KeyCode::Esc if self.view.open => Action::List(ListAction::Close),
            KeyCode::Char('f') => Action::List(ListAction::NextFilter),
            KeyCode::Char('A') => Action::AskApply,
            _ => return None,
        };
        Some(AppAction::Plan(a))
    }

    /// Applies `action`; an overlay to show, if any.
    pub fn update(&mut self, action: Action, shared: &mut Shared) -> Option<Overlay> {
        match action {
            Action::List(a) => {
                let len = self.visible().len();
                let rows = self.detail_rows();
                self.view.update(a, len, FILTERS.len(), rows);
                None
            }
            Action::AskApply => {
                let overlay = self.apply_overlay();
                if overlay.is_none() {
                    shared.status = self.not_ready();
                }
                overlay
            }
        }
    }

    /// The selected operation's detail lines (for its scroll).
    fn detail_rows(&self) -> usize {
        self.visible_op(&self.visible(), self.view.selected).map_or(0, |op| {
            view::detail_lines(&op, crate::tui::theme::Theme::monochrome()).len()
        })
    }

    /// Why `A` does not apply now.
    fn not_ready(&self) -> String {
        match (&self.plan, &self.status) {
            (None, _) => "No plan yet: d makes a dry run.".to_owned(),
            (Some(p), Status::Applied { cycle_id }) if p.numbered() => {
                format!("Plan {} was applied in cycle {cycle_id}: d makes a new dry run.", p.id)
            }
            (Some(_), Status::Applied { cycle_id }) => {
                format!(
                    "Cycle {cycle_id} made this plan and applied it itself: d makes a dry run whose plan A applies."
                )
            }
            (Some(p), Status::Stopped { cycle_id, at }) => {
                format!(
                    "{} {at} in cycle {cycle_id}: d makes a new dry run.",
                    capitalised(&name(p, &self.status))
                )
            }
            (Some(_), Status::Applying) => "The plan is being applied.".to_owned(),
            (Some(p), Status::EngineGone) => format!("{}.", capitalised(&engine_gone(p.id))),
            (Some(p), Status::OutOfDate(why)) => {
                format!("Plan {} is out of date ({why}): d makes a new dry run.", p.id)
            }
            (Some(p), Status::Expired { until }) => {
                format!("Plan {} expired at {until} UTC: d makes a new dry run.", p.id)
            }
            (Some(_), Status::Ready) => String::new(),
        }
    }

    fn apply_overlay(&self) -> Option<Overlay> {
        let plan = self.plan.as_ref().filter(|_| self.ready())?;
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
            ) + &held_note(c),
        })
    }
}

/// What applying a plan the deletion threshold holds part of means, for the apply question:
/// empty when it holds nothing.
fn held_note(c: &crate::sync::Counts) -> String {
    c.held_words().map_or_else(String::new, |words| {
        format!(
            "\nHeld by the deletion threshold, not applied: {words}. Applying quarantines the job (TooManyDeletes) until D (or nowsync allow-deletes in a shell) applies them."
        )
    })
}

/// Why the engine refused a plan: the end of its reason, "this plan is out of date: make a new
/// dry run (plan 3: a cycle ran since it was made)", or the whole reason.
pub fn refusal_why(reason: &str) -> &str {
    match reason.rsplit_once(": ") {
        Some((_, why)) if reason.ends_with(')') => why.trim_end_matches(')'),
        _ => reason,
    }
}

/// `text` with its first letter upper case (a status line's sentence).
pub fn capitalised(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map(|first| first.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
