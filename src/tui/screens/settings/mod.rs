//! The settings screen: provisioning on or off, scope, interval, the deletion threshold (count
//! and share), the concurrency ceiling (`[servicenow] max_in_flight`), the notification email
//! and the engine options (match active records only, missing reference fail|warn, flatten
//! nested groups, log retention days). The screen opens browsing (arrows move, Enter or `e`
//! edits a field, Esc leaves it with its edit kept); `S` (or Enter in a field) writes the fields
//! the admin changed, and only those, as `config::edit` edits; the engine reloads. The rows past [`MAPPING_FIELDS`] live in
//! the mapping file (`extra.rs`).
//!
//! Invariants: the edited text is checked by `Config::parse` before it is written; leaving with
//! unsaved edits asks first; keys not shown here are never touched.

mod editor;
mod extra;
mod view;

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};

pub use editor::{FIELDS, MAPPING_FIELDS, Settings};
pub use extra::values;
pub use view::SettingsView;

use super::Screen;
use super::mappings::Doc;
use crate::config::edit::{self, Saved};
use crate::config::{Profile, ScopeMode};
use crate::tui::app::{Action as AppAction, Overlay, Shared};
use crate::tui::effect::Effect;

/// A key's meaning on the settings screen.
#[derive(Debug, Clone)]
pub enum Action {
    /// A key for the editor.
    Key(KeyEvent),
    /// Toggle row `n`, which lives in the mapping file (saved at once).
    Toggle(usize),
    /// `t`: provisioning on (after a confirm) or off, saved at once.
    Provisioning,
    /// Provisioning set to this and saved (the confirmed `t`).
    SetProvisioning(bool),
    AskLeave,
    /// Leave, dropping the edits.
    Discard,
}

/// The screen's state: the editor once a profile is saved, and the saved profile's settings
/// as (key, value) rows.
#[derive(Default)]
pub struct State {
    pub editor: Option<Settings>,
    pub rows: Vec<(String, String)>,
    /// The mapping-file rows were toggled and differ from the file as saved (the mappings'
    /// working copy holds them until S saves it).
    pub rows_changed: bool,
    /// A save of the editor's fields waits for the preview of what it does.
    pub previewing: bool,
}

impl State {
    /// Shown again: browsing the fields, none holding the keys (its edits kept). A note of a
    /// save made earlier goes (acceptance F19: notes stayed for minutes): "saved" is said
    /// where and when it was made.
    pub fn entered(&mut self) {
        let previewing = self.previewing;
        if let Some(s) = &mut self.editor {
            s.editing = false;
            let saving = s.message.as_ref().is_some_and(|m| m.as_deref() == Ok(editor::SAVING));
            if !previewing && !saving {
                s.message = None;
            }
        }
    }

    /// The screen over `profile` as saved in the file whose text is `text`.
    pub fn of(profile: &Profile, config_path: PathBuf, text: String) -> Self {
        Self {
            editor: Some(Settings::new(profile, config_path, text)),
            rows: rows(profile),
            rows_changed: false,
            previewing: false,
        }
    }

    pub fn in_text_field(&self) -> bool {
        self.editor.as_ref().is_some_and(Settings::in_text_field)
    }

    /// Unsaved edits: the editor's fields or the mapping-file rows.
    pub fn dirty(&self) -> bool {
        self.editor.as_ref().is_some_and(Settings::dirty) || self.rows_changed
    }

    /// The screen's keys.
    pub fn key(&self, key: KeyEvent) -> Option<AppAction> {
        let Some(editor) = &self.editor else {
            return match key.code {
                KeyCode::Esc => Some(AppAction::Show(Screen::Dashboard)),
                _ => None,
            };
        };
        if let Some(field) = extra::key(editor, key) {
            return Some(AppAction::Settings(Action::Toggle(field)));
        }
        // Only the keys the editor uses: the others are every screen's (r, d, 1–8, …).
        let used = editor.in_text_field()
            || matches!(
                key.code,
                KeyCode::Up
                    | KeyCode::Down
                    | KeyCode::Tab
                    | KeyCode::BackTab
                    | KeyCode::Left
                    | KeyCode::Right
                    | KeyCode::Char(' ' | 'e' | 'S')
                    | KeyCode::Enter
            );
        Some(match key.code {
            // Esc in a field leaves the field (its edit kept); browsing, it leaves the screen.
            KeyCode::Esc if editor.in_text_field() => AppAction::Settings(Action::Key(key)),
            // `t` opens this screen from the others; here it turns provisioning on or off.
            KeyCode::Char('t') if !editor.in_text_field() => AppAction::Settings(Action::Provisioning),
            KeyCode::Esc if self.dirty() => AppAction::Settings(Action::AskLeave),
            KeyCode::Esc => AppAction::Show(Screen::Dashboard),
            _ if used => AppAction::Settings(Action::Key(key)),
            _ => return None,
        })
    }

