//! The mappings screen's editor: a working copy of the mapping file (`RawMappingFile`) that the
//! form (edit, add), delete, matching-precedence reorder, restore defaults and schema import
//! change, and that is written back to the profile's mapping file on save.
//!
//! Invariants: every change goes through [`Draft::apply`], which checks the whole file with
//! `mapping::model::load_str` and refuses it (keeping every problem with its path) when it does
//! not load; so the working copy always loads and the tables drawn from it are what would be
//! saved. `user` and `group` are always present (the defaults fill a file that left one out),
//! so a row index in the table is an index into the raw attributes.

use crossterm::event::{Event as CtEvent, KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

pub use super::form::{FORM_FIELDS, Form, Kind};
use crate::mapping::model::raw::{RawAttributeMapping, RawMappingFile, RawObjectMapping};
use crate::mapping::model::{DEFAULT_MAPPINGS_TOML, MappingSet, load_str, to_toml};

/// What a key in the form or the import field asks of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Nothing,
    /// The working copy changed: the tables are drawn from this set now.
    Changed,
    /// Read and import the schema at this path.
    Import(String),
}

/// The working copy and its editors.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub file: RawMappingFile,
    /// The file as last read or saved: the working copy differs from it when it has edits.
    saved: RawMappingFile,
    pub form: Option<Form>,
    /// The schema path being typed, while it is.
    pub import: Option<Input>,
    /// The last refused change's problems (path: message), or the last import's drops.
    pub problems: Vec<String>,
    /// The last thing the editor has to say.
    pub note: Option<String>,
}

fn default_file() -> RawMappingFile {
    toml::from_str(DEFAULT_MAPPINGS_TOML).unwrap_or_default()
}

/// `file` with both object types present (the defaults for one it left out).
fn filled(mut file: RawMappingFile) -> RawMappingFile {
    let defaults = default_file();
    if file.user.is_none() {
        file.user = defaults.user;
    }
    if file.group.is_none() {
        file.group = defaults.group;
    }
    file
}

/// Checks a whole mapping file as the engine would load it.
pub fn check(file: &RawMappingFile) -> Result<(MappingSet, String), Vec<String>> {
    let text = to_toml(file).map_err(|e| vec![format!("(file): {e}")])?;
    match load_str(&text) {
        Ok(set) => Ok((set, text)),
        Err(e) => Err(e
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect()),
    }
}

impl Draft {
    /// The working copy of the mapping file `text` (the defaults when it does not parse).
    pub fn from_text(text: &str) -> Self {
        match toml::from_str::<RawMappingFile>(text) {
            Ok(file) => {
                let file = filled(file);
                Self {
                    saved: file.clone(),
                    file,
                    ..Self::default()
                }
            }
            Err(e) => Self {
                file: default_file(),
                saved: default_file(),
                problems: vec![format!("(file): {}", e.to_string().trim_end())],
                ..Self::default()
            },
        }
    }

    /// Unsaved edits: the working copy differs from the file as last read or saved. An edit
    /// taken back (a clause added, then deleted) is none (acceptance F29), so this compares
    /// the copies, not whether anything was changed on the way.
    pub fn dirty(&self) -> bool {
        self.file != self.saved
    }

    /// The file as last read or saved.
    pub fn saved(&self) -> &RawMappingFile {
        &self.saved
    }

    /// Another console saved `now` over the file this copy was read from: it is what this copy
    /// was read from now, and `merged` (its changes with this copy's edits) the working copy.
    pub fn rebase(&mut self, now: RawMappingFile, merged: Option<RawMappingFile>) {
        self.saved = now;
        if let Some(merged) = merged {
            self.file = merged;
        }
    }

    /// The working copy was written: it is the file as saved now.
    pub fn mark_saved(&mut self) {
        self.saved = self.file.clone();
    }

    pub fn in_text_field(&self) -> bool {
        self.import.is_some() || self.form.as_ref().is_some_and(Form::in_text_field)
    }

    /// Whether a form or the import field has the keys.
    pub fn is_open(&self) -> bool {
        self.form.is_some() || self.import.is_some()
    }

    pub(super) fn object_mut(file: &mut RawMappingFile, groups: bool) -> &mut RawObjectMapping {
        let slot = if groups { &mut file.group } else { &mut file.user };
        slot.get_or_insert_with(RawObjectMapping::default)
    }

    pub fn object(&self, groups: bool) -> Option<&RawObjectMapping> {
        if groups {
            self.file.group.as_ref()
        } else {
            self.file.user.as_ref()
        }
    }

    /// Takes `candidate` if it loads; otherwise keeps the problems and the old copy.
    pub fn apply(&mut self, candidate: RawMappingFile, note: &str) -> Option<(MappingSet, String)> {
        match check(&candidate) {
            Ok(loaded) => {
                self.file = candidate;
                self.problems.clear();
                self.note = Some(note.to_owned());
                Some(loaded)
            }
            Err(problems) => {
                self.note = Some("not changed: the mappings would not load".to_owned());
                self.problems = problems;
                None
            }
        }
    }

