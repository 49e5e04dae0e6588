//! The log full screen and the log pane's keys (the dashboard shows the same pane): scroll,
//! follow the tail, pause (Space; Space again follows the tail), level, a text filter typed in
//! the key line (`/` starts a new one), and Enter for the whole of the bottom line shown.

mod view;

use crossterm::event::{KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

pub use view::LogView;

use super::Screen;
use crate::tui::app::{Action as AppAction, Overlay};
use crate::tui::log::LogBuffer;

/// A key's meaning on the log pane.
#[derive(Debug, Clone)]
pub enum Action {
    /// Lines up (positive) or down.
    Scroll(isize),
    Follow,
    Pause,
    Level,
    /// Start typing a filter (replacing the one set).
    Filter,
    /// The bottom line shown, whole.
    Open,
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
        KeyCode::Enter => Action::Open,
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

    /// Applies `action` to the buffer's view; an overlay to show, if any.
    pub fn update(&mut self, log: &mut LogBuffer, action: Action) -> Option<Overlay> {
        match action {
            Action::Scroll(n) if n >= 0 => log.scroll_up(n as usize),
            Action::Scroll(n) => log.scroll_down(n.unsigned_abs()),
            Action::Follow => log.follow(),
            // Paused or scrolled back, Space follows the tail again.
            Action::Pause if !log.following() => log.follow(),
            Action::Pause => log.paused = true,
            Action::Level => log.min_level = log.min_level.next(),
            Action::Filter => {
                self.filter = Some(Input::default());
                log.set_filter("");
            }
            Action::Open => {
                let line = log
                    .visible(1)
                    .first()
                    .map(|l| format!("{} {} {}", l.time, l.level.as_str(), l.text));
                let none = if log.is_empty() {
                    "The log is empty.".to_owned()
                } else {
                    format!(
                        "No line of the {} in the log shows at level {} and above{}: l changes the level, / the filter.",
                        log.len(),
                        log.min_level.as_str(),
                        if log.filter.is_empty() {
                            String::new()
                        } else {
                            format!(" containing '{}'", log.filter)
                        }
                    )
                };
                return Some(Overlay::LogLine(line.unwrap_or(none)));
            }
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
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::log::Level;

    /// Acceptance F9: Enter on a filtered view said "The log is empty." of a log of 8389 lines.
    #[test]
    fn enter_shows_the_one_matching_line_or_says_why_none_shows() {
        let mut log = LogBuffer::default();
        log.push("10:00:00".into(), Level::Info, "cycle 3: reading");
        log.push("10:00:01".into(), Level::Error, "the instance is hibernating");
        log.push("10:00:02".into(), Level::Info, "cycle 3 finished");
        let mut state = State::default();
        log.set_filter("hibernat");
        state.update(&mut log, Action::Scroll(1));
        let Some(Overlay::LogLine(line)) = state.update(&mut log, Action::Open) else {
            panic!("no line")
        };
        assert_eq!(line, "10:00:01 ERROR the instance is hibernating");
        log.set_filter("nothing like it");
        let Some(Overlay::LogLine(line)) = state.update(&mut log, Action::Open) else {
            panic!("no line")
        };
        assert_eq!(
            line,
            "No line of the 3 in the log shows at level DEBUG and above containing 'nothing like it': l changes the level, / the filter."
        );
    }
}
