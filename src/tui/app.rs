//! The console's state and its one door for change: `Event` → `Action` → [`App::update`].
//!
//! Invariants: `update()` never awaits, blocks or draws; work it wants done is returned as
//! [`Effect`]s. Esc never exits; Ctrl-C and `q` (outside a text field) quit, asking first when
//! edits are unsaved or a cycle is running, and `y` confirms.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::dashboard::Dashboard;
use super::effect::Effect;
use super::event::{Event, Side};
use super::log::{Level, LogBuffer};
use super::theme::Theme;
use super::wizard::{self, SideTest, Wizard};
use crate::sync::Command;

/// The screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Wizard,
    Dashboard,
    Log,
    Records,
    Plan,
    Mappings,
    Scope,
    Settings,
}

impl Screen {
    pub fn title(self) -> &'static str {
        match self {
            Screen::Wizard => "Setup wizard",
            Screen::Dashboard => "Dashboard",
            Screen::Log => "Log",
            Screen::Records => "Provisioning logs",
            Screen::Plan => "Plan",
            Screen::Mappings => "Mappings",
            Screen::Scope => "Scope",
            Screen::Settings => "Settings",
        }
    }
}

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

/// A user's intent, from a key.
#[derive(Debug, Clone)]
pub enum Action {
    Help,
    CloseOverlay,
    AskQuit,
    Quit,
    Wizard(wizard::Action),
    Engine(Command),
    AskStop,
    Show(Screen),
    OpenWizard,
    LogScroll(isize),
    LogFollow,
    LogPause,
    LogLevel,
    /// Start typing a log filter.
    LogFilter,
    /// A key for the log filter field.
    LogFilterKey(KeyEvent),
    /// Mappings: another row, users/groups, open the expression editor.
    MappingSelect(isize),
    MappingObject,
    OpenEditor,
    EditorKey(KeyEvent),
    PreviewScope,
    SettingsKey(KeyEvent),
    ExportSchema,
    AskLeave,
    DiscardSettings,
    Dashboard(super::dashboard::Action),
    /// The mappings screen's editing (`mapping_actions`).
    Mapping(super::mapping_actions::MapAction),
    /// The scope screen's editing (`scope_edit`).
    Scope(super::scope_edit::ScopeAction),
    /// Toggle a settings row that lives in the mapping file (`settings_extra`).
    SettingsToggle(usize),
}

/// The whole console.
pub struct App {
    pub theme: Theme,
    pub profile: String,
    pub demo: bool,
    pub screen: Screen,
    pub overlay: Overlay,
    pub wizard: Option<Wizard>,
    pub dashboard: Dashboard,
    pub log: LogBuffer,
    /// The log filter being typed, while it is.
    pub log_filter: Option<Input>,
    pub mappings: super::mappings::Mappings,
    /// The settings editor, once a profile is saved.
    pub settings_edit: Option<super::settings::Settings>,
    /// The saved profile's settings as (key, value) rows.
    pub settings: Vec<(String, String)>,
    /// The last thing the console has to say (bottom line).
    pub status: String,
    pub quit: bool,
}

impl App {
    pub fn new(profile: &str, theme: Theme, demo: bool) -> Self {
        Self {
            theme,
            profile: profile.to_owned(),
            demo,
            screen: Screen::Dashboard,
            overlay: Overlay::None,
            wizard: None,
            dashboard: Dashboard::default(),
            log: LogBuffer::default(),
            log_filter: None,
            mappings: super::mappings::Mappings::new(crate::mapping::model::defaults().map_err(|e| e.to_string())),
            settings: Vec::new(),
            settings_edit: None,
            status: String::new(),
            quit: false,
        }
    }

    /// Opens the wizard as the current screen; returns its start-up effects.
    pub fn open_wizard(&mut self, wizard: Wizard) -> Vec<Effect> {
        let effects = wizard.start();
        self.wizard = Some(wizard);
        self.screen = Screen::Wizard;
        effects
    }

    /// Whether keys go to a text field (then `q` and `?` are text).
    pub fn in_text_field(&self) -> bool {
        self.log_filter.is_some()
            || (self.screen == Screen::Wizard && self.wizard.as_ref().is_some_and(Wizard::in_text_field))
            || self.dashboard.in_text_field(self.screen)
            || (self.screen == Screen::Mappings && self.mappings.in_text_field())
            || (self.screen == Screen::Scope && self.mappings.scope_edit.form.as_ref().is_some_and(|f| f.focus == 2))
            || (self.screen == Screen::Settings
                && self
                    .settings_edit
                    .as_ref()
                    .is_some_and(super::settings::Settings::in_text_field))
    }

