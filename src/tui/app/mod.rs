//! The console's state and its one door for change: `Event` → `Action` → [`App::update`].
//!
//! `App` routes keys to the screen shown and owns only what the screens share ([`Shared`]:
//! which screen shows, the overlay, the status line; and the log buffer). Each screen's state
//! and keys live in `screens/<name>/`; the few actions that touch two screens (a mappings save
//! from the scope or settings screen, assigned/all through the settings editor) are carried
//! out here, by name. Events from outside (`events.rs`) are routed the same way.
//!
//! Invariants: `update()` never awaits, blocks or draws; work it wants done is returned as
//! [`Effect`]s. Esc never exits; Ctrl-C and `q` (outside a text field) quit, asking first when
//! edits are unsaved or a cycle is running, and `y` confirms.

mod attach;
#[cfg(test)]
mod engine_state_tests;
mod events;
mod keys;
pub mod pending;
#[cfg(test)]
mod quarantine_tests;
mod resave;
#[cfg(test)]
mod restart_tests;
mod shared;
#[cfg(test)]
mod sso_tests;
mod status;
#[cfg(test)]
mod tests;

use super::effect::Effect;
use super::log::LogBuffer;
pub use super::screens::Screen;
use super::screens::{dashboard, log, mappings, plan, records, scope, settings, sso, wizard};
use super::theme::Theme;
use crate::sync::Command;
pub use shared::{Action, Overlay, STATUS_SECONDS, Shared};
use wizard::Wizard;

/// The whole console.
pub struct App {
    pub theme: Theme,
    pub profile: String,
    pub demo: bool,
    pub shared: Shared,
    pub log: LogBuffer,
    pub quit: bool,
    /// The terminal's size, as the last resize said.
    pub size: (u16, u16),
    /// A change waiting for its preview and the admin's confirmation.
    pub pending: Option<pending::Pending>,
    /// Previews asked so far (their query ids).
    previews: u64,
    /// A confirmed change is being saved: offer a dry run once it is.
    offer_dry_run: bool,
    /// The wizard saved a profile with provisioning off: offer a dry run once the engine runs.
    offer_after_start: bool,
    /// The engine is the console's own (it ends with the console unless kept in the background).
    pub own_engine: bool,
    /// The engine is another process's, attached to through its socket.
    pub engine_elsewhere: bool,
    /// Attaching again was asked and has not been answered yet.
    attaching: bool,
    /// On quit the admin chose to keep provisioning in the background.
    pub keep_in_background: bool,
    pub wizard: Option<Wizard>,
    pub dashboard: dashboard::State,
    pub log_screen: log::State,
    pub plan: plan::State,
    pub records: records::State,
    pub mappings: mappings::State,
    pub scope: scope::State,
    pub settings: settings::State,
    pub sso: sso::State,
}

impl App {
    pub fn new(profile: &str, theme: Theme, demo: bool) -> Self {
        Self {
            theme,
            profile: profile.to_owned(),
            demo,
            shared: Shared::default(),
            log: LogBuffer::default(),
            quit: false,
            size: (crate::tui::view::MIN_WIDTH, crate::tui::view::MIN_HEIGHT),
            pending: None,
            previews: 0,
            offer_dry_run: false,
            offer_after_start: false,
            own_engine: false,
            engine_elsewhere: false,
            attaching: false,
            keep_in_background: false,
            wizard: None,
            dashboard: dashboard::State::default(),
            log_screen: log::State::default(),
            plan: plan::State::default(),
            records: records::State::default(),
            mappings: mappings::State::new(crate::mapping::model::defaults().map_err(Into::into)),
            scope: scope::State::default(),
            settings: settings::State::default(),
            sso: sso::State::default(),
        }
    }

    /// Opens the wizard as the current screen; returns its start-up effects.
    pub fn open_wizard(&mut self, wizard: Wizard) -> Vec<Effect> {
        let effects = wizard.start();
        self.wizard = Some(wizard);
        self.shared.screen = Screen::Wizard;
        effects
    }

