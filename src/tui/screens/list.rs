//! A filterable list's selection and filters, as the plan and records screens keep them, and
//! the keys they share. An item's details open over the list and scroll with the same keys.

use crossterm::event::{Event as CtEvent, KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

/// A key's meaning in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListAction {
    Select(isize),
    /// The details open: scroll them by so many rows.
    Scroll(isize),
    /// Enter: open (or close) the selected item's details.
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
    /// The selected item's details are open.
    pub open: bool,
    /// The first row of the details shown.
    pub scroll: u16,
}

impl ListView {
    /// The list keys every list has; `None` for the others.
    pub fn key(&self, key: KeyEvent) -> Option<ListAction> {
        if self.input.is_some() {
            return Some(ListAction::FilterKey(key));
        }
        if self.open {
            return Some(match key.code {
                KeyCode::Up | KeyCode::Char('k') => ListAction::Scroll(-1),
                KeyCode::Down | KeyCode::Char('j') => ListAction::Scroll(1),
                KeyCode::PageUp => ListAction::Scroll(-10),
                KeyCode::PageDown | KeyCode::Char(' ') => ListAction::Scroll(10),
                KeyCode::Home => ListAction::Scroll(-10_000),
                KeyCode::Enter => ListAction::Close,
                _ => return None,
            });
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

    /// Applies `action` to a list of `len` visible rows with `filters` filter words, whose
    /// selected item's details have `rows` lines.
    pub fn update(&mut self, action: ListAction, len: usize, filters: usize, rows: usize) {
        match action {
            ListAction::Select(d) => {
                let max = len.saturating_sub(1) as isize;
                self.selected = (self.selected as isize + d).clamp(0, max) as usize;
            }
            ListAction::Scroll(d) => {
                let max = rows.saturating_sub(1) as isize;
                self.scroll = (self.scroll as isize + d).clamp(0, max) as u16;
            }
            ListAction::Open => {
                self.open = len > 0;
                self.scroll = 0;
            }
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