    /// Why quitting now would lose something, if it would.
    pub fn quit_warning(&self) -> Option<String> {
        if self.wizard.as_ref().is_some_and(|w| w.dirty) {
            return Some("The setup wizard has unsaved edits.".to_owned());
        }
        if self.mappings.draft.dirty {
            return Some("The mappings have unsaved edits.".to_owned());
        }
        if self.settings_edit.as_ref().is_some_and(|s| s.dirty) {
            return Some("The settings have unsaved edits.".to_owned());
        }
        if self.dashboard.cycle_running() {
            return Some("A cycle is running: it finishes the object in flight and stops.".to_owned());
        }
        None
    }

    /// Handles one event; returns the effects to run.
    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => match self.action_for(key) {
                Some(action) => self.update(action),
                None => Vec::new(),
            },
            Event::Key(_) | Event::Resize(..) => Vec::new(),
            Event::Tick => {
                self.dashboard.tick(std::time::Duration::from_secs(1));
                Vec::new()
            }
            Event::SettingsSaved(result) => {
                if let Err(e) = &result {
                    self.status = crate::model::text::sanitize_for_terminal(e);
                }
                if let Ok(saved) = &result {
                    self.settings = super::settings::rows(&saved.profile);
                }
                if let Some(s) = &mut self.settings_edit {
                    s.saved(result);
                }
                // Assigned or all changed from the scope screen: its counts follow.
                if self.screen == Screen::Scope && self.mappings.scope.is_none() {
                    if self.settings_edit.as_ref().is_some_and(|s| !s.dirty) {
                        self.status = "scope saved; reading the counts again".to_owned();
                    }
                    return self.mappings.preview_scope();
                }
                Vec::new()
            }
            Event::MappingsSaved(result) => {
                self.mappings_saved(result);
                if self.screen == Screen::Scope && self.mappings.scope.is_none() {
                    return self.mappings.preview_scope();
                }
                Vec::new()
            }
            Event::SchemaImported(result) => {
                let loaded = self.mappings.draft.imported(result);
                self.mappings.take(loaded);
                Vec::new()
            }
            Event::Records(result) => {
                self.dashboard.records_loaded(result);
                Vec::new()
            }
            Event::Signal(name) => {
                self.log.push(now(), Level::Warn, &format!("{name}: leaving"));
                self.update(Action::Quit)
            }
            Event::StoreProbed(status) => {
                if let Some(w) = &mut self.wizard {
                    w.store_status = status;
                }
                Vec::new()
            }
            Event::TestDone { side, steps } => {
                if let Some(w) = &mut self.wizard {
                    let state = SideTest::Done(steps);
                    match side {
                        Side::ServiceNow => w.servicenow_test = state,
                        Side::Entra => w.entra_test = state,
                    }
                }
                Vec::new()
            }
            Event::Saved(result) => {
                let saved = result.as_ref().ok().map(|(_, saved)| saved.clone());
                let effects = self.wizard.as_mut().map(|w| w.saved(result)).unwrap_or_default();
                if let Some(saved) = saved {
                    if let Some(w) = &self.wizard {
                        self.settings = super::settings::rows(&saved.profile);
                        self.settings_edit = Some(super::settings::Settings::new(
                            &saved.profile,
                            w.config_path.clone(),
                            saved.text,
                        ));
                    }
                    self.screen = Screen::Dashboard;
                    self.status = "Saved. The engine is starting.".to_owned();
                }
                effects
            }
            Event::EngineStarted(result) => {
                match result {
                    Ok(()) => {
                        self.dashboard.state.get_or_insert(crate::sync::EngineState::Idle);
                        self.status = "Engine started: r runs a cycle, d a dry run.".to_owned();
                    }
                    Err(e) => {
                        self.status = format!("The engine could not start: {e}");
                        self.log.push(now(), Level::Error, &self.status.clone());
                    }
                }
                Vec::new()
            }
            Event::Sync(event) => {
                if let Some(line) = super::log::line_of(&event) {
                    self.log.push_line(now(), line);
                }
                match event {
                    crate::sync::SyncEvent::Answer { request, answer } => {
                        let (mine, effects) = self.mappings.answer(request, &answer);
                        if !mine {
                            self.status = match &answer {
                                crate::sync::Answer::Created { table, sys_id } => format!(
                                    "created the {table} row {sys_id}: run a cycle (r) to retry the failed users"
                                ),
                                crate::sync::Answer::Failed(e) => format!("the engine could not do it: {e}"),
                                _ => format!("answer to request {request}"),
                            };
                        }
                        effects
                    }
                    event => {
                        if let crate::sync::SyncEvent::PlanReady { plan, .. } = &event
                            && self.dashboard.running.as_ref().is_some_and(|r| r.dry_run)
                        {
                            self.status = format!("Dry run planned {} operations: a opens the plan", plan.ops.len());
                        }
                        self.dashboard.on_sync(event)
                    }
                }
            }
            Event::Log { level, text } => {
                self.log.push(now(), level, &text);
                Vec::new()
            }
        }
    }

    /// The meaning of a key here: overlays first, then the keys of every screen, then the
    /// screen's own.
    pub fn action_for(&self, key: KeyEvent) -> Option<Action> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return Some(Action::AskQuit);
        }
        match &self.overlay {
            Overlay::None => {}
            Overlay::Help => {
                return match key.code {
                    KeyCode::Esc | KeyCode::F(1) | KeyCode::Char('?') => Some(Action::CloseOverlay),
                    KeyCode::Char('q') => Some(Action::AskQuit),
                    _ => None,
                };
            }
            Overlay::ConfirmQuit(_)
            | Overlay::ConfirmStop
            | Overlay::ConfirmApply { .. }
            | Overlay::ConfirmCreate { .. }
            | Overlay::ConfirmLeave
            | Overlay::Ask { .. } => {
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
        if let Some(_filter) = &self.log_filter {
            return Some(Action::LogFilterKey(key));
        }
        if !self.in_text_field() {
            match key.code {
                KeyCode::Char('?') => return Some(Action::Help),
                KeyCode::Char('q') => return Some(Action::AskQuit),
                _ => {}
            }
        }
        match self.screen {
            Screen::Wizard => self.wizard.as_ref()?.action_for(key).map(Action::Wizard),
            Screen::Dashboard | Screen::Log => self.dashboard_key(key),
            Screen::Records | Screen::Plan => self.dashboard.action_for(self.screen, key),
            Screen::Mappings if self.mappings.editor.is_some() => Some(Action::EditorKey(key)),
            Screen::Settings if self.settings_edit.is_some() => match key.code {
                KeyCode::Esc if self.settings_edit.as_ref().is_some_and(|s| s.dirty) => Some(Action::AskLeave),
                KeyCode::Esc => Some(Action::Show(Screen::Dashboard)),
                KeyCode::Char('w') if !self.in_text_field() => Some(Action::OpenWizard),
                _ => self.settings_extra_key(key).or(Some(Action::SettingsKey(key))),
            },
            Screen::Mappings => self.mappings_key(key),
            Screen::Scope => self.scope_key(key),
            Screen::Settings => self.setup_key(key),
        }
    }

    fn confirmed(&self) -> Action {
        match &self.overlay {
            Overlay::ConfirmQuit(_) => Action::Quit,
            Overlay::ConfirmLeave => Action::DiscardSettings,
            Overlay::Ask { yes, .. } => (**yes).clone(),
            Overlay::ConfirmStop => Action::Engine(Command::Stop),
            Overlay::ConfirmApply { plan_id, .. } => Action::Engine(Command::ApplyPlan { plan_id: *plan_id }),
            Overlay::ConfirmCreate { table, field, value } => Action::Engine(Command::CreateReference {
                request: 1,
                table: table.clone(),
                field: field.clone(),
                value: value.clone(),
            }),
            _ => Action::CloseOverlay,
        }
    }

    fn dashboard_key(&self, key: KeyEvent) -> Option<Action> {
        let full = self.screen == Screen::Log;
        Some(match key.code {
            KeyCode::Up | KeyCode::Char('k') => Action::LogScroll(1),
            KeyCode::Down | KeyCode::Char('j') => Action::LogScroll(-1),
            KeyCode::PageUp => Action::LogScroll(10),
            KeyCode::PageDown => Action::LogScroll(-10),
            KeyCode::Home => Action::LogScroll(isize::MAX / 2),
            KeyCode::End | KeyCode::Char('f') => Action::LogFollow,
            KeyCode::Char(' ') => Action::LogPause,
            KeyCode::Char('l') => Action::LogLevel,
            KeyCode::Char('/') => Action::LogFilter,
            KeyCode::Esc if full => Action::Show(Screen::Dashboard),
            KeyCode::Char('L') if !full => Action::Show(Screen::Log),
            KeyCode::Char('L') => Action::Show(Screen::Dashboard),
            _ if full => return None,
            KeyCode::Char('r') => Action::Engine(Command::RunNow),
            KeyCode::Char('d') => Action::Engine(Command::DryRun),
            KeyCode::Char('p') if self.dashboard.paused() => Action::Engine(Command::Resume),
            KeyCode::Char('p') => Action::Engine(Command::Pause),
            KeyCode::Char('x') => Action::AskStop,
            KeyCode::Char('e') => Action::Show(Screen::Records),
            KeyCode::Char('a') => Action::Show(Screen::Plan),
            KeyCode::Char('w') => Action::OpenWizard,
            KeyCode::Char('m') => Action::Show(Screen::Mappings),
            KeyCode::Char('s') => Action::Show(Screen::Scope),
            KeyCode::Char('t') => Action::Show(Screen::Settings),
            _ => return None,
        })
    }

    fn setup_key(&self, key: KeyEvent) -> Option<Action> {
        Some(match (self.screen, key.code) {
            (_, KeyCode::Esc) => Action::Show(Screen::Dashboard),
            (Screen::Settings, KeyCode::Char('w')) => Action::OpenWizard,
            _ => return None,
        })
    }

    /// Applies one action. Never awaits, never draws.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Help => self.overlay = Overlay::Help,
            Action::CloseOverlay => self.overlay = Overlay::None,
            Action::AskQuit => match self.quit_warning() {
                Some(why) if !matches!(self.overlay, Overlay::ConfirmQuit(_)) => {
                    self.overlay = Overlay::ConfirmQuit(why)
                }
                Some(_) => {}
                None => return self.update(Action::Quit),
            },
            Action::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Action::Wizard(a) => {
                if let Some(w) = &mut self.wizard {
                    return w.update(a);
                }
            }
            Action::Engine(command) => {
                self.overlay = Overlay::None;
                self.status = super::effect::describe(&command).to_owned();
                return vec![Effect::Engine(command)];
            }
            Action::AskStop => {
                if self.dashboard.cycle_running() {
                    self.overlay = Overlay::ConfirmStop;
                } else {
                    self.status = "No cycle is running.".to_owned();
                }
            }
            Action::Show(screen) => {
                self.screen = screen;
                if screen == Screen::Records {
                    return vec![Effect::LoadRecords];
                }
                if screen == Screen::Scope && self.mappings.scope.is_none() {
                    return self.mappings.preview_scope();
                }
            }
            Action::OpenWizard => {
                if self.wizard.is_some() {
                    self.screen = Screen::Wizard;
                }
            }
            Action::LogScroll(n) if n >= 0 => self.log.scroll_up(n as usize),
            Action::LogScroll(n) => self.log.scroll_down(n.unsigned_abs()),
            Action::LogFollow => self.log.follow(),
            Action::LogPause => self.log.paused = !self.log.paused,
            Action::LogLevel => self.log.min_level = self.log.min_level.next(),
            Action::LogFilter => self.log_filter = Some(Input::new(self.log.filter.clone())),
            Action::LogFilterKey(key) => match key.code {
                KeyCode::Enter => self.log_filter = None,
                KeyCode::Esc => {
                    self.log_filter = None;
                    self.log.set_filter("");
                }
                _ => {
                    if let Some(input) = &mut self.log_filter {
                        input.handle_event(&crossterm::event::Event::Key(key));
                        let text = input.value().to_owned();
                        self.log.set_filter(&text);
                    }
                }
            },
            Action::MappingSelect(d) => {
                let max = self.mappings.rows().saturating_sub(1) as isize;
                self.mappings.selected = (self.mappings.selected as isize + d).clamp(0, max) as usize;
            }
            Action::MappingObject => {
                self.mappings.groups = !self.mappings.groups;
                self.mappings.selected = 0;
                self.mappings.scope_edit.selected = 0;
            }
            Action::OpenEditor => self.mappings.open_editor(chrono::Utc::now()),
            Action::EditorKey(key) => return self.mappings.editor_key(key),
            Action::PreviewScope => return self.mappings.preview_scope(),
            Action::SettingsKey(key) => {
                if let Some(s) = &mut self.settings_edit {
                    return s.key(key);
                }
            }
            Action::AskLeave => self.overlay = Overlay::ConfirmLeave,
            Action::ExportSchema => {
                self.status = "exporting the mappings as Entra schema JSON (see the log)".to_owned();
                return vec![Effect::ExportSchema(self.mappings.source_text.clone())];
            }
            Action::DiscardSettings => {
                self.overlay = Overlay::None;
                if let Some(s) = &self.settings_edit
                    && let Ok(p) = crate::config::edit::check(&s.text, &s.config_path, &s.profile)
                {
                    self.settings_edit = Some(super::settings::Settings::new(
                        &p,
                        s.config_path.clone(),
                        s.text.clone(),
                    ));
                }
                self.screen = Screen::Dashboard;
            }
            Action::Mapping(a) => return self.mapping_update(a),
            Action::Scope(a) => return self.scope_update(a),
            Action::SettingsToggle(field) => return self.settings_toggle(field),
            Action::Dashboard(super::dashboard::Action::Export(csv)) => {
                let records = self.dashboard.visible_records().into_iter().cloned().collect();
                return vec![Effect::Export { csv, records }];
            }
            Action::Dashboard(a) => {
                if let Some(overlay) = self.dashboard.update(self.screen, a) {
                    self.overlay = overlay;
                }
            }
        }
        Vec::new()
    }
}

/// `HH:MM:SS` UTC, for log lines.
pub fn now() -> String {
    chrono::Utc::now().format("%H:%M:%S").to_string()
}
