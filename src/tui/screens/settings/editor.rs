//! The settings editor: the fields, their keys, and the edits a save writes (only the fields
//! the admin changed).

use std::path::PathBuf;

use crossterm::event::{Event as CtEvent, KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::config::edit::{self, Edit, EditValue, Saved};
use crate::config::{MissingReferenceMode, Profile, Provisioning, ScopeMode, bounds};
use crate::tui::effect::Effect;

/// The fields, in focus order.
pub const FIELDS: [&str; 14] = [
    "Provisioning (scheduled cycles)",
    "Scope",
    "Interval (minutes)",
    "Deletion threshold (objects)",
    "Deletion threshold (%)",
    "Concurrency ceiling (requests)",
    "Notification email",
    "Match active records only",
    "Missing reference",
    "Flatten nested groups",
    "Log retention (days)",
    "Skip out-of-scope deletions",
    "Delete action (users)",
    "Delete action (groups)",
];

/// The first field that lives in the mapping file, not here (`extra.rs` toggles them).
pub const MAPPING_FIELDS: usize = 11;

/// The typed-text fields.
const TEXT_FIELDS: [usize; 6] = [2, 3, 4, 5, 6, 10];

/// The editor.
pub struct Settings {
    pub profile: String,
    pub config_path: PathBuf,
    /// The configuration file's text as last saved.
    pub text: String,
    pub base: Provisioning,
    pub enabled: bool,
    pub scope: ScopeMode,
    pub interval: Input,
    pub threshold: Input,
    pub percent: Input,
    /// `[profiles.P.servicenow] max_in_flight`.
    pub ceiling: Input,
    /// The ceiling and the email as loaded (an edit is written only when they change).
    base_ceiling: String,
    base_email: String,
    /// `[profiles.P.notification] email` (empty: left as it is).
    pub email: Input,
    /// `match_active_only`, `missing_reference = "warn"`, `flatten_nested_groups`,
    /// `log_retention_days` of `[profiles.P.provisioning]`.
    pub match_active_only: bool,
    pub missing_warn: bool,
    pub flatten: bool,
    pub retention: Input,
    pub focus: usize,
    /// In the focused text field (typing), or browsing the fields (false: on entering the
    /// screen and after a save, so that arrows move between fields and letters are the
    /// console's; acceptance pass: a field kept the keys after a save).
    pub editing: bool,
    pub message: Option<Result<String, String>>,
}

impl Settings {
    pub fn new(profile: &Profile, config_path: PathBuf, text: String) -> Self {
        let p = profile.provisioning.clone();
        let ceiling = profile
            .servicenow
            .as_ref()
            .map(|s| s.max_in_flight.to_string())
            .unwrap_or_default();
        let email = profile
            .notification
            .as_ref()
            .map(|n| n.email.clone())
            .unwrap_or_default();
        Self {
            profile: profile.name.clone(),
            config_path,
            text,
            enabled: p.enabled,
            scope: p.scope,
            interval: Input::new(p.interval_minutes.to_string()),
            threshold: Input::new(p.deletion_threshold.to_string()),
            percent: Input::new(p.deletion_threshold_percent.map(|v| v.to_string()).unwrap_or_default()),
            ceiling: Input::new(ceiling.clone()),
            email: Input::new(email.clone()),
            base_ceiling: ceiling,
            base_email: email,
            match_active_only: p.match_active_only,
            missing_warn: p.missing_reference == MissingReferenceMode::Warn,
            flatten: p.flatten_nested_groups,
            retention: Input::new(p.log_retention_days.to_string()),
            base: p,
            focus: 0,
            editing: false,
            message: None,
        }
    }

    /// Unsaved edits: a field differs from the file as last read or saved. A field changed
    /// and changed back is no edit (acceptance F11: 25 → 251 → 25 after a save asked
    /// "unsaved edits" on leaving), so this compares values, not whether a key was typed.
    pub fn dirty(&self) -> bool {
        !self.edits().is_empty()
    }

    /// Whether keys go to the focused text field (it is being edited).
    pub fn in_text_field(&self) -> bool {
        self.editing && self.text_field()
    }

    /// Whether the focused field takes typed text (Enter or `e` edits it).
    pub fn text_field(&self) -> bool {
        TEXT_FIELDS.contains(&self.focus)
    }

    /// Whether `key` saves: `S` while browsing, Enter in a field being edited.
    pub fn saves(&self, key: KeyEvent) -> bool {
        match key.code {
            KeyCode::Enter => self.in_text_field(),
            KeyCode::Char('S') => !self.in_text_field(),
            _ => false,
        }
    }

    /// The changed fields as edits of the configuration file: only what the admin changed
    /// here is written; every other key stays as it is in the file.
    pub fn edits(&self) -> Vec<Edit> {
        let b = &self.base;
        let mut edits = Vec::new();
        if self.enabled != b.enabled {
            edits.push(Edit::set("provisioning", "enabled", self.enabled));
        }
        if self.scope != b.scope {
            edits.push(Edit::set("provisioning", "scope", self.scope.word()));
        }
        let mut number = |table, key, input: &Input, was: String| {
            let v = input.value().trim();
            if v != was {
                edits.push(Edit::set(table, key, number_value(v)));
            }
        };
        number(
            "provisioning",
            "interval_minutes",
            &self.interval,
            b.interval_minutes.to_string(),
        );
        number(
            "provisioning",
            "deletion_threshold",
            &self.threshold,
            b.deletion_threshold.to_string(),
        );
        let was = b.deletion_threshold_percent.map(|p| p.to_string()).unwrap_or_default();
        let percent = self.percent.value().trim();
        if percent.is_empty() && !was.is_empty() {
            edits.push(Edit::remove("provisioning", "deletion_threshold_percent"));
        } else if percent != was {
            edits.push(Edit::set(
                "provisioning",
                "deletion_threshold_percent",
                number_value(percent),
            ));
        }
        let ceiling = self.ceiling.value().trim();
        if !ceiling.is_empty() && ceiling != self.base_ceiling {
            edits.push(Edit::set("servicenow", "max_in_flight", number_value(ceiling)));
        }
        // An empty email is left as it is (the wizard owns removing it).
        let email = self.email.value().trim();
        if !email.is_empty() && email != self.base_email {
            edits.push(Edit::set("notification", "email", email));
        }
        self.option_edits(&mut edits);
        edits
    }

    /// A key; returns the effects (a save). Browsing: arrows and Tab move, Enter or `e` edits
    /// a text field, Enter, ←/→ or Space change a choice, `S` saves. Editing: the keys are the
    /// field's; Enter saves, Esc (or a move) leaves the field with its edit kept, unsaved.
    pub fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if self.saves(key) {
            return self.save();
        }
        if self.in_text_field() {
            return self.edit_key(key);
        }
        match key.code {
            KeyCode::Down | KeyCode::Tab => self.focus = (self.focus + 1) % FIELDS.len(),
            KeyCode::Up | KeyCode::BackTab => self.focus = (self.focus + FIELDS.len() - 1) % FIELDS.len(),
            KeyCode::Enter | KeyCode::Char('e') if self.text_field() => {
                self.editing = true;
                self.message = None;
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') | KeyCode::Enter if self.focus == 0 => {
                self.enabled = !self.enabled;
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') | KeyCode::Enter if self.focus == 1 => {
                self.scope = if self.scope == ScopeMode::All {
                    ScopeMode::Assigned
                } else {
                    ScopeMode::All
                };
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') | KeyCode::Enter if (7..10).contains(&self.focus) => {
                let flag = match self.focus {
                    7 => &mut self.match_active_only,
                    8 => &mut self.missing_warn,
                    _ => &mut self.flatten,
                };
                *flag = !*flag;
            }
            _ => {}
        }
        Vec::new()
    }

    /// A key in the field being edited.
    fn edit_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        match key.code {
            KeyCode::Esc => self.editing = false,
            KeyCode::Up | KeyCode::Down | KeyCode::Tab | KeyCode::BackTab => {
                self.editing = false;
                return self.key(key);
            }
            _ => {
                let input = match self.focus {
                    2 => &mut self.interval,
                    3 => &mut self.threshold,
                    4 => &mut self.percent,
                    5 => &mut self.ceiling,
                    6 => &mut self.email,
                    10 => &mut self.retention,
                    _ => return Vec::new(),
                };
                input.handle_event(&CtEvent::Key(key));
            }
        }
        Vec::new()
    }

    /// The engine options: a changed one is written, or goes when back to its default.
    fn option_edits(&self, edits: &mut Vec<Edit>) {
        let b = &self.base;
        let defaults = Provisioning::default();
        let mut flag = |key, on: bool, was: bool, value: EditValue| {
            if on != was {
                edits.push(if on {
                    Edit::set("provisioning", key, value)
                } else {
                    Edit::remove("provisioning", key)
                });
            }
        };
        flag(
            "match_active_only",
            self.match_active_only,
            b.match_active_only,
            true.into(),
        );
        let was_warn = b.missing_reference == MissingReferenceMode::Warn;
        flag("missing_reference", self.missing_warn, was_warn, "warn".into());
        flag(
            "flatten_nested_groups",
            self.flatten,
            b.flatten_nested_groups,
            true.into(),
        );
        let retention = self.retention.value().trim();
        if retention != b.log_retention_days.to_string() {
            edits.push(
                if retention.is_empty() || retention == defaults.log_retention_days.to_string() {
                    Edit::remove("provisioning", "log_retention_days")
                } else {
                    Edit::set("provisioning", "log_retention_days", number_value(retention))
                },
            );
        }
    }

    /// The first number field whose text is not a whole number in its range, said as the
    /// admin would fix it: "Deletion threshold (%) takes a whole number from 1 to 100; got 'x'".
    fn number_problem(&self) -> Option<String> {
        // (field, text, range, whether empty is allowed and what it means)
        let fields = [
            (2, &self.interval, bounds::INTERVAL_MINUTES, None),
            (3, &self.threshold, bounds::DELETION_THRESHOLD, None),
            (4, &self.percent, bounds::DELETION_THRESHOLD_PERCENT, Some("empty: off")),
            (5, &self.ceiling, bounds::MAX_IN_FLIGHT, Some("empty: as it is")),
            (
                10,
                &self.retention,
                bounds::LOG_RETENTION_DAYS,
                Some("empty: the default"),
            ),
        ];
        fields.into_iter().find_map(|(field, input, (lo, hi), empty)| {
            let text = input.value().trim();
            let fine = match text.parse::<i64>() {
                Ok(n) => (lo..=hi).contains(&n),
                Err(_) => text.is_empty() && empty.is_some(),
            };
            (!fine).then(|| {
                let empty = empty.map(|e| format!(" ({e})")).unwrap_or_default();
                format!(
                    "{} takes a whole number from {lo} to {hi}{empty}; got '{text}'",
                    FIELDS[field]
                )
            })
        })
    }

    /// Checks and saves the changed fields; back to browsing once the save is asked for (a
    /// field with a problem keeps its keys, to be fixed).
    pub(super) fn save(&mut self) -> Vec<Effect> {
        if let Some(problem) = self.number_problem() {
            self.message = Some(Err(format!("not saved: {problem}")));
            return Vec::new();
        }
        let edits = self.edits();
        let checked = edit::apply(&self.text, &self.config_path, &self.profile, &edits)
            .and_then(|text| edit::check(&text, &self.config_path, &self.profile));
        match checked {
            Ok(_) => {
                self.editing = false;
                self.message = Some(Ok(SAVING.to_owned()));
                vec![Effect::SaveSettings {
                    path: self.config_path.clone(),
                    profile: self.profile.clone(),
                    edits,
                }]
            }
            Err(e) => {
                self.message = Some(Err(format!("not saved: {e}")));
                Vec::new()
            }
        }
    }

    /// The runtime wrote the file (or could not): the fields start again from what it holds.
    pub fn saved(&mut self, result: Result<Saved, edit::EditError>) {
        match result {
            Ok(saved) => {
                let mut fresh = Self::new(&saved.profile, self.config_path.clone(), saved.text);
                fresh.focus = self.focus;
                fresh.message = Some(Ok(format!(
                    "saved to {}; the engine uses them from the next cycle",
                    self.config_path.display()
                )));
                *self = fresh;
            }
            Err(e) => self.message = Some(Err(format!("not saved: {e}"))),
        }
    }
}

/// What the editor says while its save is being written.
pub const SAVING: &str = "saving…";

/// A typed number as a TOML integer; anything else as text, which the check refuses with the
/// key's name.
fn number_value(text: &str) -> EditValue {
    text.parse::<i64>()
        .map_or_else(|_| EditValue::Str(text.to_owned()), EditValue::Int)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
