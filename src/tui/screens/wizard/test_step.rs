//! The wizard's test step: both sides of test connection as requests built from the fields,
//! or why a side cannot make one yet.

use std::convert::Infallible;

use tui_input::Input;

use super::{SideTest, Wizard};
use crate::config::{Entra, ServiceNowAuth};
use crate::secrets::Secret;
use crate::servicenow::{Auth, Instance, InstanceError};
use crate::sync::servicenow_auth;
use crate::tui::effect::{Effect, TestRequest};

/// Why a side of test connection cannot make a request yet: a field of the wizard.
#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    #[error(transparent)]
    Instance(#[from] InstanceError),
    /// A required field is empty; `step` is the wizard step that has it.
    #[error("the {what} is empty (step {step})")]
    Empty { what: &'static str, step: u8 },
    #[error("the {what} '{value}' is not a GUID such as 00000000-0000-0000-0000-000000000000 (step 3)")]
    NotAGuid {
        what: &'static str,
        /// Sanitised for the terminal.
        value: String,
    },
    /// An optional Entra endpoint that the configuration would refuse.
    #[error("the {what} '{value}' cannot be used: {expected}; or leave it empty for the cloud's default (step 3)")]
    BadUrl {
        what: &'static str,
        /// Sanitised for the terminal.
        value: String,
        expected: &'static str,
    },
}

impl Wizard {
    /// The ServiceNow side as a request, or why not.
    pub fn servicenow_target(&self) -> Result<(Instance, Auth), FieldError> {
        let instance = Instance::parse(self.inputs.instance.value(), false)?;
        let username = self.inputs.username.value().trim();
        if username.is_empty() {
            return Err(FieldError::Empty {
                what: "admin user name",
                step: 2,
            });
        }
        if self.inputs.password.value().is_empty() {
            return Err(FieldError::Empty {
                what: "password",
                step: 2,
            });
        }
        let kind = if self.oauth {
            let client_id = self.inputs.oauth_client_id.value().trim();
            if client_id.is_empty() {
                return Err(FieldError::Empty {
                    what: "OAuth client id",
                    step: 2,
                });
            }
            if self.inputs.oauth_client_secret.value().is_empty() {
                return Err(FieldError::Empty {
                    what: "OAuth client secret",
                    step: 2,
                });
            }
            ServiceNowAuth::OAuth {
                client_id: client_id.to_owned(),
            }
        } else {
            ServiceNowAuth::Basic
        };
        // The secrets from the fields (checked above), assembled as the engine's are.
        let Ok(auth) = servicenow_auth::<Infallible>(
            username,
            &kind,
            || Ok(Secret::new(self.inputs.password.value())),
            || Ok(Secret::new(self.inputs.oauth_client_secret.value())),
        );
        Ok((instance, auth))
    }

    /// The Entra side as settings and secret, or why not.
    pub fn entra_target(&self) -> Result<(Entra, Secret), FieldError> {
        let guid = |input: &Input, what: &'static str| {
            let v = input.value().trim();
            if is_guid(v) {
                Ok(v.to_ascii_lowercase())
            } else {
                Err(FieldError::NotAGuid {
                    what,
                    value: crate::model::text::sanitize_for_terminal(v),
                })
            }
        };
        let settings = Entra {
            tenant_id: guid(&self.inputs.tenant_id, "tenant id")?,
            client_id: guid(&self.inputs.client_id, "client id")?,
            service_principal_id: guid(&self.inputs.service_principal_id, "service principal id")?,
            cloud: self.cloud,
            authority_url: endpoint(&self.inputs.authority_url, "authority URL")?,
            graph_url: endpoint(&self.inputs.graph_url, "Graph URL")?,
            network: Default::default(),
        };
        if self.inputs.client_secret.value().is_empty() {
            return Err(FieldError::Empty {
                what: "client secret",
                step: 3,
            });
        }
        Ok((settings, Secret::new(self.inputs.client_secret.value())))
    }

    pub(super) fn run_test(&mut self) -> Vec<Effect> {
        let servicenow = self.servicenow_target();
        let entra = self.entra_target();
        self.servicenow_test = match &servicenow {
            Ok(_) => SideTest::Running,
            Err(why) => SideTest::Invalid(why.to_string()),
        };
        self.entra_test = match &entra {
            Ok(_) => SideTest::Running,
            Err(why) => SideTest::Invalid(why.to_string()),
        };
        vec![Effect::TestConnection(Box::new(TestRequest { servicenow, entra }))]
    }
}

/// An optional endpoint field as the configuration will hold it: `None` when empty (the cloud's
/// default), else normalised as `config::entra_url` reads the file.
pub(super) fn endpoint(input: &Input, what: &'static str) -> Result<Option<String>, FieldError> {
    let v = input.value().trim();
    if v.is_empty() {
        return Ok(None);
    }
    crate::config::entra_url(v)
        .map(Some)
        .map_err(|expected| FieldError::BadUrl {
            what,
            value: crate::model::text::sanitize_for_terminal(v),
            expected,
        })
}

fn is_guid(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() == 5
        && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}