    /// Applies one action; the mapping-file rows change `doc`, and S saves it (with
    /// `mappings::save`) when they are the only edits; with edits of the fields too, the
    /// fields are saved first, then Enter again saves the rows (each previewed on its own).
    pub fn update(&mut self, action: Action, doc: &mut Doc, shared: &mut Shared) -> Vec<Effect> {
        match action {
            Action::Key(key) if self.rows_changed && self.editor.as_ref().is_some_and(|s| s.saves(key)) => {
                if let Some(s) = self.editor.as_mut().filter(|s| s.dirty()) {
                    shared.status = "saving the fields first; then S saves the mapping-file rows".to_owned();
                    return s.save();
                }
                return super::mappings::save(doc, self.editor.as_ref());
            }
            Action::Key(key) => {
                if let Some(s) = &mut self.editor {
                    return s.key(key);
                }
            }
            Action::Toggle(field) => {
                self.rows_changed = extra::toggle(doc, field, self.rows_changed, shared);
                if let Some(s) = &mut self.editor {
                    s.message = None;
                }
            }
            Action::Provisioning => return self.toggle_provisioning(shared),
            Action::SetProvisioning(on) => return self.set_provisioning(on, shared),
            Action::AskLeave => shared.overlay = Overlay::ConfirmLeave,
            Action::Discard => {
                shared.overlay = Overlay::None;
                if let Some(s) = &self.editor
                    && let Ok(p) = edit::check(&s.text, &s.config_path, &s.profile)
                {
                    self.editor = Some(Settings::new(&p, s.config_path.clone(), s.text.clone()));
                }
                if std::mem::take(&mut self.rows_changed) {
                    extra::back_to_saved(doc);
                }
                shared.screen = Screen::Dashboard;
            }
        }
        Vec::new()
    }

    /// The runtime wrote the file (or could not).
    pub fn saved(&mut self, result: Result<Saved, edit::EditError>) {
        if let Ok(saved) = &result {
            self.rows = rows(&saved.profile);
        }
        if let Some(s) = &mut self.editor {
            s.saved(result);
        }
    }

    /// The configuration file as it is now, read on entering the screen and after every
    /// reload of the engine: another console (or an editor) may have saved it since this one
    /// showed it. Unedited, the fields show it; edited, the edits stay and a save writes only
    /// them over the file as it is then.
    pub fn read_again(&mut self, profile: &Profile, text: String) {
        let Some(editor) = &mut self.editor else { return };
        let saving = editor
            .message
            .as_ref()
            .is_some_and(|m| m.as_deref() == Ok(editor::SAVING));
        if self.previewing || saving {
            return;
        }
        if editor.text == text {
            return;
        }
        if editor.dirty() {
            editor.message = Some(Err(
                "the file changed since this screen read it (another console saved it?): S writes only the fields you changed".to_owned(),
            ));
            return;
        }
        let mut fresh = Settings::new(profile, editor.config_path.clone(), text);
        fresh.focus = editor.focus;
        fresh.message = Some(Ok(
            "read again: the file changed since this console showed it".to_owned()
        ));
        *editor = fresh;
        if !self.rows_changed {
            self.rows = rows(profile);
        }
    }

    /// The save just asked for waits for the preview of what it does (`app/pending.rs`):
    /// nothing is being saved yet, so the editor does not say "saving…" behind the preview.
    pub fn held(&mut self) {
        self.previewing = true;
        if let Some(s) = &mut self.editor {
            s.message = None;
        }
    }

    /// The admin confirmed the previewed save: it is being saved now.
    pub fn saving(&mut self) {
        self.previewing = false;
        if let Some(s) = &mut self.editor {
            s.message = Some(Ok(editor::SAVING.to_owned()));
        }
    }

    /// A save the admin did not confirm after its preview: said so; a scope switched from the
    /// scope screen goes back (the settings screen keeps its edits, unsaved).
    pub fn not_saved(&mut self, revert_scope: bool) {
        self.previewing = false;
        if let Some(s) = &mut self.editor {
            s.message = Some(Err("not saved".to_owned()));
            if revert_scope {
                s.scope = s.base.scope;
            }
        }
    }

