//! The mappings screen's editing keys and what they do to the [`App`]: the form, delete,
//! matching-precedence reorder, restore defaults, schema import and export, and save (which
//! writes the profile's mapping file, creating `mappings.toml` next to the configuration file
//! and naming it in `[profiles.P.provisioning] mappings` when the profile had none).
//!
//! Kept out of `app.rs` so that file stays about the console's frame; `update()` still never
//! awaits: reading the schema and writing files are effects.

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{Action, App, Overlay, Screen};
use super::effect::{ConfigEdit, Effect};
use super::mapping_edit::Outcome;
use crate::config::edit::{self, Edit};

/// An editing intent on the mappings screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapAction {
    Edit,
    Add,
    Delete,
    /// Earlier (`true`) or later in matching precedence.
    Reorder(bool),
    AskRestore,
    Restore,
    OpenImport,
    Save,
    /// Esc with unsaved edits: ask first.
    AskLeaveFirst,
    FormKey(KeyEvent),
    ImportKey(KeyEvent),
    /// Leave the screen, dropping the working copy.
    Discard,
}

/// The mapping file of a profile: relative paths are read from the configuration file's
/// directory, which is where `mappings.toml` is created.
pub fn mapping_path(config_path: &Path, configured: Option<&Path>) -> PathBuf {
    let dir = config_path.parent().unwrap_or_else(|| Path::new(""));
    match configured {
        Some(p) if p.is_absolute() => p.to_path_buf(),
        Some(p) => dir.join(p),
        None => dir.join("mappings.toml"),
    }
}

