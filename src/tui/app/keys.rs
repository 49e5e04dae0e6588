//! What a key means, in order: nothing but Ctrl-C (quit now) behind the "terminal too small"
//! screen; Ctrl-C; an overlay's keys; F1; the log filter being typed; `?` and `q` outside a text
//! field; the screen's own keys; then, outside a text field, the keys of every screen (k9s and
//! lazygit style): the number keys and Tab switch screens, `r` runs a cycle and `d` a dry run
//! wherever they are not the screen's own, the dashboard's letters open their screens, `D` applies
//! the held set (asking first), and `o` the SSO readiness panel.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Action, App, Overlay, Screen};
use crate::sync::Command;
use crate::tui::screens::log;

impl App {
    /// The meaning of a key here.
    pub fn action_for(&self, key: KeyEvent) -> Option<Action> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let ctrl_c = ctrl && key.code == KeyCode::Char('c');
        if self.too_small() {
            // Nothing is shown but the notice, so no key acts behind it: a question asked
            // there (`q` asked one) could not be seen, and took the next keys. Ctrl-C quits
            // at once; the notice says what that drops.
            return ctrl_c.then_some(Action::Quit);
        }
        if ctrl_c {
            return Some(Action::AskQuit);
        }
        if !matches!(self.shared.overlay, Overlay::None) {
            return self.overlay_key(key);
        }
        if key.code == KeyCode::F(1) {
            return Some(Action::Help);
        }
        // The log filter is typed in the key line, over whichever screen shows the pane.
        if self.log_screen.in_text_field() {
            return Some(Action::Log(log::Action::FilterKey(key)));
        }
        let text = self.in_text_field();
        if !text {
            match key.code {
                KeyCode::Char('?') => return Some(Action::Help),
                KeyCode::Char('q') => return Some(Action::AskQuit),
                _ => {}
            }
        }
        if let Some(action) = self.screen_key(key) {
            return Some(action);
        }
        if text { None } else { self.global_key(key) }
    }

    fn screen_key(&self, key: KeyEvent) -> Option<Action> {
        match self.shared.screen {
            Screen::Wizard => self.wizard.as_ref()?.action_for(key).map(Action::Wizard),
            Screen::Dashboard => self.dashboard.key(key),
            Screen::Log => self.log_screen.key(key),
            Screen::Plan => self.plan.key(key),
            Screen::Records => self.records.key(key),
            Screen::Mappings => self.mappings.key(key),
            Screen::Scope => self.scope.key(key, &self.mappings.doc),
            Screen::Settings => self.settings.key(key),
        }
    }

    /// The keys of every screen, when the screen does not use them itself.
    fn global_key(&self, key: KeyEvent) -> Option<Action> {
        let show = |s: Screen| Some(Action::Show(s));
        match key.code {
            KeyCode::Char(c @ '1'..='8') => {
                let i = c as usize - '1' as usize;
                show(Screen::ALL[i])
            }
            KeyCode::Tab => show(self.shared.screen.next(1)),
            KeyCode::BackTab => show(self.shared.screen.next(-1)),
            KeyCode::Char('r') => Some(Action::Engine(Command::RunNow)),
            KeyCode::Char('R') => Some(Action::Engine(Command::Reconcile { dry_run: false })),
            KeyCode::Char('d') => Some(Action::Engine(Command::DryRun)),
            KeyCode::Char('p') if self.dashboard.paused() => Some(Action::Engine(Command::Resume)),
            KeyCode::Char('p') => Some(Action::Engine(Command::Pause)),
            KeyCode::Char('x') => Some(Action::AskStop),
            KeyCode::Char('D') => Some(Action::AskAllowDeletes),
            KeyCode::Char('c') if self.engine_has_gone() => Some(Action::AttachAgain),
            KeyCode::Char('a') => show(Screen::Plan),
            KeyCode::Char('e') => show(Screen::Records),
            KeyCode::Char('L') => show(Screen::Log),
            KeyCode::Char('m') => show(Screen::Mappings),
            KeyCode::Char('s') => show(Screen::Scope),
            KeyCode::Char('t') => show(Screen::Settings),
            KeyCode::Char('w') => show(Screen::Wizard),
            KeyCode::Char('o') => Some(Action::OpenSso),
            KeyCode::Esc if self.shared.screen != Screen::Dashboard => show(Screen::Dashboard),
            _ => None,
        }
    }

    fn overlay_key(&self, key: KeyEvent) -> Option<Action> {
        match &self.shared.overlay {
            Overlay::None => None,
            Overlay::Help => match key.code {
                KeyCode::Esc | KeyCode::F(1) | KeyCode::Char('?') => Some(Action::CloseOverlay),
                KeyCode::Char('q') => Some(Action::AskQuit),
                KeyCode::Up | KeyCode::Char('k') => Some(Action::HelpScroll(-1)),
                KeyCode::Down | KeyCode::Char('j') => Some(Action::HelpScroll(1)),
                KeyCode::PageUp => Some(Action::HelpScroll(-10)),
                KeyCode::PageDown | KeyCode::Char(' ') => Some(Action::HelpScroll(10)),
                KeyCode::Home => Some(Action::HelpScroll(-1000)),
                KeyCode::End => Some(Action::HelpScroll(1000)),
                _ => None,
            },
            Overlay::LogLine(_) => match key.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => Some(Action::CloseOverlay),
                _ => None,
            },
            Overlay::Sso => self.sso.key(key).map(Action::Sso),
            Overlay::KeepInBackground => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => Some(Action::QuitKeeping),
                KeyCode::Char('n') | KeyCode::Char('N') => Some(Action::Quit),
                KeyCode::Esc => Some(Action::CloseOverlay),
                _ => None,
            },
            Overlay::Preview => match key.code {
                // Saved only once what it does is shown.
                KeyCode::Char('y') | KeyCode::Char('Y')
                    if self.pending.as_ref().is_some_and(|p| p.result.is_some()) =>
                {
                    Some(Action::ConfirmPending)
                }
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => Some(Action::CancelPending),
                _ => None,
            },
            _ => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => Some(self.confirmed()),
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => Some(Action::CloseOverlay),
                _ => None,
            },
        }
    }

    fn confirmed(&self) -> Action {
        match &self.shared.overlay {
            Overlay::ConfirmQuit(_) => Action::Leave,
            Overlay::ConfirmLeave => Action::Settings(crate::tui::screens::settings::Action::Discard),
            Overlay::Ask { yes, .. } => (**yes).clone(),
            Overlay::ConfirmStop => Action::Engine(Command::Stop),
            Overlay::ConfirmApply { plan_id, .. } => Action::Apply(*plan_id),
            Overlay::ConfirmAllowDeletes { held, .. } => Action::AllowDeletes(*held),
            Overlay::ConfirmCreate { table, field, value } => Action::Engine(Command::CreateReference {
                request: 1,
                table: table.clone(),
                field: field.clone(),
                value: value.clone(),
            }),
            Overlay::None
            | Overlay::Help
            | Overlay::LogLine(_)
            | Overlay::Preview
            | Overlay::Sso
            | Overlay::KeepInBackground => Action::CloseOverlay,
        }
    }
}
