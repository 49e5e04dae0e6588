//! The wizard's fields and steps: which fields a step has, their labels and whether they are
//! secret (drawn masked).

/// One step of the setup wizard, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Instance,
    Credentials,
    Entra,
    Test,
    Notification,
    Review,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Instance,
        Step::Credentials,
        Step::Entra,
        Step::Test,
        Step::Notification,
        Step::Review,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Step::Instance => "ServiceNow instance",
            Step::Credentials => "ServiceNow admin",
            Step::Entra => "Entra app",
            Step::Test => "Test connection",
            Step::Notification => "Notification email",
            Step::Review => "Review and save",
        }
    }

    /// The name in the narrow step list (80 columns).
    pub fn short_title(self) -> &'static str {
        match self {
            Step::Instance => "Instance",
            Step::Credentials => "Admin",
            Step::Entra => "Entra app",
            Step::Test => "Test",
            Step::Notification => "Email",
            Step::Review => "Save",
        }
    }

    pub fn index(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    pub fn next(self) -> Self {
        Self::ALL.get(self.index() + 1).copied().unwrap_or(self)
    }

    pub fn prev(self) -> Self {
        self.index()
            .checked_sub(1)
            .and_then(|i| Self::ALL.get(i).copied())
            .unwrap_or(self)
    }

    /// The fields of the step, in focus order.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Step::Instance => &[Field::Instance],
            // The OAuth fields are shown only with OAuth chosen (`Wizard::fields`).
            Step::Credentials => &[
                Field::Username,
                Field::Password,
                Field::Store,
                Field::Auth,
                Field::OAuthClientId,
                Field::OAuthClientSecret,
            ],
            Step::Entra => &[
                Field::TenantId,
                Field::ClientId,
                Field::ClientSecret,
                Field::Cloud,
                Field::ServicePrincipal,
                Field::AuthorityUrl,
                Field::GraphUrl,
            ],
            Step::Notification => &[Field::Email],
            Step::Review => &[Field::Start],
            Step::Test => &[],
        }
    }
}

/// A field of the wizard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Instance,
    Username,
    Password,
    /// A choice: Basic or OAuth (`[servicenow] auth`).
    Auth,
    /// `oauth_client_id`: the Application Registry entry's client id.
    OAuthClientId,
    /// The secret `servicenow-oauth-client-secret`.
    OAuthClientSecret,
    /// A choice: where secrets are kept.
    Store,
    TenantId,
    ClientId,
    ClientSecret,
    /// A choice: global, usgov, usgov-dod, china.
    Cloud,
    ServicePrincipal,
    /// Optional `authority_url` (empty: the cloud's login host).
    AuthorityUrl,
    /// Optional `graph_url` (empty: the cloud's versioned Graph base).
    GraphUrl,
    Email,
    /// A choice: start provisioning now (`enabled`), or not.
    Start,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Instance => "Instance",
            Field::Username => "Admin user name",
            Field::Password => "Password",
            Field::Auth => "Sign-in",
            Field::OAuthClientId => "OAuth client id",
            Field::OAuthClientSecret => "OAuth client secret",
            Field::Store => "Secret store",
            Field::TenantId => "Tenant id",
            Field::ClientId => "Client (app) id",
            Field::ClientSecret => "Client secret",
            Field::Cloud => "Cloud",
            Field::ServicePrincipal => "Service principal id",
            Field::AuthorityUrl => "Authority URL",
            Field::GraphUrl => "Graph URL",
            Field::Email => "Email",
            Field::Start => "Start provisioning now",
        }
    }

    /// Drawn as `*` per character.
    pub fn secret(self) -> bool {
        matches!(self, Field::Password | Field::ClientSecret | Field::OAuthClientSecret)
    }

    /// Changed with ←/→/Space rather than typed.
    pub fn choice(self) -> bool {
        matches!(self, Field::Store | Field::Cloud | Field::Start | Field::Auth)
    }
}