    /// Whether keys go to a text field (then `q` and `?` are text).
    pub fn in_text_field(&self) -> bool {
        self.log_screen.in_text_field()
            || match self.shared.screen {
                Screen::Wizard => self.wizard.as_ref().is_some_and(Wizard::in_text_field),
                Screen::Plan => self.plan.in_text_field(),
                Screen::Records => self.records.in_text_field(),
                Screen::Mappings => self.mappings.in_text_field(),
                Screen::Scope => self.scope.in_text_field(),
                Screen::Settings => self.settings.in_text_field(),
                Screen::Dashboard | Screen::Log => false,
            }
            || (matches!(self.shared.overlay, Overlay::Sso) && self.sso.in_text_field())
    }

    /// Why quitting now would lose something, if it would.
    pub fn quit_warning(&self) -> Option<String> {
        if self.wizard.as_ref().is_some_and(|w| w.dirty) {
            return Some("The setup wizard has unsaved edits.".to_owned());
        }
        if self.mappings.doc.draft.dirty() {
            return Some("The mappings have unsaved edits.".to_owned());
        }
        if self.settings.dirty() {
            return Some("The settings have unsaved edits.".to_owned());
        }
        // Leaving an attached console stops nothing; the console's own engine is asked about.
        if self.dashboard.cycle_running() && !self.engine_elsewhere && !self.asks_keep() {
            return Some("A cycle is running: it finishes the object in flight and stops.".to_owned());
        }
        None
    }

