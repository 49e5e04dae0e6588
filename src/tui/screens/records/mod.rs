//! The provisioning logs: the state store's records (newest first) with filters by status and
//! text, a record's details (Steps, Modified properties, Troubleshooting), creating a missing
//! reference row, and export to JSON or CSV.

pub mod troubleshoot;
mod view;

use crossterm::event::{KeyCode, KeyEvent};

pub use view::RecordsView;

use super::Screen;
use super::list::{ListAction, ListView};
use crate::store::LogRecord;
use crate::tui::app::{Action as AppAction, Overlay};
use crate::tui::effect::Effect;

/// The status filter words.
pub const FILTERS: [&str; 4] = ["all", "failure", "success", "skipped"];

/// A key's meaning on the records screen.
#[derive(Debug, Clone)]
pub enum Action {
    List(ListAction),
    /// Export the filtered records: CSV (true) or JSON.
    Export(bool),
    /// Offer to create the missing reference row of the open record.
    AskCreateReference,
}

/// The records and the list over them.
#[derive(Debug, Default)]
pub struct State {
    pub records: Vec<LogRecord>,
    pub error: Option<String>,
    pub view: ListView,
    /// The objects failing now as `nowsync status` and the dashboard count them (the store's
    /// history, read after each cycle), so the three agree (acceptance N11); `None` until read.
    pub failing_now: Option<u64>,
}

impl State {
    pub fn in_text_field(&self) -> bool {
        self.view.input.is_some()
    }

    /// The records the list shows, after its filters.
    pub fn visible(&self) -> Vec<&LogRecord> {
        let v = &self.view;
        let status = FILTERS.get(v.filter).copied().unwrap_or("all");
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

    pub fn key(&self, key: KeyEvent) -> Option<AppAction> {
        if let Some(a) = self.view.key(key) {
            return Some(AppAction::Records(Action::List(a)));
        }
        let a = match key.code {
            KeyCode::Esc if self.view.open => Action::List(ListAction::Close),
            KeyCode::Esc => return Some(AppAction::Show(Screen::Dashboard)),
            KeyCode::Char('s') => Action::List(ListAction::NextFilter),
            KeyCode::Char('J') => Action::Export(false),
            KeyCode::Char('C') => Action::Export(true),
            KeyCode::Char('c') if self.view.open => Action::AskCreateReference,
            _ => return None,
        };
        Some(AppAction::Records(a))
    }

    /// Applies `action`: the effects to run and an overlay to show, if any.
    pub fn update(&mut self, action: Action) -> (Vec<Effect>, Option<Overlay>) {
        match action {
            Action::List(a) => {
                let len = self.visible().len();
                let rows = self.visible().get(self.view.selected).map_or(0, |r| {
                    view::detail_lines(crate::tui::theme::Theme::monochrome(), r).len()
                });
                self.view.update(a, len, FILTERS.len(), rows);
            }
            Action::Export(csv) => {
                let records = self.visible().into_iter().cloned().collect();
                return (vec![Effect::Export { csv, records }], None);
            }
            Action::AskCreateReference => {
                let overlay = self.visible().get(self.view.selected).and_then(|record| {
                    let (table, field, value) = troubleshoot::missing_reference(&record.reason)?;
                    Some(Overlay::ConfirmCreate { table, field, value })
                });
                return (Vec::new(), overlay);
            }
        }
        (Vec::new(), None)
    }

    /// Whether the open record names a missing reference row that `c` can create.
    pub fn can_create(&self) -> bool {
        self.view.open
            && self
                .visible()
                .get(self.view.selected)
                .is_some_and(|r| troubleshoot::missing_reference(&r.reason).is_some())
    }

    /// The store's records arrived.
    pub fn loaded(&mut self, result: Result<Vec<LogRecord>, crate::store::StoreError>) {
        match result {
            Ok(mut records) => {
                records.reverse();
                self.records = records;
                self.error = None;
                let len = self.visible().len();
                self.view.selected = self.view.selected.min(len.saturating_sub(1));
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }
}
