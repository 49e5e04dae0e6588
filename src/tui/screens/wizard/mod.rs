//! The setup wizard: ServiceNow instance (validated as typed, the resolved URL shown), admin
//! credentials, the Entra app, test connection of both sides, the notification email, then
//! review and save.
//!
//! Invariants: every step can be revisited (PgUp/PgDn, or Esc and ↑/↓); nothing is written
//! until the review step's Enter, and then secrets go to the store before the configuration
//! file, and the result says what was and was not saved. Secret fields are never drawn.

mod advice;
mod check;
mod detail;
mod field;
mod keys;
mod oauth;
pub mod save;
mod test_step;
mod types;
mod view;

use std::path::PathBuf;

use crossterm::event::KeyEvent;
use tui_input::Input;

pub use field::{Field, Step};
pub use test_step::FieldError;
pub use types::{Prefill, SaveStatus, SideTest, StoreStatus};
pub use view::WizardView;

use crate::config::Cloud;
use crate::secrets::{SecretName, StoreChoice, StoreKind};
use crate::servicenow::Instance;
use crate::tui::effect::Effect;

/// What a key means to the wizard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    NextField,
    PrevField,
    NextStep,
    PrevStep,
    /// Enter: the next field, the next step, run the test, or save.
    Submit,
    /// Esc: out of the text field, to the step list.
    Leave,
    /// ←/→ on a choice field.
    Choose(i8),
    /// A key for the focused text field.
    Edit(KeyEvent),
    RunTest,
    /// ↑/↓ on the step list: another step, still on the list.
    SelectStep(i8),
    /// ↑/↓ on the test step: scroll its results.
    Scroll(i16),
    /// `o` on the test step after the instance refused Basic: OAuth, on the credentials step.
    UseOAuth,
}

/// The wizard's state.
pub struct Wizard {
    pub profile: String,
    pub config_path: PathBuf,
    /// The configuration file's text when the wizard opened (other profiles are kept).
    pub existing: String,
    pub demo: bool,
    pub step: Step,
    pub focus: usize,
    /// In a field of the step (true) or on the step list (false).
    pub editing: bool,
    pub inputs: Inputs,
    pub cloud: Cloud,
    pub store_choices: Vec<StoreChoice>,
    pub store_index: usize,
    pub store_status: StoreStatus,
    pub servicenow_test: SideTest,
    pub entra_test: SideTest,
    pub save: SaveStatus,
    /// Edited since opening, and not saved.
    pub dirty: bool,
    /// The values it opened with (or last saved): leaving a reopened wizard without saving
    /// goes back to them.
    opened: Prefill,
    /// Start provisioning now: `enabled` as the save writes it.
    pub start: bool,
    /// The profile's `enabled` before (`None`: a new profile): a re-save writes `enabled` only
    /// when the admin changed it, so it never turns an enabled profile off by itself.
    pub was_enabled: Option<bool>,
    /// Steps the admin tried to leave with Enter, and steps typed in: their problems are
    /// shown (an empty field is not an error before that).
    pub tried: std::collections::BTreeSet<Step>,
    pub touched: std::collections::BTreeSet<Step>,
    /// The first row of the step's details shown (the test's results scroll).
    pub scroll: u16,
    /// Secrets that come from the environment or a file: (name, variable).
    pub env_secrets: Vec<(SecretName, String)>,
    /// Why the secret store offered first is the one it is, when that needs saying.
    pub store_note: Option<String>,
    /// Sign in with OAuth (`auth = "oauth"`) rather than Basic.
    pub oauth: bool,
}

/// The text fields.
#[derive(Default)]
pub struct Inputs {
    pub instance: Input,
    pub username: Input,
    pub password: Input,
    pub tenant_id: Input,
    pub client_id: Input,
    pub client_secret: Input,
    pub service_principal_id: Input,
    /// Optional: empty is the cloud's default.
    pub authority_url: Input,
    pub graph_url: Input,
    pub email: Input,
    pub oauth_client_id: Input,
    pub oauth_client_secret: Input,
}

