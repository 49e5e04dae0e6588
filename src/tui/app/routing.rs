//! Where the console goes: a screen's own actions routed to its state (and the SSO panel's),
//! the actions of the wizard and mappings screens that reach other screens too, and the screen
//! changes (`show` asks first when the screen shown has unsaved edits, `go` changes it).

use super::{Action, App, Overlay, Screen};
use crate::sync::Command;
use crate::tui::effect::Effect;
use crate::tui::screens::{mappings, scope, sso, wizard};

impl App {
    /// A screen's own action (and the SSO panel's).
    pub(super) fn screen_action(&mut self, action: Action) -> Vec<Effect> {
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
    pub(super) fn show(&mut self, screen: Screen) -> Vec<Effect> {
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

    pub(super) fn go(&mut self, screen: Screen) -> Vec<Effect> {
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
