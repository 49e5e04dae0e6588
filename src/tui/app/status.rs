//! The status line follows the engine (issue 14: "Status and footer messages expire or are
//! replaced; none stays for minutes"): a message the engine's events make untrue is replaced
//! by what is true now — "applying the plan" by how its cycle ended, "Dry run: plan 2 ready"
//! once plan 2 is no longer ready — and a plan refused is said in the console that asked for
//! it, not in every console attached to the engine.

use std::sync::Arc;

use super::shared::About;
use super::{App, Overlay};
use crate::sync::{Plan, SyncEvent};
use crate::tui::log::LogLine;
use crate::tui::screens::plan::{Status, capitalised, refusal_why};

impl App {
    /// Before the screens take `event` (its log `line`): a cycle or dry run this console asked
    /// for ended, or failed; the status says how, in the log's words.
    pub(super) fn status_before(&mut self, event: &SyncEvent, line: Option<&LogLine>) {
        let ended = match event {
            SyncEvent::CycleFinished { cycle_id, .. } => Some(Some(*cycle_id)),
            SyncEvent::Error { cycle_id, .. } => Some(*cycle_id),
            _ => None,
        };
        let (Some(ended), Some(line)) = (ended, line) else {
            return;
        };
        if !matches!(self.shared.about(), Some(About::Cycle | About::DryRun)) {
            return;
        }
        // The plan this console applied: named, so "applying the plan" is answered by it.
        let applied = match (&self.plan.plan, &self.plan.status) {
            (Some(p), Status::Applied { cycle_id } | Status::Stopped { cycle_id, .. }) if Some(*cycle_id) == ended => {
                Some(p.id)
            }
            _ => None,
        };
        self.shared.status = match applied {
            Some(id) => format!("Plan {id}: {}", line.text),
            None => capitalised(&line.text),
        };
    }

    /// After the screens took an event: "plan N ready" goes once plan N is not (a cycle ran,
    /// a newer plan came, the rules changed, it was refused or applied).
    pub(super) fn status_after(&mut self) {
        if let Some(About::PlanReady(id)) = self.shared.about()
            && !(self.plan.ready() && self.plan.plan.as_ref().is_some_and(|p| p.id == id))
        {
            self.shared.status.clear();
        }
    }

    /// A plan arrived: a dry run's is announced as ready.
    pub(super) fn plan_ready(&mut self, plan: Arc<Plan>, cycle_id: i64) {
        let dry_run = self.dashboard.running.as_ref().is_none_or(|r| r.dry_run);
        if dry_run {
            let text = format!(
                "Dry run: plan {} ready ({}), nothing written: a opens it",
                plan.id,
                crate::tui::text::count(plan.len() as u64, "operation", "operations")
            );
            self.shared.say(About::PlanReady(plan.id), text);
        }
        self.plan.planned(plan, dry_run, cycle_id, super::now());
        self.confirm_outlived();
    }

    /// The engine refused to apply `plan_id`. Every console attached hears it; the one that
    /// asked says so, one whose apply question was about it closes the question and says why;
    /// any other only marks the plan out of date (its log pane has the engine's line).
    pub(super) fn plan_refused(&mut self, plan_id: u64, reason: &str) {
        let shown = self.plan.plan.as_ref().is_some_and(|p| p.id == plan_id);
        let asked = shown && self.plan.status == Status::Applying;
        self.plan.refused(plan_id, reason);
        let why = refusal_why(reason);
        if matches!(self.shared.overlay, Overlay::ConfirmApply { plan_id: open, .. } if open == plan_id) {
            self.shared.overlay = Overlay::None;
            self.shared.status = format!(
                "Plan {plan_id} is no longer offered (out of date: {why}): the question closed; d makes a new dry run."
            );
        } else if asked {
            self.shared.status = format!("Plan {plan_id} refused: out of date ({why}); d makes a new dry run.");
        }
    }
}