impl Inputs {
    pub fn get(&self, field: Field) -> Option<&Input> {
        Some(match field {
            Field::Instance => &self.instance,
            Field::Username => &self.username,
            Field::Password => &self.password,
            Field::TenantId => &self.tenant_id,
            Field::ClientId => &self.client_id,
            Field::ClientSecret => &self.client_secret,
            Field::ServicePrincipal => &self.service_principal_id,
            Field::AuthorityUrl => &self.authority_url,
            Field::GraphUrl => &self.graph_url,
            Field::Email => &self.email,
            Field::OAuthClientId => &self.oauth_client_id,
            Field::OAuthClientSecret => &self.oauth_client_secret,
            Field::Store | Field::Cloud | Field::Start | Field::Auth => return None,
        })
    }

    fn get_mut(&mut self, field: Field) -> Option<&mut Input> {
        Some(match field {
            Field::Instance => &mut self.instance,
            Field::Username => &mut self.username,
            Field::Password => &mut self.password,
            Field::TenantId => &mut self.tenant_id,
            Field::ClientId => &mut self.client_id,
            Field::ClientSecret => &mut self.client_secret,
            Field::ServicePrincipal => &mut self.service_principal_id,
            Field::AuthorityUrl => &mut self.authority_url,
            Field::GraphUrl => &mut self.graph_url,
            Field::Email => &mut self.email,
            Field::OAuthClientId => &mut self.oauth_client_id,
            Field::OAuthClientSecret => &mut self.oauth_client_secret,
            Field::Store | Field::Cloud | Field::Start | Field::Auth => return None,
        })
    }
}

pub const CLOUDS: [(Cloud, &str); 4] = [
    (Cloud::Global, "global"),
    (Cloud::UsGov, "usgov"),
    (Cloud::UsGovDod, "usgov-dod"),
    (Cloud::China, "china"),
];

pub fn cloud_word(cloud: Cloud) -> &'static str {
    CLOUDS.iter().find(|(c, _)| *c == cloud).map_or("global", |(_, w)| w)
}

impl Wizard {
    /// A wizard for `profile`, saving into `config_path` whose current text is `existing`.
    /// `demo`: secrets stay in memory and the fields hold the simulators' values.
    pub fn new(profile: &str, config_path: PathBuf, existing: String, prefill: Prefill, demo: bool) -> Self {
        let mut store_choices = if demo {
            vec![StoreChoice::Store(StoreKind::Memory)]
        } else if cfg!(target_os = "linux") {
            vec![
                StoreChoice::Auto,
                StoreChoice::Store(StoreKind::Keyutils),
                StoreChoice::Env,
            ]
        } else {
            vec![StoreChoice::Auto, StoreChoice::Env]
        };
        // The profile's own store stays a choice, whatever the platform's list.
        let (store_index, store_note) = match prefill.store.filter(|_| !demo) {
            Some(store) => (
                store_choices.iter().position(|c| *c == store).unwrap_or_else(|| {
                    store_choices.push(store);
                    store_choices.len() - 1
                }),
                None,
            ),
            None => default_store(&store_choices, prefill.no_session_bus && !demo),
        };
        let input = |s: &str| Input::new(s.to_owned());
        let prefill_kept = prefill.clone();
        Self {
            profile: profile.to_owned(),
            config_path,
            existing,
            demo,
            step: Step::Instance,
            focus: 0,
            editing: true,
            inputs: Inputs {
                instance: input(&prefill.instance),
                username: input(&prefill.username),
                password: input(&prefill.password),
                tenant_id: input(&prefill.tenant_id),
                client_id: input(&prefill.client_id),
                client_secret: input(&prefill.client_secret),
                service_principal_id: input(&prefill.service_principal_id),
                authority_url: input(prefill.authority_url.as_deref().unwrap_or_default()),
                graph_url: input(prefill.graph_url.as_deref().unwrap_or_default()),
                email: input(&prefill.email),
                oauth_client_id: input(prefill.oauth_client_id.as_deref().unwrap_or_default()),
                oauth_client_secret: input(&prefill.oauth_client_secret),
            },
            oauth: prefill.oauth_client_id.is_some(),
            cloud: prefill.cloud.unwrap_or(Cloud::Global),
            store_choices,
            store_index,
            store_status: StoreStatus::Probing,
            servicenow_test: SideTest::NotRun,
            entra_test: SideTest::NotRun,
            save: SaveStatus::NotSaved,
            dirty: false,
            start: prefill.enabled.unwrap_or(false),
            was_enabled: prefill.enabled,
            tried: Default::default(),
            scroll: 0,
            touched: Default::default(),
            env_secrets: prefill.env_secrets,
            store_note,
            opened: prefill_kept,
        }
    }

