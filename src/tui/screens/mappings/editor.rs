//! The mappings screen's expression editor: parses as it is typed and evaluates against a
//! source user picked by search (through the engine's queries).
//!
//! The editor evaluates against the picked user's source attributes as the mappings see them
//! (asked of the engine when the user is picked; until they arrive, the search's objectId,
//! userPrincipalName and displayName); the engine's evaluation of the whole mapping for the
//! picked user is shown beside it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use crossterm::event::{Event as CtEvent, KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::State;
use crate::mapping::Value;
use crate::sync::{Answer, Command};
use crate::tui::app::{Action as AppAction, Overlay, Shared};
use crate::tui::effect::Effect;

/// Users a search lists at most.
const SEARCH_LIMIT: usize = 20;

/// Which part of the editor has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Expression,
    Search,
}

/// The expression editor.
pub struct Editor {
    pub expr: Input,
    pub search: Input,
    pub focus: Focus,
    /// Search results: (object id, UPN, display name).
    pub users: Vec<(String, String, Option<String>)>,
    pub picked: usize,
    /// The expression's value for the picked user, or its error with a caret.
    pub result: Result<String, String>,
    /// The engine's evaluation of the whole user mapping for the picked user.
    pub evaluated: Vec<(String, Result<Option<String>, String>)>,
    /// The picked user's source attributes, once the engine answered: (object id, attributes).
    pub source: Option<(String, BTreeMap<String, Value>)>,
    pub now: DateTime<Utc>,
    /// The mapping row it edits and its expression as opened: Enter applies the edited one to
    /// that row; Esc asks before dropping an edit.
    pub row: usize,
    pub original: String,
}

impl State {
    /// Opens the editor on the selected mapping's source.
    pub fn open_editor(&mut self, now: DateTime<Utc>) {
        let doc = &self.doc;
        let text = doc.set.as_ref().and_then(|s| {
            let m = if doc.groups { &s.group } else { &s.user };
            m.attributes.get(self.selected).map(|a| match &a.source {
                crate::mapping::model::MappingSource::Direct { attribute, .. } => format!("[{attribute}]"),
                _ => a.source_text(),
            })
        });
        let text = text.unwrap_or_default();
        let mut editor = Editor {
            row: self.selected,
            original: text.clone(),
            expr: Input::new(text),
            search: Input::default(),
            focus: Focus::Expression,
            users: Vec::new(),
            picked: 0,
            result: Ok(String::new()),
            evaluated: Vec::new(),
            source: None,
            now,
        };
        evaluate(&mut editor);
        self.editor = Some(editor);
    }

