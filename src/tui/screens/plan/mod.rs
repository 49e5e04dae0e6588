//! The plan of the last dry run: a list of operations filtered by action and text, the
//! selected one expandable to its attribute diff; `A` applies it after a confirmation with the
//! counts.

mod view;

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};

pub use view::PlanView;

use super::Screen;
use super::list::{ListAction, ListView};
use crate::sync::{Op, Plan};
use crate::tui::app::{Action as AppAction, Overlay};

/// The action filter words.
pub const FILTERS: [&str; 8] = [
    "all",
    "create",
    "update",
    "disable",
    "delete",
    "add_member",
    "skip",
    "error",
];

/// A key's meaning on the plan screen.
#[derive(Debug, Clone)]
pub enum Action {
    List(ListAction),
    AskApply,
}

/// The plan and the list over it.
#[derive(Debug, Default)]
pub struct State {
    pub plan: Option<Arc<Plan>>,
    pub view: ListView,
}

impl State {
    pub fn in_text_field(&self) -> bool {
        self.view.input.is_some()
    }

    /// A new plan arrived: the list starts over.
    pub fn planned(&mut self, plan: Arc<Plan>) {
        self.plan = Some(plan);
        self.view = ListView::default();
    }

    /// The operations the list shows, after its filters.
    pub fn visible_ops(&self) -> Vec<&Op> {
        let Some(plan) = &self.plan else { return Vec::new() };
        let v = &self.view;
        let action = FILTERS.get(v.filter).copied().unwrap_or("all");
        let text = v.text.to_lowercase();
        plan.ops
            .iter()
            .filter(|op| action == "all" || op.kind.action().as_str() == action)
            .filter(|op| text.is_empty() || op.source_name.to_lowercase().contains(&text))
            .collect()
    }

    pub fn key(&self, key: KeyEvent) -> Option<AppAction> {
        if let Some(a) = self.view.key(key) {
            return Some(AppAction::Plan(Action::List(a)));
        }
        let a = match key.code {
            KeyCode::Esc => return Some(AppAction::Show(Screen::Dashboard)),
            KeyCode::Char('f') => Action::List(ListAction::NextFilter),
            KeyCode::Char('A') => Action::AskApply,
            _ => return None,
        };
        Some(AppAction::Plan(a))
    }

    /// Applies `action`; an overlay to show, if any.
    pub fn update(&mut self, action: Action) -> Option<Overlay> {
        match action {
            Action::List(a) => {
                let len = self.visible_ops().len();
                self.view.update(a, len, FILTERS.len());
                None
            }
            Action::AskApply => self.apply_overlay(),
        }
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
}