    /// Back to the values it opened with (or last saved), its edits dropped.
    pub fn reset(&mut self) {
        let status = self.store_status.clone();
        let mut fresh = Wizard::new(
            &self.profile,
            self.config_path.clone(),
            self.existing.clone(),
            self.opened.clone(),
            self.demo,
        );
        fresh.store_status = status;
        *self = fresh;
    }

    /// Shown again (`w`, `8`, Tab): its step's fields have the keys, as when it first opened.
    /// Left from the step list it used to come back there, where the Instance field shows
    /// but d, r and 1 are the console's (a dry run, a cycle, the dashboard). A wizard
    /// without edits says nothing of the last save until it saves again.
    pub fn reopened(&mut self) {
        let fields = self.fields(self.step).len();
        self.editing = fields > 0;
        self.focus = self.focus.min(fields.saturating_sub(1));
        if !self.dirty {
            self.save = SaveStatus::NotSaved;
        }
    }

    /// The effect to run when the wizard opens: find out whether the store can be used.
    pub fn start(&self) -> Vec<Effect> {
        vec![Effect::ProbeStore(self.store_choice())]
    }

    pub fn store_choice(&self) -> StoreChoice {
        self.store_choices.get(self.store_index).copied().unwrap_or_default()
    }

    /// The focused field, if the step has fields.
    pub fn field(&self) -> Option<Field> {
        self.fields(self.step).get(self.focus).copied()
    }

    /// Whether keys go to a text field (so `q` and `?` are text).
    pub fn in_text_field(&self) -> bool {
        self.editing && self.field().is_some_and(|f| !f.choice() && self.from_env(f).is_none())
    }

    /// The variable a secret field's value comes from, when it comes from the environment
    /// (or a file it names): the field is not asked for.
    pub fn from_env(&self, field: Field) -> Option<&str> {
        let name = match field {
            Field::Password => SecretName::ServiceNowPassword,
            Field::ClientSecret => SecretName::GraphClientSecret,
            Field::OAuthClientSecret => SecretName::ServiceNowOAuthClientSecret,
            _ => return None,
        };
        self.env_secrets
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, var)| var.as_str())
    }

    /// Every secret the profile signs in with comes from the environment (or a file it
    /// names): the save stores none, whatever the store (acceptance F17).
    pub fn secrets_from_env(&self) -> bool {
        self.from_env(Field::Password).is_some()
            && self.from_env(Field::ClientSecret).is_some()
            && (!self.oauth || self.from_env(Field::OAuthClientSecret).is_some())
    }

    /// The live result of the instance field: the resolved URL or why it is not one.
    pub fn instance(&self) -> Result<Instance, crate::servicenow::InstanceError> {
        Instance::parse(self.inputs.instance.value(), false)
    }
}

/// The store a new profile is offered first: `auto`, or keyutils (the kernel keyring) when no
/// session bus can carry the Secret Service (over SSH), with why.
fn default_store(choices: &[StoreChoice], no_session_bus: bool) -> (usize, Option<String>) {
    let keyutils = choices
        .iter()
        .position(|c| *c == StoreChoice::Store(StoreKind::Keyutils));
    match keyutils {
        Some(i) if no_session_bus => (
            i,
            Some(
                "No session bus here (DBUS_SESSION_BUS_ADDRESS is not set, as over SSH), so the Secret Service cannot be reached: secrets go to keyutils, the kernel keyring (a reboot clears it)."
                    .to_owned(),
            ),
        ),
        _ => (0, None),
    }
}

#[cfg(test)]
mod advice_tests;
#[cfg(test)]
mod endpoint_tests;
#[cfg(test)]
mod env_tests;
#[cfg(test)]
mod tests;
