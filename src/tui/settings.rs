//! The settings screen's editor: provisioning on or off, scope, interval and the deletion
//! threshold (count and share), written to `[profiles.P.provisioning]` of the configuration
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
use crate::config::{Profile, Provisioning, ScopeMode};

/// The fields, in focus order.
pub const FIELDS: [&str; 10] = [
    "Provisioning (scheduled cycles)",
    "Scope",
    "Interval (minutes)",
    "Deletion threshold (objects)",
    "Deletion threshold (%)",
    "Concurrency ceiling (requests)",
    "Notification email",
    "Skip out-of-scope deletions",
    "Delete action (users)",
    "Delete action (groups)",
];

/// The first field that lives in the mapping file, not here (`settings_extra` toggles them).
pub const MAPPING_FIELDS: usize = 7;

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
            base: p,
            focus: 0,
            dirty: false,
            message: None,
        }
    }

    /// Whether the focused field takes typed text.
    pub fn in_text_field(&self) -> bool {
        (2..MAPPING_FIELDS).contains(&self.focus)
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
            KeyCode::Enter => return self.save(),
            _ => {
                let input = match self.focus {
                    2 => &mut self.interval,
                    3 => &mut self.threshold,
                    4 => &mut self.percent,
                    5 => &mut self.ceiling,
                    6 => &mut self.email,
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
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn key(s: &mut Settings, code: KeyCode) -> Vec<Effect> {
        s.key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn edits_validate_before_saving_and_keep_other_tables() {
        let text = "# mine\n[profiles.p.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";
        let config = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
        let profile = config.profile("p").unwrap();
        let mut s = Settings::new(profile, PathBuf::from("c.toml"), text.to_owned());
        key(&mut s, KeyCode::Char(' '));
        assert!(!s.enabled && s.dirty);
        key(&mut s, KeyCode::Down);
        key(&mut s, KeyCode::Down);
        key(&mut s, KeyCode::End);
        key(&mut s, KeyCode::Backspace);
        key(&mut s, KeyCode::Backspace);
        key(&mut s, KeyCode::Char('0'));
        assert!(key(&mut s, KeyCode::Enter).is_empty(), "interval 0 is refused");
        assert!(
            matches!(&s.message, Some(Err(e)) if e.contains("interval_minutes")),
            "{:?}",
            s.message
        );
        key(&mut s, KeyCode::Backspace);
        key(&mut s, KeyCode::Char('5'));
        let effects = key(&mut s, KeyCode::Enter);
        let [Effect::SaveSettings { text, profile, .. }] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        assert!(text.starts_with("# mine\n[profiles.p.servicenow]"));
        assert_eq!(profile.provisioning.interval_minutes, 5);
        assert!(!profile.provisioning.enabled);
    }

    #[test]
    fn the_concurrency_ceiling_and_email_are_set_in_their_tables() {
        let text = "[profiles.p.servicenow]\ninstance = \"dev1\" # mine\nusername = \"admin\"\n";
        let config = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
        let mut s = Settings::new(config.profile("p").unwrap(), PathBuf::from("c.toml"), text.to_owned());
        for _ in 0..5 {
            key(&mut s, KeyCode::Down);
        }
        assert!(s.in_text_field());
        key(&mut s, KeyCode::Backspace);
        key(&mut s, KeyCode::Char('4'));
        key(&mut s, KeyCode::Down);
        for c in "idm@example.com".chars() {
            key(&mut s, KeyCode::Char(c));
        }
        key(&mut s, KeyCode::Down);
        assert!(!s.in_text_field(), "the mapping-file rows are toggles");
        let effects = key(&mut s, KeyCode::Enter);
        let [Effect::SaveSettings { text, profile, .. }] = effects.as_slice() else {
            panic!("{effects:?} {:?}", s.message)
        };
        assert!(text.contains("max_in_flight = 4\n"), "{text}");
        assert!(
            text.contains("instance = \"dev1\" # mine\n"),
            "the other lines are kept: {text}"
        );
        assert_eq!(profile.servicenow.as_ref().map(|sn| sn.max_in_flight), Some(4));
        assert_eq!(
            profile.notification.as_ref().map(|n| n.email.as_str()),
            Some("idm@example.com")
        );
    }
}
