//! The wizard's value types: what it starts with, where its connection test and its store
//! stand, what its save ended in.

use crate::config::Cloud;
use crate::model::check::Step as CheckStep;
use crate::secrets::{SecretName, StoreChoice, StoreKind};

/// Values the wizard starts with (the demo's simulators, or an existing profile).
#[derive(Default, Clone)]
pub struct Prefill {
    pub instance: String,
    pub username: String,
    pub password: String,
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub service_principal_id: String,
    pub email: String,
    /// `auth = "oauth"`: its `oauth_client_id` (`None`: Basic).
    pub oauth_client_id: Option<String>,
    pub oauth_client_secret: String,
    pub authority_url: Option<String>,
    pub graph_url: Option<String>,
    /// The profile's cloud and secret store (a re-save keeps them unless changed here).
    pub cloud: Option<Cloud>,
    pub store: Option<StoreChoice>,
    /// The profile's `enabled` (provisioning on); `None` for a new profile.
    pub enabled: Option<bool>,
    /// No D-Bus session bus (the usual case over SSH): the Secret Service cannot be reached,
    /// so a new profile's default store is the kernel keyring (keyutils).
    pub no_session_bus: bool,
    /// Secrets that come from the environment or a file already: the variable that holds
    /// each. Their fields show it and are not asked for; saving stores nothing for them.
    pub env_secrets: Vec<(SecretName, String)>,
}

/// A side of test connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SideTest {
    NotRun,
    /// The fields cannot make a request yet: why.
    Invalid(String),
    Running,
    Done(Vec<CheckStep>),
}

impl SideTest {
    pub fn passed(&self) -> bool {
        matches!(self, SideTest::Done(steps) if steps.iter().all(|s| s.outcome != crate::model::check::Outcome::Fail))
    }
}

/// Whether the chosen secret store can be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreStatus {
    Probing,
    Ready(StoreKind),
    /// No store: the environment provides secrets (`store = "env"`).
    EnvOnly,
    Unavailable(String),
}

/// What the save step ended in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveStatus {
    NotSaved,
    Saving,
    Saved(String),
    Failed(String),
}