    /// Applies one action. Never awaits, never draws. A save that changes what a plan is
    /// made from waits for its preview and a confirmation (`pending.rs`).
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let confirmed = matches!(action, Action::ConfirmPending);
        let effects = self.apply(action);
        if confirmed { effects } else { self.hold_saves(effects) }
    }

    fn apply(&mut self, action: Action) -> Vec<Effect> {
        let engine = self.help_engine();
        let shared = &mut self.shared;
        match action {
            Action::Help => {
                shared.overlay = Overlay::Help;
                shared.help_scroll = 0;
            }
            Action::HelpScroll(by) => {
                let max = super::help::rows(shared.screen, engine, self.size.0).saturating_sub(1) as isize;
                shared.help_scroll = (shared.help_scroll as isize + by).clamp(0, max.max(0)) as u16;
            }
            Action::CloseOverlay => shared.overlay = Overlay::None,
            Action::AskQuit => match self.quit_warning() {
                Some(why) if !matches!(self.shared.overlay, Overlay::ConfirmQuit(_)) => {
                    self.shared.overlay = Overlay::ConfirmQuit(why)
                }
                Some(_) => {}
                None => return self.leave(),
            },
            Action::Leave => return self.leave(),
            Action::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Action::QuitKeeping => {
                self.keep_in_background = true;
                self.quit = true;
                return vec![Effect::Quit];
            }
            Action::Engine(command) => return self.engine(command),
            Action::Apply(plan_id) => {
                if let Some(why) = self.engine_gone(&Command::ApplyPlan { plan_id }) {
                    self.shared.overlay = Overlay::None;
                    self.shared.status = why;
                    return Vec::new();
                }
                self.plan.applying(plan_id);
                return self.engine(Command::ApplyPlan { plan_id });
            }
            Action::AskStop => self.ask_stop(),
            Action::AttachAgain => return self.attach_again(),
            Action::Show(screen) => return self.show(screen),
            Action::Go(screen) => return self.go(screen),
            Action::SaveWizardNow(a) => {
                self.shared.overlay = Overlay::None;
                return self.wizard.as_mut().map(|w| w.update(a)).unwrap_or_default();
            }
            Action::DropWizard => {
                if let Some(w) = &mut self.wizard {
                    w.reset();
                }
                return self.go(Screen::Dashboard);
            }
            Action::ConfirmPending => return self.confirm_pending(),
            Action::CancelPending => self.cancel_pending(),
            screen => return self.screen_action(screen),
        }
        Vec::new()
    }

    /// A screen's own action (and the SSO panel's).
    fn screen_action(&mut self, action: Action) -> Vec<Effect> {
        let shared = &mut self.shared;
        match action {
            Action::Wizard(a) => return self.wizard_action(a),
            Action::Log(a) => {
                if let Some(overlay) = self.log_screen.update(&mut self.log, a) {
                    shared.overlay = overlay;
                }
            }
            Action::Plan(a) => {
                if let Some(overlay) = self.plan.update(a, &mut self.shared) {
                    self.shared.overlay = overlay;
                }
            }
            Action::Records(a) => {
                let (effects, overlay) = self.records.update(a);
                if let Some(overlay) = overlay {
                    shared.overlay = overlay;
                }
                return effects;
            }
            Action::Mappings(a) => return self.mappings_action(a),
            Action::Scope(scope::Action::ToggleMode) => return self.settings.toggle_scope(&mut self.shared),
            Action::Scope(a) => return self.scope.update(a, &mut self.mappings.doc),
            Action::Settings(a) => return self.settings.update(a, &mut self.mappings.doc, &mut self.shared),
            Action::OpenSso => {
                let first = self.sso.report.is_none() && self.sso.pending.is_none();
                let effects = if first { self.sso_check(None) } else { Vec::new() };
                self.shared.overlay = Overlay::Sso;
                return effects;
            }
            Action::Sso(sso::Action::Close) => {
                self.sso.update(sso::Action::Close);
                shared.overlay = Overlay::None;
            }
            Action::Sso(a) => {
                let effects = match self.sso.update(a) {
                    Some(command) => self.sso_check(Some(command)),
                    None => Vec::new(),
                };
                self.shared.overlay = Overlay::Sso;
                return effects;
            }
            // The console's own actions are `apply`'s.
            _ => {}
        }
        Vec::new()
    }

    /// Sends the SSO panel's check (`command`, or a new one when `None`) to the engine; without
    /// an engine the panel says why.
    fn sso_check(&mut self, command: Option<Command>) -> Vec<Effect> {
        let command = match command {
            Some(c) => c,
            None => self.sso.check(),
        };
        let effects = self.engine(command);
        if effects.is_empty() {
            self.sso.pending = None;
            self.sso.report = Some(Err(self.shared.status.clone()));
        }
        effects
    }

    /// A command for the engine; without one, the status line says so.
    fn engine(&mut self, command: Command) -> Vec<Effect> {
        let shared = &mut self.shared;
        shared.overlay = Overlay::None;
        if self.dashboard.state.is_none() {
            shared.status = match self.settings.editor {
                None => "No profile yet: finish the setup wizard (Review and save) first.".to_owned(),
                Some(_) => "The engine is not running (see the log).".to_owned(),
            };
            return Vec::new();
        }
        if let Some(why) = self.engine_gone(&command) {
            self.shared.status = why;
            return Vec::new();
        }
        let shared = &mut self.shared;
        shared.asked(&command);
        vec![Effect::Engine(command)]
    }

    /// Whether the terminal is below the smallest size drawn.
    pub fn too_small(&self) -> bool {
        self.size.0 < crate::tui::view::MIN_WIDTH || self.size.1 < crate::tui::view::MIN_HEIGHT
    }

    /// Once a second: clocks, rates, and status messages that have stayed long enough.
    pub fn tick(&mut self) {
        self.dashboard.tick(std::time::Duration::from_secs(1));
        self.shared.tick();
    }

    /// Why leaving the screen shown for `to` would leave edits unsaved, if it would.
    fn unsaved_here(&self, to: Screen) -> Option<&'static str> {
        match self.shared.screen {
            Screen::Mappings | Screen::Scope
                if self.mappings.doc.draft.dirty() && !matches!(to, Screen::Mappings | Screen::Scope) =>
            {
                Some("The mappings have unsaved edits")
            }
            Screen::Settings if self.settings.dirty() => Some("The settings have unsaved edits"),
            Screen::Wizard if self.wizard.as_ref().is_some_and(|w| w.dirty) => {
                Some("The setup wizard has unsaved edits")
            }
            _ => None,
        }
    }

    /// To `screen`, asking first when the one shown has unsaved edits (they stay).
    fn show(&mut self, screen: Screen) -> Vec<Effect> {
        if screen == self.shared.screen {
            return Vec::new();
        }
        if self.shared.screen == Screen::Wizard && self.settings.editor.is_none() {
            self.shared.status =
                "Finish the setup first: Review and save writes the profile (Ctrl-C quits).".to_owned();
            return Vec::new();
        }
        if let Some(why) = self.unsaved_here(screen) {
            self.shared.overlay = Overlay::Ask {
                text: format!("{why}. Leave them unsaved for now? They stay here until saved or dropped."),
                yes: Box::new(Action::Go(screen)),
            };
            return Vec::new();
        }
        self.go(screen)
    }

    fn go(&mut self, screen: Screen) -> Vec<Effect> {
        self.shared.overlay = Overlay::None;
        if screen == Screen::Wizard && self.wizard.is_none() {
            self.shared.status = "No setup wizard here.".to_owned();
            return Vec::new();
        }
        self.shared.screen = screen;
        if let Some(w) = self.wizard.as_mut().filter(|_| screen == Screen::Wizard) {
            w.reopened();
        }
        match screen {
            Screen::Settings => self.settings.entered(),
            Screen::Mappings | Screen::Scope => self.mappings.entered(),
            _ => {}
        }
        match screen {
            Screen::Records => vec![Effect::LoadRecords],
            // The file as it is now: another console may have saved it since.
            Screen::Settings if self.settings.editor.is_some() => vec![Effect::ReadConfig],
            Screen::Scope if self.scope.preview.is_none() => self.scope.recount(),
            _ => Vec::new(),
        }
    }

    /// The wizard's actions; Esc on its step list leaves a reopened wizard (asking first
    /// when it has edits, which are then dropped).
    fn wizard_action(&mut self, action: wizard::Action) -> Vec<Effect> {
        let Some(w) = &mut self.wizard else {
            return Vec::new();
        };
        let leaving = action == wizard::Action::Leave && !w.editing && self.settings.editor.is_some();
        if !leaving {
            let effects = w.update(action.clone());
            return self.ask_before_restart(action, effects);
        }
        if w.dirty {
            self.shared.overlay = Overlay::Ask {
                text: "The setup wizard has unsaved edits. Leave and drop them?".to_owned(),
                yes: Box::new(Action::DropWizard),
            };
            return Vec::new();
        }
        self.go(Screen::Dashboard)
    }

    /// The mappings screen's actions; those that reach the scope and settings screens too.
    fn mappings_action(&mut self, action: mappings::Action) -> Vec<Effect> {
        match action {
            mappings::Action::Object => {
                let doc = &mut self.mappings.doc;
                doc.groups = !doc.groups;
                self.mappings.selected = 0;
                self.scope.selected = 0;
                Vec::new()
            }
            // Nothing edited: no save, and no preview presenting the rules' plan as a change's.
            mappings::Action::Save if !self.mappings.doc.draft.dirty() => {
                self.mappings.doc.draft.note = Some("nothing to save: no edits since the last save".to_owned());
                self.shared.status = "Nothing to save: the mappings and scoping filters are as saved.".to_owned();
                Vec::new()
            }
            mappings::Action::Save => mappings::save(&mut self.mappings.doc, self.settings.editor.as_ref()),
            mappings::Action::Discard => {
                self.shared.overlay = Overlay::None;
                self.mappings.discard();
                self.scope.selected = 0;
                self.scope.form = None;
                self.shared.screen = Screen::Dashboard;
                Vec::new()
            }
            a => self.mappings.update(a, &mut self.shared),
        }
    }
}

/// `HH:MM:SS` UTC, for log lines.
pub fn now() -> String {
    chrono::Utc::now().format("%H:%M:%S").to_string()
}
