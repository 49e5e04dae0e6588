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

mod events;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::effect::Effect;
use super::log::LogBuffer;
pub use super::screens::Screen;
use super::screens::{dashboard, log, mappings, plan, records, scope, settings, wizard};
use super::theme::Theme;
use crate::sync::Command;
use wizard::Wizard;

/// What is drawn over the screen.
#[derive(Debug, Clone)]
pub enum Overlay {
    None,
    Help,
    ConfirmQuit(String),
    ConfirmStop,
    ConfirmApply {
        plan_id: u64,
        summary: String,
    },
    /// Create a missing reference row (InvalidLookupReference).
    ConfirmCreate {
        table: String,
        field: String,
        value: String,
    },
    /// Leave the settings screen, dropping its edits.
    ConfirmLeave,
    /// A question whose `y` does `yes`.
    Ask {
        text: String,
        yes: Box<Action>,
    },
}

/// A user's intent, from a key: the console's own, or one of a screen's.
#[derive(Debug, Clone)]
pub enum Action {
    Help,
    CloseOverlay,
    AskQuit,
    Quit,
    Engine(Command),
    AskStop,
    Show(Screen),
    OpenWizard,
    Wizard(wizard::Action),
    Log(log::Action),
    Plan(plan::Action),
    Records(records::Action),
    Mappings(mappings::Action),
    Scope(scope::Action),
    Settings(settings::Action),
}

/// What every screen may change besides its own state.
#[derive(Debug)]
pub struct Shared {
    pub screen: Screen,
    pub overlay: Overlay,
    /// The last thing the console has to say (bottom line).
    pub status: String,
}

/// The whole console.
pub struct App {
    pub theme: Theme,
    pub profile: String,
    pub demo: bool,
    pub shared: Shared,
    pub log: LogBuffer,
    pub quit: bool,
    pub wizard: Option<Wizard>,
    pub dashboard: dashboard::State,
    pub log_screen: log::State,
    pub plan: plan::State,
    pub records: records::State,
    pub mappings: mappings::State,
    pub scope: scope::State,
    pub settings: settings::State,
}

impl App {
    pub fn new(profile: &str, theme: Theme, demo: bool) -> Self {
        Self {
            theme,
            profile: profile.to_owned(),
            demo,
            shared: Shared {
                screen: Screen::Dashboard,
                overlay: Overlay::None,
                status: String::new(),
            },
            log: LogBuffer::default(),
            quit: false,
            wizard: None,
            dashboard: dashboard::State::default(),
            log_screen: log::State::default(),
            plan: plan::State::default(),
            records: records::State::default(),
            mappings: mappings::State::new(crate::mapping::model::defaults().map_err(Into::into)),
            scope: scope::State::default(),
            settings: settings::State::default(),
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
    }

    /// Why quitting now would lose something, if it would.
    pub fn quit_warning(&self) -> Option<String> {
        if self.wizard.as_ref().is_some_and(|w| w.dirty) {
            return Some("The setup wizard has unsaved edits.".to_owned());
        }
        if self.mappings.doc.draft.dirty {
            return Some("The mappings have unsaved edits.".to_owned());
        }
        if self.settings.dirty() {
            return Some("The settings have unsaved edits.".to_owned());
        }
        if self.dashboard.cycle_running() {
            return Some("A cycle is running: it finishes the object in flight and stops.".to_owned());
        }
        None
    }

    /// The meaning of a key here: overlays first, then the keys of every screen, then the
    /// screen's own.
    pub fn action_for(&self, key: KeyEvent) -> Option<Action> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return Some(Action::AskQuit);
        }
        match &self.shared.overlay {
            Overlay::None => {}
            Overlay::Help => {
                return match key.code {
                    KeyCode::Esc | KeyCode::F(1) | KeyCode::Char('?') => Some(Action::CloseOverlay),
                    KeyCode::Char('q') => Some(Action::AskQuit),
                    _ => None,
                };
            }
            _ => {
                return match key.code {
                    KeyCode::Char('y') | KeyCode::Char('Y') => Some(self.confirmed()),
                    KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => Some(Action::CloseOverlay),
                    _ => None,
                };
            }
        }
        if key.code == KeyCode::F(1) {
            return Some(Action::Help);
        }
        // The log filter is typed in the key line, over whichever screen shows the pane.
        if self.log_screen.in_text_field() {
            return Some(Action::Log(log::Action::FilterKey(key)));
        }
        if !self.in_text_field() {
            match key.code {
                KeyCode::Char('?') => return Some(Action::Help),
                KeyCode::Char('q') => return Some(Action::AskQuit),
                _ => {}
            }
        }
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

    fn confirmed(&self) -> Action {
        match &self.shared.overlay {
            Overlay::ConfirmQuit(_) => Action::Quit,
            Overlay::ConfirmLeave => Action::Settings(settings::Action::Discard),
            Overlay::Ask { yes, .. } => (**yes).clone(),
            Overlay::ConfirmStop => Action::Engine(Command::Stop),
            Overlay::ConfirmApply { plan_id, .. } => Action::Engine(Command::ApplyPlan { plan_id: *plan_id }),
            Overlay::ConfirmCreate { table, field, value } => Action::Engine(Command::CreateReference {
                request: 1,
                table: table.clone(),
                field: field.clone(),
                value: value.clone(),
            }),
            Overlay::None | Overlay::Help => Action::CloseOverlay,
        }
    }

    /// Applies one action. Never awaits, never draws.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let shared = &mut self.shared;
        match action {
            Action::Help => shared.overlay = Overlay::Help,
            Action::CloseOverlay => shared.overlay = Overlay::None,
            Action::AskQuit => match self.quit_warning() {
                Some(why) if !matches!(self.shared.overlay, Overlay::ConfirmQuit(_)) => {
                    self.shared.overlay = Overlay::ConfirmQuit(why)
                }
                Some(_) => {}
                None => return self.update(Action::Quit),
            },
            Action::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Action::Engine(command) => {
                shared.overlay = Overlay::None;
                shared.status = super::effect::describe(&command).to_owned();
                return vec![Effect::Engine(command)];
            }
            Action::AskStop => {
                if self.dashboard.cycle_running() {
                    shared.overlay = Overlay::ConfirmStop;
                } else {
                    shared.status = "No cycle is running.".to_owned();
                }
            }
            Action::Show(screen) => return self.show(screen),
            Action::OpenWizard => {
                if self.wizard.is_some() {
                    shared.screen = Screen::Wizard;
                }
            }
            Action::Wizard(a) => {
                if let Some(w) = &mut self.wizard {
                    return w.update(a);
                }
            }
            Action::Log(a) => self.log_screen.update(&mut self.log, a),
            Action::Plan(a) => {
                if let Some(overlay) = self.plan.update(a) {
                    shared.overlay = overlay;
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
            Action::Scope(scope::Action::ToggleMode) => {
                self.scope.preview = None;
                return self.settings.toggle_scope(&mut self.shared);
            }
            Action::Scope(a) => return self.scope.update(a, &mut self.mappings.doc),
            Action::Settings(a) => return self.settings.update(a, &mut self.mappings.doc, &mut self.shared),
        }
        Vec::new()
    }

    fn show(&mut self, screen: Screen) -> Vec<Effect> {
        self.shared.screen = screen;
        match screen {
            Screen::Records => vec![Effect::LoadRecords],
            Screen::Scope if self.scope.preview.is_none() => self.scope.recount(),
            _ => Vec::new(),
        }
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
