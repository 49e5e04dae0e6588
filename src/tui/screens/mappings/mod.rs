//! The mappings screen: the profile's mapping set as tables (users, groups), its editing (the
//! form, delete, matching-precedence reorder, restore defaults, schema import and export) and
//! save, and the expression editor (`editor.rs`).
//!
//! The mapping file's working copy, [`Doc`], is this screen's, and the scope screen (scoping
//! filters) and the settings screen (the rows that live in the mapping file) edit it too: they
//! are handed it by `App`. Save writes the profile's mapping file through
//! `config::edit::write_mappings`, creating `mappings.toml` next to the configuration file and
//! naming it in `[profiles.P.provisioning] mappings` when the profile had none.
//!
//! `update()` never awaits: reading the schema and writing files are effects.

mod draft;
mod editor;
mod form;
mod form_view;
pub mod merge;
mod reread;
mod save;
mod view;

use std::path::{Path, PathBuf};

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use draft::{Draft, FORM_FIELDS, Form, Kind, Outcome, check};
pub use editor::{Editor, Focus};
pub use save::{save, saved};
pub use view::MappingsView;

use super::Screen;
use crate::mapping::model::{MappingSet, ObjectType};
use crate::tui::app::{Action as AppAction, Overlay, Shared};
use crate::tui::effect::Effect;
use crate::tui::error::FileError;

/// A key's meaning on the mappings screen.
#[derive(Debug, Clone)]
pub enum Action {
    Select(isize),
    /// Users or groups (the scope screen shows the same).
    Object,
    OpenEditor,
    EditorKey(KeyEvent),
    ExportSchema,
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
    /// Close the expression editor, dropping its edit.
    CloseEditor,
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

/// The mapping file's working copy and the set it loads as; which object the mapping screens
/// show.
#[derive(Default)]
pub struct Doc {
    pub set: Option<MappingSet>,
    pub load_error: Option<String>,
    /// The mapping file's text the set was read from (the built-in defaults when none).
    pub source_text: String,
    /// The working copy that the editing keys change and `S` saves.
    pub draft: Draft,
    /// The mapping file's text as last read or saved (what leaving without saving goes back to).
    pub saved_text: String,
    /// Groups (true) or users, on the mappings and scope screens.
    pub groups: bool,
}

impl Doc {
    /// The set read from `text`.
    pub fn from_text(set: Result<MappingSet, FileError>, text: String) -> Self {
        let (set, load_error) = match set {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Self {
            draft: Draft::from_text(&text),
            saved_text: text.clone(),
            set,
            load_error,
            source_text: text,
            groups: false,
        }
    }

    /// The working copy changed and loads as `loaded`: the tables show it now.
    pub fn take(&mut self, loaded: Option<(MappingSet, String)>) {
        if let Some((set, text)) = loaded {
            self.set = Some(set);
            self.load_error = None;
            self.source_text = text;
        }
    }

    pub fn object(&self) -> ObjectType {
        if self.groups {
            ObjectType::Group
        } else {
            ObjectType::User
        }
    }

    /// The rows of the table shown.
    pub fn rows(&self) -> usize {
        self.set.as_ref().map_or(0, |s| {
            if self.groups {
                s.group.attributes.len()
            } else {
                s.user.attributes.len()
            }
        })
    }
}

/// The screen's state.
#[derive(Default)]
pub struct State {
    pub doc: Doc,
    pub selected: usize,
    pub editor: Option<Editor>,
    next_request: u64,
    pending_search: Option<u64>,
    pending_evaluate: Option<u64>,
    /// The request for the picked user's attributes, with the user's id.
    pending_attributes: Option<(u64, String)>,
    /// The last user picked in the expression editor, with their source attributes: the edit
    /// form evaluates its source against them as it is typed.
    pub sample: Option<(String, std::collections::BTreeMap<String, crate::mapping::Value>)>,
    /// The form's source evaluated for that user, or why not.
    pub form_value: Option<Result<String, String>>,
}

impl State {
    pub fn new(set: Result<MappingSet, FileError>) -> Self {
        Self::from_text(set, crate::mapping::model::DEFAULT_MAPPINGS_TOML.to_owned())
    }

    /// The screen over the set read from `text`.
    pub fn from_text(set: Result<MappingSet, FileError>, text: String) -> Self {
        Self {
            doc: Doc::from_text(set, text),
            // The engine's query ids of this screen; the scope screen numbers its own apart.
            next_request: 1_000,
            ..Self::default()
        }
    }

