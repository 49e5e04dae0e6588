//! The scope screen's editing: assigned or all (a settings save), and a scoping-filter builder
//! over the mapping file's working copy (`mapping_edit::Draft`): filters of clauses, each an
//! attribute picked from the source attribute catalogue, an operator picked from scope's
//! operators, and a value. Saved with the mappings (`S`), after which the counts and samples
//! are asked of the engine again.
//!
//! Invariants: a clause is kept only when the object's filters compile with `Scope::compile`
//! and the whole file loads; every problem is shown.

use crossterm::event::{Event as CtEvent, KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::app::{Action, App, Screen};
use super::effect::Effect;
use super::mapping_actions::MapAction;
use crate::mapping::Catalogue;
use crate::mapping::model::raw::{RawClause, RawScopingFilter};
use crate::scope::{FilterSpec, Operator, Scope};

/// The attribute names a scoping filter of users (or groups) may test, sorted.
pub fn attribute_names(groups: bool) -> Vec<String> {
    let catalogue = if groups {
        crate::mapping::catalogue::group_catalogue()
    } else {
        crate::mapping::catalogue::user_catalogue()
    };
    match catalogue {
        Catalogue::Names { names, .. } => names.into_values().collect(),
        Catalogue::Any => Vec::new(),
    }
}

/// The clause form's fields, in focus order.
pub const CLAUSE_FIELDS: [&str; 3] = ["Attribute", "Operator", "Value"];

/// The form that adds or edits one clause.
#[derive(Debug, Clone)]
pub struct ClauseForm {
    /// The filter the clause is in; `None` starts a new filter.
    pub filter: Option<usize>,
    /// The clause edited; `None` adds one.
    pub clause: Option<usize>,
    pub names: Vec<String>,
    pub attribute: usize,
    pub operator: usize,
    pub value: Input,
    pub focus: usize,
    pub problems: Vec<String>,
}

impl ClauseForm {
    pub fn attribute(&self) -> &str {
        self.names.get(self.attribute).map_or("", String::as_str)
    }

    pub fn operator(&self) -> Operator {
        Operator::ALL.get(self.operator).copied().unwrap_or(Operator::Equals)
    }

    fn key(&mut self, key: KeyEvent) {
        let step = |i: usize, n: usize, back: bool| {
            if back {
                (i + n - 1) % n.max(1)
            } else {
                (i + 1) % n.max(1)
            }
        };
        match key.code {
            KeyCode::Down | KeyCode::Tab => self.focus = (self.focus + 1) % CLAUSE_FIELDS.len(),
            KeyCode::Up | KeyCode::BackTab => self.focus = (self.focus + CLAUSE_FIELDS.len() - 1) % CLAUSE_FIELDS.len(),
            KeyCode::Left | KeyCode::Right if self.focus == 0 => {
                self.attribute = step(self.attribute, self.names.len(), key.code == KeyCode::Left);
            }
            KeyCode::Left | KeyCode::Right if self.focus == 1 => {
                self.operator = step(self.operator, Operator::ALL.len(), key.code == KeyCode::Left);
            }
            // A letter on the attribute picker jumps to the next name starting with it.
            KeyCode::Char(c) if self.focus == 0 => {
                let n = self.names.len();
                let c = c.to_ascii_lowercase();
                if let Some(i) = (1..=n)
                    .map(|d| (self.attribute + d) % n)
                    .find(|i| self.names[*i].to_ascii_lowercase().starts_with(c))
                {
                    self.attribute = i;
                }
            }
            _ if self.focus == 2 => {
                self.value.handle_event(&CtEvent::Key(key));
            }
            _ => {}
        }
        self.problems.clear();
    }
}

/// The builder's state.
#[derive(Debug, Clone, Default)]
pub struct ScopeEdit {
    /// The selected row of the flattened (filter, clause) list.
    pub selected: usize,
    pub form: Option<ClauseForm>,
}

/// The (filter, clause) rows of `filters`.
pub fn rows(filters: &[RawScopingFilter]) -> Vec<(usize, usize)> {
    filters
        .iter()
        .enumerate()
        .flat_map(|(f, filter)| (0..filter.clauses.len()).map(move |c| (f, c)))
        .collect()
}

/// Compiles `filters` as the engine does, every problem a line.
pub fn check(filters: &[RawScopingFilter]) -> Result<(), Vec<String>> {
    let specs = filters.iter().map(|f| FilterSpec {
        name: &f.name,
        clauses: f
            .clauses
            .iter()
            .map(|c| (c.attribute.as_str(), c.operator.as_str(), c.value.as_str()))
            .collect(),
    });
    Scope::compile(specs)
        .map(|_| ())
        .map_err(|errors| errors.iter().map(ToString::to_string).collect())
}

/// An intent on the scope screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeAction {
    Select(isize),
    ToggleMode,
    /// A clause in the selected filter (`false`) or in a new filter (`true`).
    Add(bool),
    Edit,
    Delete,
    FormKey(KeyEvent),
}

