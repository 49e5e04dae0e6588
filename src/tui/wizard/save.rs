//! The wizard's review and save step, and what it writes: the profile's sections as TOML
//! text, merged into the existing file so that other profiles, other sections and the admin's
//! comments survive, and checked by [`Config::parse`] before anything is written.

use std::path::Path;

use super::{SaveStatus, Wizard, cloud_word};
use crate::config::{Config, Profile};
use crate::secrets::{Secret, SecretName, StoreChoice};
use crate::tui::effect::{Effect, SaveRequest};

/// The sections of `profile` the wizard owns; any existing copy of them is replaced.
const OWNED: [&str; 4] = ["servicenow", "entra", "notification", "secrets"];

/// `existing` with the wizard's tables of `profile` replaced by `sections`.
pub fn merge(existing: &str, profile: &str, sections: &str) -> String {
    merge_tables(existing, profile, &OWNED, sections)
}

/// `existing` with the tables `owned` of `profile` replaced by `sections`.
pub fn merge_tables(existing: &str, profile: &str, owned: &[&str], sections: &str) -> String {
    let owned: Vec<String> = owned.iter().map(|s| format!("[profiles.{profile}.{s}]")).collect();
    let mut out = String::new();
    let mut skipping = false;
    for line in existing.lines() {
        let head = line.split('#').next().unwrap_or_default().trim();
        if head.starts_with('[') {
            skipping = owned.iter().any(|o| o == head);
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    let trimmed = out.trim_end().to_owned();
    let mut merged = trimmed;
    if !merged.is_empty() {
        merged.push_str("\n\n");
    }
    merged.push_str(sections);
    merged
}

/// A TOML basic string holding `value`.
pub fn quote(value: &str) -> String {
    toml::Value::String(value.to_owned()).to_string()
}

/// Checks the merged text the way `nowsync` will read it; returns the profile as resolved.
pub fn validate(text: &str, path: &Path, profile: &str) -> Result<Profile, String> {
    let config = Config::parse(text, path).map_err(|e| e.to_string())?;
    let resolved = config.profile(profile).map_err(|e| e.to_string())?;
    Ok(resolved.clone())
}

/// The wizard's review and save step.
impl Wizard {
    /// The profile's sections as the wizard would write them (no secret is ever in them).
    pub fn sections(&self) -> String {
        let q = quote;
        let p = &self.profile;
        let mut s = format!(
            "[profiles.{p}.servicenow]\ninstance = {}\nusername = {}\n\n[profiles.{p}.entra]\ntenant_id = {}\nclient_id = {}\nservice_principal_id = {}\ncloud = {}\n",
            q(self.inputs.instance.value().trim()),
            q(self.inputs.username.value().trim()),
            q(self.inputs.tenant_id.value().trim()),
            q(self.inputs.client_id.value().trim()),
            q(self.inputs.service_principal_id.value().trim()),
            q(cloud_word(self.cloud)),
        );
        if let Some(url) = &self.authority_url {
            s.push_str(&format!("authority_url = {}\n", q(url)));
        }
        if let Some(url) = &self.graph_url {
            s.push_str(&format!("graph_url = {}\n", q(url)));
        }
        let email = self.inputs.email.value().trim();
        if !email.is_empty() {
            s.push_str(&format!("\n[profiles.{p}.notification]\nemail = {}\n", q(email)));
        }
        let store = self.store_choice();
        if store != StoreChoice::Auto && !self.demo {
            s.push_str(&format!("\n[profiles.{p}.secrets]\nstore = {}\n", q(store.as_str())));
        }
        s
    }

    /// The whole configuration text after saving: each key the wizard asks for set in its
    /// table (other keys, e.g. the settings screen's `max_in_flight`, and comments kept).
    pub fn merged_config(&self) -> String {
        use crate::tui::config_text::{remove_key, set_key};
        let p = &self.profile;
        let q = quote;
        let set = |key: &str, value: Option<&str>| (key.to_owned(), value.map(q));
        let email = self.inputs.email.value().trim();
        let store = self.store_choice();
        let store = (store != StoreChoice::Auto && !self.demo).then(|| store.as_str());
        let tables = [
            (
                "servicenow",
                vec![
                    set("instance", Some(self.inputs.instance.value().trim())),
                    set("username", Some(self.inputs.username.value().trim())),
                ],
            ),
            (
                "entra",
                vec![
                    set("tenant_id", Some(self.inputs.tenant_id.value().trim())),
                    set("client_id", Some(self.inputs.client_id.value().trim())),
                    set(
                        "service_principal_id",
                        Some(self.inputs.service_principal_id.value().trim()),
                    ),
                    set("cloud", Some(cloud_word(self.cloud))),
                    set("authority_url", self.authority_url.as_deref()),
                    set("graph_url", self.graph_url.as_deref()),
                ],
            ),
            ("notification", vec![set("email", (!email.is_empty()).then_some(email))]),
            ("secrets", vec![set("store", store)]),
        ];
        let mut text = self.existing.clone();
        for (table, keys) in tables {
            let header = format!("[profiles.{p}.{table}]");
            // In reverse: a key missing from its table goes in right under the header.
            for (key, value) in keys.into_iter().rev() {
                text = match value {
                    Some(v) => set_key(&text, &header, &key, &v),
                    None => remove_key(&text, &header, &key),
                };
            }
        }
        if email.is_empty() {
            // No email: no notification table (as before the wizard kept other keys).
            text = merge_tables(&text, p, &["notification"], "").trim_end().to_owned();
            text.push('\n');
        }
        text
    }

    /// Whether the merged text is a valid profile; the first problem if not.
    pub fn validation(&self) -> Result<(), String> {
        validate(&self.merged_config(), &self.config_path, &self.profile).map(|_| ())
    }

    /// The profile as it will be saved, when it is valid.
    pub fn profile(&self) -> Option<crate::config::Profile> {
        validate(&self.merged_config(), &self.config_path, &self.profile).ok()
    }

    pub(super) fn save(&mut self) -> Vec<Effect> {
        if matches!(self.save, SaveStatus::Saving) {
            return Vec::new();
        }
        if let Err(why) = self.validation() {
            self.save = SaveStatus::Failed(format!("not saved: {why}"));
            return Vec::new();
        }
        let secrets = if self.store_choice() == StoreChoice::Env {
            Vec::new()
        } else {
            vec![
                (
                    SecretName::ServiceNowPassword,
                    Secret::new(self.inputs.password.value()),
                ),
                (
                    SecretName::GraphClientSecret,
                    Secret::new(self.inputs.client_secret.value()),
                ),
            ]
        };
        self.save = SaveStatus::Saving;
        vec![Effect::Save(Box::new(SaveRequest {
            config_path: self.config_path.clone(),
            config_text: self.merged_config(),
            store: self.store_choice(),
            secrets,
        }))]
    }

    /// The runtime reports the save's outcome.
    pub fn saved(&mut self, result: Result<String, String>) -> Vec<Effect> {
        match result {
            Ok(message) => {
                self.save = SaveStatus::Saved(message);
                self.dirty = false;
                vec![Effect::StartEngine]
            }
            Err(message) => {
                self.save = SaveStatus::Failed(message);
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_owned_tables_and_keeps_the_rest() {
        let existing = "# my notes\n[profiles.prod.servicenow]\ninstance = \"prod1\"\nusername = \"a\"\n\n[profiles.default.servicenow]\ninstance = \"old\"\nusername = \"old\"\n[profiles.default.provisioning]\ninterval_minutes = 10\n";
        let merged = merge(
            existing,
            "default",
            "[profiles.default.servicenow]\ninstance = \"new\"\n",
        );
        assert!(merged.contains("# my notes"));
        assert!(merged.contains("instance = \"prod1\""));
        assert!(merged.contains("interval_minutes = 10"));
        assert!(!merged.contains("\"old\""));
        assert!(merged.ends_with("[profiles.default.servicenow]\ninstance = \"new\"\n"));
    }

    #[test]
    fn quotes_awkward_values() {
        let text = format!("v = {}", quote("a\"b\\c'"));
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(parsed["v"].as_str(), Some("a\"b\\c'"));
    }
}