    /// Opens the form on row `index` (or a new row when `None`).
    pub fn open_form(&mut self, groups: bool, index: Option<usize>) {
        let base = index
            .and_then(|i| self.object(groups).and_then(|o| o.attributes.get(i)).cloned())
            .unwrap_or_default();
        self.form = Some(Form::new(
            index.filter(|_| base != RawAttributeMapping::default()),
            base,
        ));
    }

    /// A key for the open form: Enter commits it (if the file then loads), Esc drops it.
    pub fn form_key(&mut self, groups: bool, key: KeyEvent) -> Option<(MappingSet, String)> {
        let form = self.form.as_mut()?;
        match key.code {
            KeyCode::Esc => self.form = None,
            KeyCode::Enter => {
                let raw = match form.to_raw() {
                    Ok(raw) => raw,
                    Err(e) => {
                        form.problems = vec![e.to_string()];
                        return None;
                    }
                };
                let index = form.index;
                let mut candidate = self.file.clone();
                let attributes = &mut Self::object_mut(&mut candidate, groups).attributes;
                let note = match index.filter(|i| *i < attributes.len()) {
                    Some(i) => {
                        attributes[i] = raw;
                        format!("changed the mapping of {}", attributes[i].target)
                    }
                    None => {
                        attributes.push(raw);
                        format!(
                            "added a mapping to {}",
                            attributes.last().map_or("", |a| a.target.as_str())
                        )
                    }
                };
                match check(&candidate) {
                    Ok(loaded) => {
                        self.form = None;
                        self.file = candidate;
                        self.problems.clear();
                        self.note = Some(note);
                        return Some(loaded);
                    }
                    Err(problems) => {
                        if let Some(form) = &mut self.form {
                            form.problems = problems;
                        }
                    }
                }
            }
            _ => {
                if form.key(key) {
                    form.problems.clear();
                }
            }
        }
        None
    }

    /// Deletes row `index`.
    pub fn delete(&mut self, groups: bool, index: usize) -> Option<(MappingSet, String)> {
        let mut candidate = self.file.clone();
        let attributes = &mut Self::object_mut(&mut candidate, groups).attributes;
        if index >= attributes.len() {
            return None;
        }
        let gone = attributes.remove(index);
        self.apply(candidate, &format!("deleted the mapping of {}", gone.target))
    }

    /// Moves row `index` one place earlier (`up`) or later in matching precedence; the
    /// matching attributes are numbered 1, 2, ... after.
    pub fn reorder(&mut self, groups: bool, index: usize, up: bool) -> Option<(MappingSet, String)> {
        let mut candidate = self.file.clone();
        let attributes = &mut Self::object_mut(&mut candidate, groups).attributes;
        let mut order: Vec<usize> = (0..attributes.len())
            .filter(|i| attributes[*i].matching.is_some())
            .collect();
        order.sort_by_key(|i| (attributes[*i].matching, *i));
        let Some(at) = order.iter().position(|i| *i == index) else {
            self.note = Some("not a matching attribute: give it a matching precedence in the form (e)".to_owned());
            return None;
        };
        let other = if up {
            at.checked_sub(1)
        } else {
            Some(at + 1).filter(|o| *o < order.len())
        };
        let Some(other) = other else {
            self.note = Some("already there".to_owned());
            return None;
        };
        order.swap(at, other);
        for (rank, i) in order.iter().enumerate() {
            attributes[*i].matching = Some(rank as u32 + 1);
        }
        let target = attributes[index].target.clone();
        self.apply(
            candidate,
            &format!("{target} now has matching precedence {}", other + 1),
        )
    }

    /// Replaces the working copy with the built-in mappings.
    pub fn restore_defaults(&mut self) -> Option<(MappingSet, String)> {
        self.apply(default_file(), "restored the built-in mappings")
    }

    /// Opens the import path field.
    pub fn open_import(&mut self) {
        self.import = Some(Input::default());
    }

    /// A key for the import field: Enter asks for the file to be read.
    pub fn import_key(&mut self, key: KeyEvent) -> Outcome {
        let Some(input) = &mut self.import else {
            return Outcome::Nothing;
        };
        match key.code {
            KeyCode::Esc => self.import = None,
            KeyCode::Enter => {
                let path = input.value().trim().to_owned();
                if path.is_empty() {
                    return Outcome::Nothing;
                }
                self.import = None;
                self.note = Some(format!("reading {path}…"));
                return Outcome::Import(path);
            }
            _ => {
                input.handle_event(&CtEvent::Key(key));
            }
        }
        Outcome::Nothing
    }

    /// The schema was read and converted (or not).
    pub fn imported(
        &mut self,
        result: Result<crate::mapping::model::Imported, crate::tui::error::FileError>,
    ) -> Option<(MappingSet, String)> {
        match result {
            Ok(imported) => {
                let loaded = self.apply(filled(imported.file), "imported the schema")?;
                if !imported.dropped.is_empty() {
                    self.note = Some(format!(
                        "imported the schema; {} things it holds were dropped:",
                        imported.dropped.len()
                    ));
                    self.problems = imported.dropped;
                }
                Some(loaded)
            }
            Err(e) => {
                self.note = Some(format!("not imported: {e}"));
                None
            }
        }
    }
}

#[cfg(test)]
#[path = "draft_tests.rs"]
mod tests;