impl App {
    fn filters(&self) -> &[RawScopingFilter] {
        self.mappings
            .draft
            .object(self.mappings.groups)
            .map_or(&[][..], |o| o.scoping_filters.as_slice())
    }

    /// The scope screen's keys.
    pub fn scope_key(&self, key: KeyEvent) -> Option<Action> {
        if self.mappings.scope_edit.form.is_some() {
            return Some(Action::Scope(ScopeAction::FormKey(key)));
        }
        Some(match key.code {
            KeyCode::Esc if self.mappings.draft.dirty => Action::Mapping(MapAction::AskLeaveFirst),
            KeyCode::Esc => Action::Show(Screen::Dashboard),
            KeyCode::Up | KeyCode::Char('k') => Action::Scope(ScopeAction::Select(-1)),
            KeyCode::Down | KeyCode::Char('j') => Action::Scope(ScopeAction::Select(1)),
            KeyCode::Char('g') => Action::MappingObject,
            KeyCode::Char('r') => Action::PreviewScope,
            KeyCode::Char('a') => Action::Scope(ScopeAction::ToggleMode),
            KeyCode::Char('n') => Action::Scope(ScopeAction::Add(false)),
            KeyCode::Char('f') => Action::Scope(ScopeAction::Add(true)),
            KeyCode::Char('e') | KeyCode::Enter => Action::Scope(ScopeAction::Edit),
            KeyCode::Delete | KeyCode::Char('D') => Action::Scope(ScopeAction::Delete),
            KeyCode::Char('S') => Action::Mapping(MapAction::Save),
            _ => return None,
        })
    }

    /// Applies one scope intent.
    pub fn scope_update(&mut self, action: ScopeAction) -> Vec<Effect> {
        let groups = self.mappings.groups;
        let rows = rows(self.filters());
        let at = rows.get(self.mappings.scope_edit.selected).copied();
        match action {
            ScopeAction::Select(d) => {
                let max = rows.len().saturating_sub(1) as isize;
                let s = &mut self.mappings.scope_edit.selected;
                *s = (*s as isize + d).clamp(0, max) as usize;
            }
            ScopeAction::ToggleMode => return self.toggle_mode(),
            ScopeAction::Add(new_filter) => {
                let filter = if new_filter || at.is_none() {
                    None
                } else {
                    at.map(|(f, _)| f)
                };
                self.open_clause(filter, None);
            }
            ScopeAction::Edit => {
                if let Some((f, c)) = at {
                    self.open_clause(Some(f), Some(c));
                }
            }
            ScopeAction::Delete => {
                let Some((f, c)) = at else {
                    return Vec::new();
                };
                let mut candidate = self.mappings.draft.file.clone();
                if let Some(o) = if groups {
                    &mut candidate.group
                } else {
                    &mut candidate.user
                } && let Some(filter) = o.scoping_filters.get_mut(f)
                {
                    filter.clauses.remove(c);
                    if filter.clauses.is_empty() {
                        o.scoping_filters.remove(f);
                    }
                }
                let loaded = self.mappings.draft.apply(candidate, "deleted the clause");
                self.mappings.take(loaded);
                self.mappings.scope_edit.selected = self.mappings.scope_edit.selected.saturating_sub(1);
            }
            ScopeAction::FormKey(key) => self.clause_key(key),
        }
        Vec::new()
    }

