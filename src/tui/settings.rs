//! The settings screen's editor: provisioning on or off, scope, interval, the deletion
//! threshold (count and share) and the engine options (match active records only, missing
//! reference fail|warn, flatten nested groups, log retention days), written to `[profiles.P.provisioning]` of the configuration
//! file (other tables and comments kept), plus the concurrency ceiling
//! (`[servicenow] max_in_flight`) and the notification email, each set as one line of its
//! table; sent to the engine as a reload. The rows past [`MAPPING_FIELDS`] live in the mapping
//! file (`settings_extra`).
//!
//! Invariants: the text is checked by `Config::parse` before it is written; leaving with
//! unsaved edits asks first. Keys not shown here keep their value (they are written back).

use std::path::PathBuf;

use crossterm::event::{Event as CtEvent, KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::effect::Effect;
use super::wizard::save;
use crate::config::{MissingReferenceMode, Profile, Provisioning, ScopeMode};

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

/// The first field that lives in the mapping file, not here (`settings_extra` toggles them).
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
    /// `[profiles.P.notification] email` (empty: left as it is).
    pub email: Input,
    /// `match_active_only`, `missing_reference = "warn"`, `flatten_nested_groups`,
    /// `log_retention_days` of `[profiles.P.provisioning]`.
    pub match_active_only: bool,
    pub missing_warn: bool,
    pub flatten: bool,
    pub retention: Input,
    pub focus: usize,
    pub dirty: bool,
    pub message: Option<Result<String, String>>,
}

impl Settings {
    pub fn new(profile: &Profile, config_path: PathBuf, text: String) -> Self {
        let p = profile.provisioning.clone();
        Self {
            profile: profile.name.clone(),
            config_path,
            text,
            enabled: p.enabled,
            scope: p.scope,
            interval: Input::new(p.interval_minutes.to_string()),
            threshold: Input::new(p.deletion_threshold.to_string()),
            percent: Input::new(p.deletion_threshold_percent.map(|v| v.to_string()).unwrap_or_default()),
            ceiling: Input::new(
                profile
                    .servicenow
                    .as_ref()
                    .map(|s| s.max_in_flight.to_string())
                    .unwrap_or_default(),
            ),
            email: Input::new(
                profile
                    .notification
                    .as_ref()
                    .map(|n| n.email.clone())
                    .unwrap_or_default(),
            ),
            match_active_only: p.match_active_only,
            missing_warn: p.missing_reference == MissingReferenceMode::Warn,
            flatten: p.flatten_nested_groups,
            retention: Input::new(p.log_retention_days.to_string()),
            base: p,
            focus: 0,
            dirty: false,
            message: None,
        }
    }

    /// Whether the focused field takes typed text.
    pub fn in_text_field(&self) -> bool {
        TEXT_FIELDS.contains(&self.focus)
    }

    /// The `[provisioning]` table as it would be written.
    pub fn section(&self) -> String {
        let mut s = format!(
            "[profiles.{}.provisioning]\nenabled = {}\nscope = \"{}\"\ninterval_minutes = {}\ndeletion_threshold = {}\n",
            self.profile,
            self.enabled,
            if self.scope == ScopeMode::All {
                "all"
            } else {
                "assigned"
            },
            self.interval.value().trim(),
            self.threshold.value().trim(),
        );
        let percent = self.percent.value().trim();
        if !percent.is_empty() {
            s.push_str(&format!("deletion_threshold_percent = {percent}\n"));
        }
        if let Some(path) = &self.base.mappings {
            s.push_str(&format!("mappings = {}\n", save::quote(&path.display().to_string())));
        }
        // The engine options: written when not their default (the table is rewritten whole).
        let defaults = Provisioning::default();
        if self.match_active_only {
            s.push_str("match_active_only = true\n");
        }
        if self.missing_warn {
            s.push_str("missing_reference = \"warn\"\n");
        }
        if self.flatten {
            s.push_str("flatten_nested_groups = true\n");
        }
        let retention = self.retention.value().trim();
        if !retention.is_empty() && retention != defaults.log_retention_days.to_string() {
            s.push_str(&format!("log_retention_days = {retention}\n"));
        }
        // Keys not shown keep their value.
        if self.base.escrow_retry_hours != defaults.escrow_retry_hours {
            let hours: Vec<String> = self.base.escrow_retry_hours.iter().map(u32::to_string).collect();
            s.push_str(&format!("escrow_retry_hours = [{}]\n", hours.join(", ")));
        }
        if self.base.escrow_days != defaults.escrow_days {
            s.push_str(&format!("escrow_days = {}\n", self.base.escrow_days));
        }
        s
    }

