//! The log full screen and the log pane's keys (the dashboard shows the same pane): scroll,
//! follow the tail, pause, level, and a text filter typed in the key line.

mod view;

use crossterm::event::{KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

pub use view::LogView;

use super::Screen;
use crate::tui::app::Action as AppAction;
use crate::tui::log::LogBuffer;

/// A key's meaning on the log pane.
#[derive(Debug, Clone)]
pub enum Action {
    /// Lines up (positive) or down.
    Scroll(isize),
    Follow,
    Pause,
    Level,
    /// Start typing a filter.
    Filter,
    /// A key for the filter field.
    FilterKey(KeyEvent),
}

/// The log screen's own state: the filter being typed, while it is.
#[derive(Debug, Default)]
pub struct State {
    pub filter: Option<Input>,
}

/// The keys of the pane, wherever it is drawn.
pub fn pane_key(key: KeyEvent) -> Option<Action> {
    Some(match key.code {
        KeyCode::Up | KeyCode::Char('k') => Action::Scroll(1),
        KeyCode::Down | KeyCode::Char('j') => Action::Scroll(-1),
        KeyCode::PageUp => Action::Scroll(10),
        KeyCode::PageDown => Action::Scroll(-10),
        KeyCode::Home => Action::Scroll(isize::MAX / 2),
        KeyCode::End | KeyCode::Char('f') => Action::Follow,
        KeyCode::Char(' ') => Action::Pause,
        KeyCode::Char('l') => Action::Level,
        KeyCode::Char('/') => Action::Filter,
        _ => return None,
    })
}

impl State {
    /// Whether keys go to the filter field.
    pub fn in_text_field(&self) -> bool {
        self.filter.is_some()
    }

    /// The log screen's keys.
    pub fn key(&self, key: KeyEvent) -> Option<AppAction> {
        if self.filter.is_some() {
            return Some(AppAction::Log(Action::FilterKey(key)));
        }
        if let Some(a) = pane_key(key) {
            return Some(AppAction::Log(a));
        }
        match key.code {
            KeyCode::Esc | KeyCode::Char('L') => Some(AppAction::Show(Screen::Dashboard)),
            _ => None,
        }
    }

    /// Applies `action` to the buffer's view.
    pub fn update(&mut self, log: &mut LogBuffer, action: Action) {
        match action {
            Action::Scroll(n) if n >= 0 => log.scroll_up(n as usize),
            Action::Scroll(n) => log.scroll_down(n.unsigned_abs()),
            Action::Follow => log.follow(),
            Action::Pause => log.paused = !log.paused,
            Action::Level => log.min_level = log.min_level.next(),
            Action::Filter => self.filter = Some(Input::new(log.filter.clone())),
            Action::FilterKey(key) => match key.code {
                KeyCode::Enter => self.filter = None,
                KeyCode::Esc => {
                    self.filter = None;
                    log.set_filter("");
                }
                _ => {
                    if let Some(input) = &mut self.filter {
                        input.handle_event(&crossterm::event::Event::Key(key));
                        let text = input.value().to_owned();
                        log.set_filter(&text);
                    }
                }
            },
        }
    }
}
