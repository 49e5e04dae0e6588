//! A filterable list's selection and filters, as the plan and records screens keep them, and
//! the keys they share.

use crossterm::event::{Event as CtEvent, KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

/// A key's meaning in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListAction {
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

impl ListView {
    /// The list keys every list has; `None` for the others.
    pub fn key(&self, key: KeyEvent) -> Option<ListAction> {
        if self.input.is_some() {
            return Some(ListAction::FilterKey(key));
        }
        Some(match key.code {
            KeyCode::Up | KeyCode::Char('k') => ListAction::Select(-1),
            KeyCode::Down | KeyCode::Char('j') => ListAction::Select(1),
            KeyCode::PageUp => ListAction::Select(-10),
            KeyCode::PageDown => ListAction::Select(10),
            KeyCode::Enter => ListAction::Open,
            KeyCode::Char('/') => ListAction::StartFilter,
            _ => return None,
        })
    }

    /// Applies `action` to a list of `len` visible rows with `filters` filter words.
    pub fn update(&mut self, action: ListAction, len: usize, filters: usize) {
        match action {
            ListAction::Select(d) => {
                let max = len.saturating_sub(1) as isize;
                self.selected = (self.selected as isize + d).clamp(0, max) as usize;
            }
            ListAction::Open => self.open = !self.open,
            ListAction::Close => self.open = false,
            ListAction::NextFilter => {
                self.filter = (self.filter + 1) % filters;
                self.selected = 0;
            }
            ListAction::StartFilter => self.input = Some(Input::new(self.text.clone())),
            ListAction::FilterKey(key) => match key.code {
                KeyCode::Enter => self.input = None,
                KeyCode::Esc => {
                    self.input = None;
                    self.text.clear();
                }
                _ => {
                    if let Some(input) = &mut self.input {
                        input.handle_event(&CtEvent::Key(key));
                        self.text = input.value().to_owned();
                        self.selected = 0;
                    }
                }
            },
        }
    }
}