    fn request(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    /// The working copy changed: the tables show it, the selection stays on a row.
    pub fn take(&mut self, loaded: Option<(MappingSet, String)>) {
        self.doc.take(loaded);
        self.selected = self.selected.min(self.doc.rows().saturating_sub(1));
    }

    /// Whether keys go to a text field.
    pub fn in_text_field(&self) -> bool {
        self.editor.is_some() || self.doc.draft.in_text_field()
    }

    /// The screen's keys.
    pub fn key(&self, key: KeyEvent) -> Option<AppAction> {
        let draft = &self.doc.draft;
        let a = if self.editor.is_some() {
            Action::EditorKey(key)
        } else if draft.form.is_some() {
            Action::FormKey(key)
        } else if draft.import.is_some() {
            Action::ImportKey(key)
        } else {
            let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
            match key.code {
                KeyCode::Esc if draft.dirty() => Action::AskLeaveFirst,
                KeyCode::Esc => return Some(AppAction::Show(Screen::Dashboard)),
                KeyCode::Up | KeyCode::Char('k') => Action::Select(-1),
                KeyCode::Down | KeyCode::Char('j') => Action::Select(1),
                KeyCode::Char('g') => Action::Object,
                KeyCode::Char('E') => Action::ExportSchema,
                KeyCode::Enter | KeyCode::Char('x') => Action::OpenEditor,
                KeyCode::Char('e') => Action::Edit,
                KeyCode::Char('n') => Action::Add,
                KeyCode::Delete | KeyCode::Char('D') => Action::Delete,
                KeyCode::Char('[') => Action::Reorder(true),
                KeyCode::Char(']') => Action::Reorder(false),
                KeyCode::Char('R') => Action::AskRestore,
                KeyCode::Char('i') => Action::OpenImport,
                KeyCode::Char('S') => Action::Save,
                KeyCode::Char('s') if ctrl => Action::Save,
                _ => return None,
            }
        };
        Some(AppAction::Mappings(a))
    }

    /// Applies one action of the screen's own (`App` carries out `Object`, `Save` and
    /// `Discard`, which touch the other screens).
    pub fn update(&mut self, action: Action, shared: &mut Shared) -> Vec<Effect> {
        let groups = self.doc.groups;
        let selected = self.selected;
        let loaded = match action {
            Action::Select(d) => {
                let max = self.doc.rows().saturating_sub(1) as isize;
                self.selected = (self.selected as isize + d).clamp(0, max) as usize;
                None
            }
            Action::OpenEditor => {
                self.open_editor(Utc::now());
                None
            }
            Action::EditorKey(key) => return self.editor_key(key, shared),
            Action::CloseEditor => {
                shared.overlay = Overlay::None;
                self.editor = None;
                None
            }
            Action::ExportSchema => {
                shared.status = "exporting the mappings as Entra schema JSON (see the log)".to_owned();
                return vec![Effect::ExportSchema(self.doc.source_text.clone())];
            }
            Action::Edit => {
                self.doc.draft.open_form(groups, Some(selected));
                self.form_value = self.evaluate_form();
                None
            }
            Action::Add => {
                self.doc.draft.open_form(groups, None);
                None
            }
            Action::Delete => self.doc.draft.delete(groups, selected),
            Action::Reorder(up) => self.doc.draft.reorder(groups, selected, up),
            Action::AskRestore => {
                shared.overlay = Overlay::Ask {
                    text: "Replace the working copy with the built-in mappings? (S saves them)".to_owned(),
                    yes: Box::new(AppAction::Mappings(Action::Restore)),
                };
                None
            }
            Action::AskLeaveFirst => {
                shared.overlay = Overlay::Ask {
                    text: "The mappings have unsaved edits. Leave and drop them?".to_owned(),
                    yes: Box::new(AppAction::Mappings(Action::Discard)),
                };
                None
            }
            Action::Restore => {
                shared.overlay = Overlay::None;
                self.doc.draft.restore_defaults()
            }
            Action::OpenImport => {
                self.doc.draft.open_import();
                None
            }
            Action::FormKey(key) => {
                let loaded = self.doc.draft.form_key(groups, key);
                self.form_value = self.evaluate_form();
                loaded
            }
            Action::ImportKey(key) => {
                if let Outcome::Import(path) = self.doc.draft.import_key(key) {
                    return vec![Effect::ImportSchema(PathBuf::from(path))];
                }
                None
            }
            Action::Object | Action::Save | Action::Discard => None,
        };
        self.take(loaded);
        Vec::new()
    }

    /// The open form's source evaluated for the sample user (nulls before one is picked).
    fn evaluate_form(&self) -> Option<Result<String, String>> {
        let form = self.doc.draft.form.as_ref()?;
        let text = form.source.value();
        let expression = match form.kind {
            Kind::Direct => format!("[{}]", text.trim()),
            Kind::Expression => text.to_owned(),
            Kind::Constant => return Some(Ok(text.to_owned())),
            Kind::None => return None,
        };
        let empty = std::collections::BTreeMap::new();
        let attrs = self.sample.as_ref().map_or(&empty, |(_, a)| a);
        Some(crate::mapping::eval_attrs_at(&expression, attrs, Utc::now(), 0, &[]).map_err(|e| e.to_string()))
    }

    /// Back to the mapping file as last saved.
    pub fn discard(&mut self) {
        let text = self.doc.saved_text.clone();
        let loaded = crate::mapping::model::load_str(&text).map_err(Into::into);
        *self = Self::from_text(loaded, text);
    }
}