    /// `t`: provisioning on or off. Turning it on starts writing to ServiceNow, so it asks
    /// first; off is saved at once. With other unsaved edits the field is set and Enter saves
    /// it with them (a save of this field alone would drop them).
    fn toggle_provisioning(&mut self, shared: &mut Shared) -> Vec<Effect> {
        let Some(s) = &mut self.editor else {
            shared.status = "finish the setup wizard (w) first".to_owned();
            return Vec::new();
        };
        let on = !s.enabled;
        if s.dirty() {
            s.enabled = on;
            s.focus = 0;
            shared.status = format!(
                "Provisioning set to {}, not saved: S saves it with the other edits",
                if on { "on" } else { "off" }
            );
            return Vec::new();
        }
        if !on {
            return self.set_provisioning(false, shared);
        }
        shared.overlay = Overlay::Ask {
            text: format!(
                "Turn provisioning on? A cycle runs now and then every {} minutes, writing to ServiceNow.",
                s.base.interval_minutes
            ),
            yes: Box::new(AppAction::Settings(Action::SetProvisioning(true))),
        };
        Vec::new()
    }

    /// Provisioning set to `on` and saved (no other field is edited).
    fn set_provisioning(&mut self, on: bool, shared: &mut Shared) -> Vec<Effect> {
        shared.overlay = Overlay::None;
        let Some(s) = &mut self.editor else {
            return Vec::new();
        };
        s.enabled = on;
        shared.status = format!("saving: provisioning {}", if on { "on" } else { "off" });
        s.save()
    }

    /// Assigned or all, toggled and saved through the editor (the scope screen's `a`).
    pub fn toggle_scope(&mut self, shared: &mut Shared) -> Vec<Effect> {
        let Some(s) = &mut self.editor else {
            shared.status = "finish the setup wizard (w) first".to_owned();
            return Vec::new();
        };
        if s.dirty() {
            shared.status = "the settings screen (t) has unsaved edits: save or drop them there first".to_owned();
            return Vec::new();
        }
        s.scope = if s.scope == ScopeMode::All {
            ScopeMode::Assigned
        } else {
            ScopeMode::All
        };
        shared.status = "saving the scope; the counts follow".to_owned();
        s.save()
    }

    /// `assigned` or `all`, as the editor (or the saved rows) say.
    pub fn scope_word(&self) -> &str {
        match &self.editor {
            Some(s) => s.scope.word(),
            None => self.saved_scope_word(),
        }
    }

    /// `assigned` or `all`, as saved in the file: what the engine uses. The editor's field
    /// may hold a switch not saved yet (waiting for its preview's `y`).
    pub fn saved_scope_word(&self) -> &str {
        match &self.editor {
            Some(s) => s.base.scope.word(),
            None => self
                .rows
                .iter()
                .find(|(k, _)| k == "provisioning.scope")
                .map_or("assigned", |(_, v)| v.as_str()),
        }
    }

    /// Provisioning on, every so many minutes, once a profile is saved.
    pub fn schedule(&self) -> Option<(bool, u32)> {
        self.editor.as_ref().map(|s| (s.base.enabled, s.base.interval_minutes))
    }
}

/// The profile's settings as the settings screen lists them.
pub fn rows(p: &crate::config::Profile) -> Vec<(String, String)> {
    let v = &p.provisioning;
    let mut rows = vec![
        ("provisioning.enabled".to_owned(), v.enabled.to_string()),
        ("provisioning.scope".to_owned(), v.scope.word().to_owned()),
        (
            "provisioning.interval_minutes".to_owned(),
            v.interval_minutes.to_string(),
        ),
        (
            "provisioning.deletion_threshold".to_owned(),
            v.deletion_threshold.to_string(),
        ),
        (
            "provisioning.deletion_threshold_percent".to_owned(),
            v.deletion_threshold_percent
                .map_or("(none)".to_owned(), |p| format!("{p} %")),
        ),
        (
            "provisioning.mappings".to_owned(),
            v.mappings
                .as_ref()
                .map_or("built-in ServiceNow mappings".to_owned(), |p| p.display().to_string()),
        ),
    ];
    if let Some(sn) = &p.servicenow {
        rows.push(("servicenow.max_in_flight".to_owned(), sn.max_in_flight.to_string()));
        rows.push(("servicenow.page_size".to_owned(), sn.page_size.to_string()));
    }
    rows.push((
        "notification.email".to_owned(),
        p.notification.as_ref().map_or("(none)".to_owned(), |n| n.email.clone()),
    ));
    rows.push(("secrets.store".to_owned(), p.secrets.store.to_string()));
    if let Some(sn) = &p.servicenow {
        // How nowsync signs in (changed in the setup wizard, step 2).
        let auth = match &sn.auth {
            crate::config::ServiceNowAuth::Basic => "basic (user name and password)".to_owned(),
            crate::config::ServiceNowAuth::OAuth { client_id } => {
                format!("oauth (client id {client_id}; secret servicenow-oauth-client-secret)")
            }
        };
        rows.push(("servicenow.auth".to_owned(), auth));
    }
    rows
}