    fn open_clause(&mut self, filter: Option<usize>, clause: Option<usize>) {
        let names = attribute_names(self.mappings.groups);
        let existing: Option<RawClause> = filter
            .zip(clause)
            .and_then(|(f, c)| self.filters().get(f).and_then(|x| x.clauses.get(c)).cloned());
        let attribute = existing
            .as_ref()
            .and_then(|c| names.iter().position(|n| n.eq_ignore_ascii_case(&c.attribute)))
            .or_else(|| names.iter().position(|n| n == "department"))
            .unwrap_or(0);
        let operator = existing
            .as_ref()
            .and_then(|c| Operator::parse(&c.operator))
            .and_then(|op| Operator::ALL.iter().position(|o| *o == op))
            .or_else(|| Operator::ALL.iter().position(|o| *o == Operator::Equals))
            .unwrap_or(0);
        self.mappings.scope_edit.form = Some(ClauseForm {
            filter,
            clause,
            names,
            attribute,
            operator,
            value: Input::new(existing.map(|c| c.value).unwrap_or_default()),
            focus: 0,
            problems: Vec::new(),
        });
    }

    fn clause_key(&mut self, key: KeyEvent) {
        let groups = self.mappings.groups;
        let Some(form) = &mut self.mappings.scope_edit.form else {
            return;
        };
        match key.code {
            KeyCode::Esc => self.mappings.scope_edit.form = None,
            KeyCode::Enter => {
                let op = form.operator();
                let clause = RawClause {
                    attribute: form.attribute().to_owned(),
                    operator: op.name().to_owned(),
                    value: if op.takes_value() {
                        form.value.value().to_owned()
                    } else {
                        String::new()
                    },
                };
                let mut candidate = self.mappings.draft.file.clone();
                let slot = if groups {
                    &mut candidate.group
                } else {
                    &mut candidate.user
                };
                let filters = &mut slot.get_or_insert_with(Default::default).scoping_filters;
                match (form.filter.filter(|f| *f < filters.len()), form.clause) {
                    (Some(f), Some(c)) if c < filters[f].clauses.len() => filters[f].clauses[c] = clause,
                    (Some(f), _) => filters[f].clauses.push(clause),
                    (None, _) => filters.push(RawScopingFilter {
                        name: format!("Filter {}", filters.len() + 1),
                        clauses: vec![clause],
                    }),
                }
                if let Err(problems) = check(filters) {
                    form.problems = problems;
                    return;
                }
                let loaded = self.mappings.draft.apply(candidate, "scoping filter changed");
                if loaded.is_some() {
                    self.mappings.scope_edit.form = None;
                } else if let Some(form) = &mut self.mappings.scope_edit.form {
                    form.problems = self.mappings.draft.problems.clone();
                }
                self.mappings.take(loaded);
            }
            _ => form.key(key),
        }
    }

    /// Assigned or all is a setting: toggled and saved through the settings editor.
    fn toggle_mode(&mut self) -> Vec<Effect> {
        let Some(s) = &mut self.settings_edit else {
            self.status = "finish the setup wizard (w) first".to_owned();
            return Vec::new();
        };
        if s.dirty {
            self.status = "the settings screen (t) has unsaved edits: save or drop them there first".to_owned();
            return Vec::new();
        }
        s.scope = if s.scope == crate::config::ScopeMode::All {
            crate::config::ScopeMode::Assigned
        } else {
            crate::config::ScopeMode::All
        };
        s.dirty = true;
        self.mappings.scope = None;
        self.status = "saving the scope; the counts follow".to_owned();
        s.key(KeyEvent::from(KeyCode::Enter))
    }
}
