//! The scope screen: assigned or all (a settings save, `App` asks the settings screen), the
//! counts and samples of the scope (asked of the engine), and a scoping-filter builder over the
//! mapping file's working copy (`mappings::Doc`): filters of clauses, each an attribute picked
//! from the source attribute catalogue, an operator picked from scope's operators, and a
//! value. Saved with the mappings (`S`), after which the counts are asked again.
//!
//! Invariants: a clause is kept only when the object's filters compile with `Scope::compile`
//! and the whole file loads; every problem is shown.

mod builder_view;
mod view;

use crossterm::event::{Event as CtEvent, KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

pub use view::ScopeView;

use super::Screen;
use super::mappings::{self, Doc};
use crate::mapping::Catalogue;
use crate::mapping::model::raw::{RawClause, RawScopingFilter};
use crate::scope::Operator;
use crate::sync::{Answer, Command};
use crate::tui::app::Action as AppAction;
use crate::tui::effect::Effect;

/// Samples of each side the preview shows.
const SAMPLES: usize = 8;

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

/// The scope preview as the engine answered it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview {
    pub users_in: u64,
    pub users_out: u64,
    pub groups_in: u64,
    pub samples_in: Vec<String>,
    pub samples_out: Vec<String>,
}

/// The screen's state.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// The selected row of the flattened (filter, clause) list.
    pub selected: usize,
    pub form: Option<ClauseForm>,
    /// The counts and samples, once the engine answered (`None`: being read).
    pub preview: Option<Result<Preview, String>>,
    next_request: u64,
    pending: Option<u64>,
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
    crate::config::compile_scope(filters)
        .map(|_| ())
        .map_err(|errors| errors.iter().map(ToString::to_string).collect())
}

/// An intent on the scope screen.
#[derive(Debug, Clone)]
pub enum Action {
    Select(isize),
    /// Assigned or all: saved through the settings screen's editor (`App` does it).
    ToggleMode,
    /// A clause in the selected filter (`false`) or in a new filter (`true`).
    Add(bool),
    Edit,
    Delete,
    FormKey(KeyEvent),
    /// Ask the engine for the counts again.
    Recount,
}

fn filters(doc: &Doc) -> &[RawScopingFilter] {
    doc.draft
        .object(doc.groups)
        .map_or(&[][..], |o| o.scoping_filters.as_slice())
}

impl State {
    pub fn in_text_field(&self) -> bool {
        self.form.as_ref().is_some_and(|f| f.focus == 2)
    }

    /// The scope screen's keys.
    pub fn key(&self, key: KeyEvent, doc: &Doc) -> Option<AppAction> {
        if self.form.is_some() {
            return Some(AppAction::Scope(Action::FormKey(key)));
        }
        Some(match key.code {
            KeyCode::Esc if doc.draft.dirty() => AppAction::Mappings(mappings::Action::AskLeaveFirst),
            KeyCode::Esc => AppAction::Show(Screen::Dashboard),
            KeyCode::Up | KeyCode::Char('k') => AppAction::Scope(Action::Select(-1)),
            KeyCode::Down | KeyCode::Char('j') => AppAction::Scope(Action::Select(1)),
            KeyCode::Char('g') => AppAction::Mappings(mappings::Action::Object),
            KeyCode::Char('c') => AppAction::Scope(Action::Recount),
            KeyCode::Char('a') => AppAction::Scope(Action::ToggleMode),
            KeyCode::Char('n') => AppAction::Scope(Action::Add(false)),
            KeyCode::Char('f') => AppAction::Scope(Action::Add(true)),
            KeyCode::Char('e') | KeyCode::Enter => AppAction::Scope(Action::Edit),
            KeyCode::Delete | KeyCode::Char('D') => AppAction::Scope(Action::Delete),
            KeyCode::Char('S') => AppAction::Mappings(mappings::Action::Save),
            _ => return None,
        })
    }

    /// Asks the engine for the scope's counts and samples.
    pub fn recount(&mut self) -> Vec<Effect> {
        // The engine's query ids of this screen, apart from the mappings screen's.
        if self.next_request == 0 {
            self.next_request = 1 << 40;
        }
        self.next_request += 1;
        let request = self.next_request;
        self.pending = Some(request);
        self.preview = None;
        vec![Effect::Engine(Command::PreviewScope {
            request,
            samples: SAMPLES,
        })]
    }

    /// An answer from the engine; `true` when it was this screen's.
    pub fn answer(&mut self, request: u64, answer: &Answer) -> bool {
        if self.pending != Some(request) {
            return false;
        }
        self.pending = None;
        self.preview = Some(match answer {
            Answer::ScopePreview {
                users_in,
                users_out,
                groups_in,
                samples_in,
                samples_out,
            } => Ok(Preview {
                users_in: *users_in,
                users_out: *users_out,
                groups_in: *groups_in,
                samples_in: samples_in.clone(),
                samples_out: samples_out.clone(),
            }),
            Answer::Failed(e) => Err(e.message.clone()),
            other => Err(format!("unexpected answer: {other:?}")),
        });
        true
    }

    /// Applies one intent (`ToggleMode` is `App`'s).
    pub fn update(&mut self, action: Action, doc: &mut Doc) -> Vec<Effect> {
        let groups = doc.groups;
        let rows = rows(filters(doc));
        let at = rows.get(self.selected).copied();
        match action {
            Action::Select(d) => {
                let max = rows.len().saturating_sub(1) as isize;
                self.selected = (self.selected as isize + d).clamp(0, max) as usize;
            }
            Action::ToggleMode => {}
            Action::Recount => return self.recount(),
            Action::Add(new_filter) => {
                let filter = if new_filter || at.is_none() {
                    None
                } else {
                    at.map(|(f, _)| f)
                };
                self.open_clause(doc, filter, None);
            }
            Action::Edit => {
                if let Some((f, c)) = at {
                    self.open_clause(doc, Some(f), Some(c));
                }
            }
            Action::Delete => {
                let Some((f, c)) = at else {
                    return Vec::new();
                };
                let mut candidate = doc.draft.file.clone();
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
                let loaded = doc.draft.apply(candidate, "deleted the clause");
                doc.take(loaded);
                self.selected = self.selected.saturating_sub(1);
            }
            Action::FormKey(key) => self.clause_key(doc, key),
        }
        Vec::new()
    }

    fn open_clause(&mut self, doc: &Doc, filter: Option<usize>, clause: Option<usize>) {
        let names = attribute_names(doc.groups);
        let existing: Option<RawClause> = filter
            .zip(clause)
            .and_then(|(f, c)| filters(doc).get(f).and_then(|x| x.clauses.get(c)).cloned());
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
        self.form = Some(ClauseForm {
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

    fn clause_key(&mut self, doc: &mut Doc, key: KeyEvent) {
        let groups = doc.groups;
        let Some(form) = &mut self.form else {
            return;
        };
        match key.code {
            KeyCode::Esc => self.form = None,
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
                let mut candidate = doc.draft.file.clone();
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
                let loaded = doc.draft.apply(candidate, "scoping filter changed");
                if loaded.is_some() {
                    self.form = None;
                } else if let Some(form) = &mut self.form {
                    form.problems = doc.draft.problems.clone();
                }
                doc.take(loaded);
            }
            _ => form.key(key),
        }
    }
}
