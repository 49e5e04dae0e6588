//! The wizard's review and save step, and what it writes: the keys it asks for, as
//! `config::edit` edits of the profile's tables, so that other profiles, other keys (the
//! settings and scope screens' among them) and the admin's comments survive byte for byte.
//! The result is checked by `Config::parse` before anything is written.

use super::{Field, SaveStatus, Wizard, cloud_word};
use crate::config::edit::{self, Edit};
use crate::secrets::{Secret, SecretName, StoreChoice};
use crate::tui::effect::{Effect, SaveRequest};

/// The wizard's review and save step.
impl Wizard {
    /// The keys the wizard owns, as it would write them (no secret is ever among them).
    pub fn edits(&self) -> Vec<Edit> {
        let text = |input: &tui_input::Input| input.value().trim().to_owned();
        // An optional endpoint: absent when empty (the cloud's default), normalised when valid;
        // an invalid one is written as typed, so that the check before saving names it.
        let endpoint = |key: &'static str, input: &tui_input::Input| match super::test_step::endpoint(input, "") {
            Ok(None) => Edit::remove("entra", key),
            Ok(Some(url)) => Edit::set("entra", key, url),
            Err(_) => Edit::set("entra", key, text(input)),
        };
        let mut edits = vec![
            Edit::set("servicenow", "instance", text(&self.inputs.instance)),
            Edit::set("servicenow", "username", text(&self.inputs.username)),
            Edit::set("entra", "tenant_id", text(&self.inputs.tenant_id)),
            Edit::set("entra", "client_id", text(&self.inputs.client_id)),
            Edit::set("entra", "service_principal_id", text(&self.inputs.service_principal_id)),
            Edit::set("entra", "cloud", cloud_word(self.cloud)),
            endpoint("authority_url", &self.inputs.authority_url),
            // Basic is the default: no `auth` key then (DESIGN.md, config).
            if self.oauth {
                Edit::set("servicenow", "auth", "oauth")
            } else {
                Edit::remove("servicenow", "auth")
            },
            if self.oauth {
                Edit::set("servicenow", "oauth_client_id", text(&self.inputs.oauth_client_id))
            } else {
                Edit::remove("servicenow", "oauth_client_id")
            },
            endpoint("graph_url", &self.inputs.graph_url),
        ];
        let email = text(&self.inputs.email);
        // No email: no notification table (it cannot be without one).
        edits.push(if email.is_empty() {
            Edit::DropTable { table: "notification" }
        } else {
            Edit::set("notification", "email", email)
        });
        let store = self.store_choice();
        edits.push(if store == StoreChoice::Auto || self.demo {
            Edit::remove("secrets", "store")
        } else {
            Edit::set("secrets", "store", store.as_str())
        });
        // `enabled` (provisioning on) is written for a new profile (off unless the admin said
        // start now) and when the admin changed it: a re-save never turns a profile off by itself.
        if self.was_enabled != Some(self.start) {
            edits.push(Edit::set("provisioning", "enabled", self.start));
        }
        edits
    }

    /// The configuration text the save would write over the text the wizard opened with.
    pub fn merged_config(&self) -> Result<String, edit::EditError> {
        edit::apply(&self.existing, &self.config_path, &self.profile, &self.edits())
    }

    /// The profile as it will be saved, or the first problem.
    pub fn validation(&self) -> Result<crate::config::Profile, edit::EditError> {
        edit::check(&self.merged_config()?, &self.config_path, &self.profile)
    }

    pub(super) fn save(&mut self) -> Vec<Effect> {
        if matches!(self.save, SaveStatus::Saving) {
            return Vec::new();
        }
        if let Err(why) = self.validation() {
            self.save = SaveStatus::Failed(format!("not saved: {why}"));
            return Vec::new();
        }
        // Secrets the environment (or a file) provides are not stored: they keep coming from there.
        let secrets = if self.store_choice() == StoreChoice::Env {
            Vec::new()
        } else {
            [
                (SecretName::ServiceNowPassword, Field::Password, &self.inputs.password),
                (
                    SecretName::GraphClientSecret,
                    Field::ClientSecret,
                    &self.inputs.client_secret,
                ),
                (
                    SecretName::ServiceNowOAuthClientSecret,
                    Field::OAuthClientSecret,
                    &self.inputs.oauth_client_secret,
                ),
            ]
            .into_iter()
            .filter(|(_, field, _)| self.oauth || *field != Field::OAuthClientSecret)
            .filter(|(_, field, _)| self.from_env(*field).is_none())
            .map(|(name, _, input)| (name, Secret::new(input.value())))
            .collect()
        };
        self.save = SaveStatus::Saving;
        vec![Effect::Save(Box::new(SaveRequest {
            config_path: self.config_path.clone(),
            profile: self.profile.clone(),
            edits: self.edits(),
            store: self.store_choice(),
            secrets,
        }))]
    }

    /// The runtime reports the save's outcome.
    pub fn saved(&mut self, result: Result<(String, edit::Saved), crate::tui::error::SaveError>) -> Vec<Effect> {
        match result {
            Ok((message, saved)) => {
                self.save = SaveStatus::Saved(message);
                // A later save previews over the file as it is now.
                self.existing = saved.text;
                self.dirty = false;
                vec![Effect::StartEngine]
            }
            Err(e) => {
                self.save = SaveStatus::Failed(e.to_string());
                Vec::new()
            }
        }
    }
}