    fn merged(&self) -> String {
        let mut text = save::merge_tables(&self.text, &self.profile, &["provisioning"], &self.section());
        // The other tables' keys are set one line at a time: the wizard owns the rest of them.
        let ceiling = self.ceiling.value().trim();
        if !ceiling.is_empty() {
            let header = format!("[profiles.{}.servicenow]", self.profile);
            text = super::config_text::set_key(&text, &header, "max_in_flight", ceiling);
        }
        let email = self.email.value().trim();
        if !email.is_empty() {
            let header = format!("[profiles.{}.notification]", self.profile);
            text = super::config_text::set_key(&text, &header, "email", &save::quote(email));
        }
        text
    }

    /// A key; returns the effects (a save).
    pub fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        match key.code {
            KeyCode::Down | KeyCode::Tab => self.focus = (self.focus + 1) % FIELDS.len(),
            KeyCode::Up | KeyCode::BackTab => self.focus = (self.focus + FIELDS.len() - 1) % FIELDS.len(),
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if self.focus == 0 => {
                self.enabled = !self.enabled;
                self.dirty = true;
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if self.focus == 1 => {
                self.scope = if self.scope == ScopeMode::All {
                    ScopeMode::Assigned
                } else {
                    ScopeMode::All
                };
                self.dirty = true;
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if (7..10).contains(&self.focus) => {
                let flag = match self.focus {
                    7 => &mut self.match_active_only,
                    8 => &mut self.missing_warn,
                    _ => &mut self.flatten,
                };
                *flag = !*flag;
                self.dirty = true;
            }
            KeyCode::Enter => return self.save(),
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
                if input.handle_event(&CtEvent::Key(key)).is_some() {
                    self.dirty = true;
                }
            }
        }
        Vec::new()
    }

    fn save(&mut self) -> Vec<Effect> {
        let text = self.merged();
        match save::validate(&text, &self.config_path, &self.profile) {
            Ok(profile) => {
                self.message = Some(Ok("saving…".to_owned()));
                vec![Effect::SaveSettings {
                    path: self.config_path.clone(),
                    text,
                    profile: Box::new(profile),
                }]
            }
            Err(e) => {
                self.message = Some(Err(format!("not saved: {e}")));
                Vec::new()
            }
        }
    }

    /// The runtime wrote the file (or could not).
    pub fn saved(&mut self, result: Result<String, String>) {
        if result.is_ok() {
            self.text = self.merged();
            self.dirty = false;
            self.base.enabled = self.enabled;
            self.base.scope = self.scope;
            if let Ok(minutes) = self.interval.value().trim().parse() {
                self.base.interval_minutes = minutes;
            }
        }
        self.message = Some(result);
    }
}

/// The profile's settings as the settings screen lists them.
pub fn rows(p: &crate::config::Profile) -> Vec<(String, String)> {
    let v = &p.provisioning;
    let mut rows = vec![
        ("provisioning.enabled".to_owned(), v.enabled.to_string()),
        (
            "provisioning.scope".to_owned(),
            match v.scope {
                crate::config::ScopeMode::Assigned => "assigned".to_owned(),
                crate::config::ScopeMode::All => "all".to_owned(),
            },
        ),
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
    rows
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
