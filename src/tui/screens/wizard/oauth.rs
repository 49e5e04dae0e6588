//! OAuth in the wizard (issue 13): the sign-in choice on the credentials step (Basic or OAuth,
//! `[servicenow] auth`), its two fields shown only with OAuth chosen, the instance-side steps
//! that make the client id and secret, and the offer to switch when test connection finds
//! that the instance's API access policy refuses Basic authentication.

use super::{Field, SideTest, Step, Wizard};

/// Error code of the test step that says the instance refuses Basic.
pub use crate::servicenow::check::BASIC_REFUSED;

/// What an admin does on the instance for OAuth: an Application Registry entry whose client id
/// and secret nowsync uses with the password grant (specs/servicenow.md §3.2, OAUTH).
pub const INSTANCE_STEPS: [&str; 4] = [
    "On the instance: System OAuth > Application Registry > New > \"Create an OAuth API endpoint for external clients\".",
    "Name it (e.g. nowsync), leave the client secret to be generated, Save; open it again to copy the Client ID and Client Secret here.",
    "nowsync signs in with the password grant (POST /oauth_token.do) as the admin account above; the OAuth plugin (com.snc.platform.security.oauth) must be active.",
    "With a REST API access policy, let its authentication profile accept OAuth for the Table API.",
];

impl Wizard {
    /// The fields `step` shows, in focus order: the OAuth ones only with OAuth chosen.
    pub fn fields(&self, step: Step) -> Vec<Field> {
        step.fields()
            .iter()
            .copied()
            .filter(|f| self.oauth || !matches!(f, Field::OAuthClientId | Field::OAuthClientSecret))
            .collect()
    }

    /// The ServiceNow test failed because the instance refuses Basic, and Basic is chosen.
    pub fn offers_oauth(&self) -> bool {
        !self.oauth && basic_refused(&self.servicenow_test)
    }

    /// OAuth chosen, on the credentials step at the client id.
    pub(super) fn use_oauth(&mut self) {
        self.oauth = true;
        self.dirty = true;
        self.servicenow_test = SideTest::NotRun;
        self.step = Step::Credentials;
        self.scroll = 0;
        self.editing = true;
        self.focus = self
            .fields(Step::Credentials)
            .iter()
            .position(|f| *f == Field::OAuthClientId)
            .unwrap_or(0);
    }

    /// The credentials step's problem with OAuth chosen: its two fields, if empty.
    pub(super) fn oauth_problem(&self) -> Option<String> {
        if !self.oauth {
            None
        } else if self.inputs.oauth_client_id.value().trim().is_empty() {
            Some("the OAuth client id is empty".to_owned())
        } else if self.inputs.oauth_client_secret.value().is_empty()
            && self.from_env(Field::OAuthClientSecret).is_none()
        {
            Some("the OAuth client secret is empty".to_owned())
        } else {
            None
        }
    }
}

/// Whether a finished test of the ServiceNow side failed on Basic being refused.
pub fn basic_refused(test: &SideTest) -> bool {
    matches!(test, SideTest::Done(steps) if steps.iter().any(|s| s.error_code.as_deref() == Some(BASIC_REFUSED)))
}
