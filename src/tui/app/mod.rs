//! The console's state and its one door for change: `Event` → `Action` → [`App::update`].
//!
//! `App` routes keys to the screen shown and owns only what the screens share ([`Shared`]:
//! which screen shows, the overlay, the status line; and the log buffer). Each screen's state
//! and keys live in `screens/<name>/`; the few actions that touch two screens (a mappings save
//! from the scope or settings screen, assigned/all through the settings editor) are carried
//! out by name in `routing.rs`, with the screen changes. Events from outside (`events.rs`) are
//! routed the same way.
//!
//! Invariants: `update()` never awaits, blocks or draws; work it wants done is returned as
//! [`Effect`]s. Esc never exits; Ctrl-C and `q` (outside a text field) quit, asking first when
//! edits are unsaved or a cycle is running, and `y` confirms.

mod allow;
#[cfg(test)]
mod allow_tests;
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
mod routing;
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
            Action::AskAllowDeletes => self.ask_allow_deletes(),
            Action::AllowDeletes(held) => return self.allow_deletes(held),
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
        if self.plan.expire_by(chrono::Utc::now()) {
            self.confirm_outlived();
        }
    }
}

/// `HH:MM:SS` UTC, for log lines.
pub fn now() -> String {
    chrono::Utc::now().format("%H:%M:%S").to_string()
}