    /// A key in the editor: Enter applies the expression to its mapping (or searches, in the
    /// search field); Esc closes it, asking first when the expression was edited.
    pub fn editor_key(&mut self, key: KeyEvent, shared: &mut Shared) -> Vec<Effect> {
        let Some(editor) = &mut self.editor else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Esc if editor.expr.value() != editor.original => {
                shared.overlay = Overlay::Ask {
                    text: "The expression was edited and not applied (Enter applies it). Close the editor and drop the edit?"
                        .to_owned(),
                    yes: Box::new(AppAction::Mappings(super::Action::CloseEditor)),
                };
            }
            KeyCode::Esc => self.editor = None,
            KeyCode::Enter if editor.focus == Focus::Expression => self.apply_expression(shared),
            KeyCode::Tab | KeyCode::BackTab => {
                editor.focus = if editor.focus == Focus::Expression {
                    Focus::Search
                } else {
                    Focus::Expression
                };
            }
            KeyCode::Down if editor.focus == Focus::Search && !editor.users.is_empty() => {
                editor.picked = (editor.picked + 1).min(editor.users.len() - 1);
                return self.pick();
            }
            KeyCode::Up if editor.focus == Focus::Search => {
                editor.picked = editor.picked.saturating_sub(1);
                return self.pick();
            }
            KeyCode::Enter if editor.focus == Focus::Search => {
                let text = editor.search.value().to_owned();
                let request = self.request();
                self.pending_search = Some(request);
                return vec![Effect::Engine(Command::SearchUsers {
                    request,
                    text,
                    limit: SEARCH_LIMIT,
                })];
            }
            _ => {
                let input = if editor.focus == Focus::Expression {
                    &mut editor.expr
                } else {
                    &mut editor.search
                };
                input.handle_event(&CtEvent::Key(key));
                evaluate(editor);
            }
        }
        Vec::new()
    }

    /// The edited expression becomes its mapping's source in the working copy (a direct
    /// `[attribute]` stays a direct mapping); refused, with why, when the file would not load.
    fn apply_expression(&mut self, shared: &mut Shared) {
        let Some(editor) = &mut self.editor else {
            return;
        };
        let text = editor.expr.value().trim().to_owned();
        let groups = self.doc.groups;
        let mut candidate = self.doc.draft.file.clone();
        let attributes = &mut super::Draft::object_mut(&mut candidate, groups).attributes;
        let Some(raw) = attributes.get_mut(editor.row) else {
            return;
        };
        raw.source = None;
        raw.constant = None;
        raw.expression = None;
        raw.none = false;
        match direct(&text) {
            Some(attribute) => raw.source = Some(attribute.to_owned()),
            None => raw.expression = Some(text),
        }
        let target = raw.target.clone();
        let loaded = self
            .doc
            .draft
            .apply(candidate, &format!("applied the expression of {target}"));
        match loaded {
            Some(_) => {
                self.editor = None;
                shared.status = format!("the expression of {target} is applied: S saves the mappings");
            }
            None => editor.result = Err(self.doc.draft.problems.join("; ")),
        }
        self.take(loaded);
    }

    fn pick(&mut self) -> Vec<Effect> {
        let Some(editor) = &mut self.editor else {
            return Vec::new();
        };
        evaluate(editor);
        let Some((id, _, _)) = editor.users.get(editor.picked) else {
            return Vec::new();
        };
        let user_id = id.clone();
        if editor.source.as_ref().is_some_and(|(id, _)| *id == user_id) {
            return Vec::new();
        }
        let request = self.request();
        self.pending_evaluate = Some(request);
        let attributes = self.request();
        self.pending_attributes = Some((attributes, user_id.clone()));
        vec![
            Effect::Engine(Command::EvaluateUser {
                request,
                user_id: user_id.clone(),
            }),
            Effect::Engine(Command::SourceAttributes {
                request: attributes,
                user_id,
            }),
        ]
    }

    /// An answer from the engine; `true` when it was for this screen.
    pub fn answer(&mut self, request: u64, answer: &Answer) -> (bool, Vec<Effect>) {
        if self.pending_search == Some(request) {
            self.pending_search = None;
            if let Some(editor) = &mut self.editor {
                match answer {
                    Answer::Users(users) => {
                        editor.users = users.clone();
                        editor.picked = 0;
                    }
                    Answer::Failed(e) => editor.result = Err(e.message.clone()),
                    _ => {}
                }
            }
            let effects = self.pick();
            return (true, effects);
        }
        if let Some((_, user_id)) = self.pending_attributes.take_if(|(r, _)| *r == request) {
            if let Some(editor) = &mut self.editor {
                match answer {
                    Answer::SourceAttributes { attributes } => {
                        let upn = editor.users.get(editor.picked).map(|u| u.1.clone()).unwrap_or_default();
                        // The edit form evaluates against the same user.
                        self.sample = Some((upn, attributes.clone()));
                        editor.source = Some((user_id, attributes.clone()));
                        evaluate(editor);
                    }
                    Answer::Failed(e) => {
                        editor.source = None;
                        editor.result = Err(format!("the user's attributes: {e}"));
                    }
                    _ => {}
                }
            }
            return (true, Vec::new());
        }
        if self.pending_evaluate == Some(request) {
            self.pending_evaluate = None;
            if let Some(editor) = &mut self.editor {
                match answer {
                    Answer::Evaluated(values) => editor.evaluated = values.clone(),
                    Answer::Failed(e) => editor.evaluated = vec![("(error)".into(), Err(e.message.clone()))],
                    _ => {}
                }
            }
            return (true, Vec::new());
        }
        (false, Vec::new())
    }
}

/// The attributes of the picked user: the engine's answer for them, else what the search knew.
fn attributes(editor: &Editor) -> BTreeMap<String, Value> {
    let picked = editor.users.get(editor.picked);
    if let (Some((id, attrs)), Some((picked_id, _, _))) = (&editor.source, picked)
        && id == picked_id
    {
        return attrs.clone();
    }
    let mut map = BTreeMap::new();
    if let Some((id, upn, name)) = picked {
        map.insert("objectId".into(), Value::Str(id.clone()));
        map.insert("userPrincipalName".into(), Value::Str(upn.clone()));
        map.insert("displayName".into(), name.clone().map_or(Value::Null, Value::Str));
    }
    map
}

/// The attribute of a direct mapping written as an expression: `[name]`.
fn direct(text: &str) -> Option<&str> {
    let name = text.strip_prefix('[')?.strip_suffix(']')?;
    (!name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.')).then_some(name)
}

/// Parses and evaluates the editor's expression (pure: the clock was taken when it opened).
fn evaluate(editor: &mut Editor) {
    let expr = editor.expr.value();
    editor.result =
        crate::mapping::eval_attrs_at(expr, &attributes(editor), editor.now, 0, &[]).map_err(|e| e.to_string());
}

#[cfg(test)]
#[path = "editor_tests.rs"]
mod tests;