impl App {
    /// The mappings screen's keys when the expression editor is closed.
    pub fn mappings_key(&self, key: KeyEvent) -> Option<Action> {
        let draft = &self.mappings.draft;
        if draft.form.is_some() {
            return Some(Action::Mapping(MapAction::FormKey(key)));
        }
        if draft.import.is_some() {
            return Some(Action::Mapping(MapAction::ImportKey(key)));
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        Some(match key.code {
            KeyCode::Esc if draft.dirty => Action::Mapping(MapAction::AskLeaveFirst),
            KeyCode::Esc => Action::Show(Screen::Dashboard),
            KeyCode::Up | KeyCode::Char('k') => Action::MappingSelect(-1),
            KeyCode::Down | KeyCode::Char('j') => Action::MappingSelect(1),
            KeyCode::Char('g') => Action::MappingObject,
            KeyCode::Char('E') => Action::ExportSchema,
            KeyCode::Enter | KeyCode::Char('x') => Action::OpenEditor,
            KeyCode::Char('e') => Action::Mapping(MapAction::Edit),
            KeyCode::Char('n') => Action::Mapping(MapAction::Add),
            KeyCode::Delete | KeyCode::Char('D') => Action::Mapping(MapAction::Delete),
            KeyCode::Char('[') => Action::Mapping(MapAction::Reorder(true)),
            KeyCode::Char(']') => Action::Mapping(MapAction::Reorder(false)),
            KeyCode::Char('R') => Action::Mapping(MapAction::AskRestore),
            KeyCode::Char('i') => Action::Mapping(MapAction::OpenImport),
            KeyCode::Char('S') => Action::Mapping(MapAction::Save),
            KeyCode::Char('s') if ctrl => Action::Mapping(MapAction::Save),
            _ => return None,
        })
    }

    /// Applies one editing intent.
    pub fn mapping_update(&mut self, action: MapAction) -> Vec<Effect> {
        let groups = self.mappings.groups;
        let selected = self.mappings.selected;
        let draft = &mut self.mappings.draft;
        let loaded = match action {
            MapAction::Edit => {
                draft.open_form(groups, Some(selected));
                None
            }
            MapAction::Add => {
                draft.open_form(groups, None);
                None
            }
            MapAction::Delete => draft.delete(groups, selected),
            MapAction::Reorder(up) => draft.reorder(groups, selected, up),
            MapAction::AskRestore => {
                self.overlay = Overlay::Ask {
                    text: "Replace the working copy with the built-in mappings? (S saves them)".to_owned(),
                    yes: Box::new(Action::Mapping(MapAction::Restore)),
                };
                None
            }
            MapAction::AskLeaveFirst => {
                self.overlay = Overlay::Ask {
                    text: "The mappings have unsaved edits. Leave and drop them?".to_owned(),
                    yes: Box::new(Action::Mapping(MapAction::Discard)),
                };
                None
            }
            MapAction::Restore => {
                self.overlay = Overlay::None;
                draft.restore_defaults()
            }
            MapAction::OpenImport => {
                draft.open_import();
                None
            }
            MapAction::FormKey(key) => draft.form_key(groups, key),
            MapAction::ImportKey(key) => {
                if let Outcome::Import(path) = draft.import_key(key) {
                    return vec![Effect::ImportSchema(PathBuf::from(path))];
                }
                None
            }
            MapAction::Save => return self.save_mappings(),
            MapAction::Discard => {
                self.overlay = Overlay::None;
                let text = self.mappings.saved_text.clone();
                let loaded = crate::mapping::model::load_str(&text).map_err(|e| e.to_string());
                let scope = self.mappings.scope.take();
                self.mappings = super::mappings::Mappings::from_text(loaded, text);
                self.mappings.scope = scope;
                self.screen = Screen::Dashboard;
                None
            }
        };
        self.mappings.take(loaded);
        Vec::new()
    }

    /// Checks the working copy and asks the runtime to write it (and the configuration file,
    /// when the profile names no mapping file yet), then reload the engine.
    fn save_mappings(&mut self) -> Vec<Effect> {
        let draft = &mut self.mappings.draft;
        let text = match super::mapping_edit::check(&draft.file) {
            Ok((_, text)) => text,
            Err(problems) => {
                draft.note = Some("not saved: the mappings do not load".to_owned());
                draft.problems = problems;
                return Vec::new();
            }
        };
        let Some(settings) = &self.settings_edit else {
            draft.note = Some("not saved: finish the setup wizard (w) first".to_owned());
            return Vec::new();
        };
        let mut profile = match edit::check(&settings.text, &settings.config_path, &settings.profile) {
            Ok(p) => p,
            Err(e) => {
                draft.note = Some(format!("not saved: the configuration file does not load: {e}"));
                return Vec::new();
            }
        };
        let path = mapping_path(&settings.config_path, profile.provisioning.mappings.as_deref());
        let config = profile.provisioning.mappings.is_none().then(|| ConfigEdit {
            path: settings.config_path.clone(),
            profile: settings.profile.clone(),
            edits: vec![Edit::set("provisioning", "mappings", path.display().to_string())],
        });
        // The engine reads the path as given: hand it the resolved one.
        profile.provisioning.mappings = Some(path.clone());
        draft.note = Some("saving…".to_owned());
        vec![Effect::SaveMappings(Box::new(super::effect::SaveMappings {
            path,
            text,
            config,
            profile: Box::new(profile),
        }))]
    }

    /// The runtime wrote the mapping file (and the configuration file), or could not.
    pub fn mappings_saved(&mut self, result: Result<Option<String>, String>) {
        let draft = &mut self.mappings.draft;
        match result {
            Ok(config_text) => {
                draft.dirty = false;
                draft.problems.clear();
                draft.note = Some("saved; the engine reloaded the mappings".to_owned());
                self.status = "mappings saved; the engine reloaded them".to_owned();
                self.mappings.saved_text = self.mappings.source_text.clone();
                if let (Some(text), Some(s)) = (config_text, &mut self.settings_edit) {
                    s.text = text;
                    if let Ok(p) = edit::check(&s.text, &s.config_path, &s.profile) {
                        s.base.mappings = p.provisioning.mappings.clone();
                        self.settings = super::settings::rows(&p);
                    }
                }
                // The scope's counts depend on the mappings' filters: ask again.
                self.mappings.scope = None;
            }
            Err(e) => {
                self.status = format!("the mappings were not saved: {e}");
                draft.note = Some(format!("not saved: {e}"));
            }
        }
    }
}
