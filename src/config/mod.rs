//! Configuration: TOML profiles (`[profiles.NAME.servicenow]`, `.entra`, `.provisioning`,
//! `.notification`, `.secrets`) read from the platform config dir or `--config`, and resolved into a
//! validated [`Config`] at load.
//!
//! Invariants: unknown keys and bad values fail at load with the key path, the bad value and
//! what is expected; no secret is ever read from or written to this file.

mod dirs;
pub mod edit;
mod plan_changes;
#[cfg(test)]
mod proptests;
mod raw;
mod resolve;
mod resolved;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The whole-number settings' ranges (inclusive), checked when a profile is loaded; the
/// console's settings editor names them before it writes a value.
pub mod bounds {
    pub const INTERVAL_MINUTES: (i64, i64) = (1, 24 * 60);
    pub const DELETION_THRESHOLD: (i64, i64) = (0, 1_000_000);
    pub const DELETION_THRESHOLD_PERCENT: (i64, i64) = (1, 100);
    pub const MAX_IN_FLIGHT: (i64, i64) = (1, 256);
    pub const LOG_RETENTION_DAYS: (i64, i64) = (1, 3650);
}

pub use dirs::{DirError, Dirs, ensure_private_dir, write_private_file};
pub use edit::save_store_choice;
pub use resolve::entra_url;
pub use resolved::{CredentialSources, MappingOrigin, ResolvedProfile, ScopeErrors, compile_scope};

use crate::secrets::StoreChoice;
use crate::servicenow::Instance;

/// `[profiles.P.secrets]`, default `store = "auto"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SecretsSettings {
    pub store: StoreChoice,
}

/// The validated configuration: every profile of the file.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub profiles: BTreeMap<String, Profile>,
}

/// One profile: which ServiceNow instance, which Entra tenant, how to provision.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub servicenow: Option<ServiceNow>,
    pub entra: Option<Entra>,
    pub provisioning: Provisioning,
    pub notification: Option<Notification>,
    /// `[profiles.P.secrets]`: where the profile's secrets are kept (the values never are here).
    pub secrets: SecretsSettings,
}

/// `[profiles.P.servicenow]`.
#[derive(Debug, Clone)]
pub struct ServiceNow {
    pub instance: Instance,
    pub username: String,
    pub allow_insecure_http: bool,
    pub auth: ServiceNowAuth,
    /// The most requests in flight to the instance at once: a cap; below it the client finds
    /// the instance's capacity by itself (DESIGN.md "The performance model").
    pub max_in_flight: usize,
    /// How long a throttled request is retried (`throttle_budget_minutes`, default 15).
    pub throttle_budget: Duration,
    /// Rows per page on whole-table reads.
    pub page_size: u32,
    pub timeout: Duration,
    pub network: Network,
}

/// How a service is reached: `ca_file` and `proxy` of `[servicenow]` or `[entra]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Network {
    /// Extra CA certificates (PEM), trusted besides the platform's roots; resolved against the
    /// configuration file's directory and read at load.
    pub ca_file: Option<PathBuf>,
    /// A proxy that carries every request to the service (else `HTTPS_PROXY` and friends).
    pub proxy: Option<url::Url>,
}

/// How nowsync authenticates to ServiceNow. The password (and OAuth client secret) are secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceNowAuth {
    Basic,
    /// OAuth password grant via `/oauth_token.do`; client secret: secret
    /// `servicenow-oauth-client-secret`.
    OAuth {
        client_id: String,
    },
}

/// `[profiles.P.entra]`.
#[derive(Debug, Clone)]
pub struct Entra {
    pub tenant_id: String,
    pub client_id: String,
    pub service_principal_id: String,
    pub cloud: Cloud,
    pub authority_url: Option<String>,
    pub graph_url: Option<String>,
    pub network: Network,
}

/// The Microsoft cloud the tenant lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    Global,
    UsGov,
    UsGovDod,
    China,
}

/// `[profiles.P.provisioning]`, with Entra's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provisioning {
    pub enabled: bool,
    pub scope: ScopeMode,
    pub interval_minutes: u32,
    pub deletion_threshold: u32,
    pub deletion_threshold_percent: Option<u8>,
    pub mappings: Option<PathBuf>,
    /// Match only active ServiceNow records (the rehire case: an inactive namesake is left
    /// alone and a new record is created; beyond Entra).
    pub match_active_only: bool,
    /// A reference value with no row: fail the object (Entra's behaviour) or provision it
    /// without that attribute, with a warning.
    pub missing_reference: MissingReferenceMode,
    /// Days the provisioning log is kept.
    pub log_retention_days: u32,
    /// A group's ServiceNow members include the users of its nested groups, at any depth
    /// (beyond Entra, which provisions direct members only).
    pub flatten_nested_groups: bool,
    /// Escrow retries: hours after the first failure of the first retries (Entra: 6, 12,
    /// 24), then every 24 h after the last of them ...
    pub escrow_retry_hours: Vec<u32>,
    /// ... until this many days after the first failure (Entra: 28).
    pub escrow_days: u32,
    /// What a user that left scope, was soft-deleted or purged in Entra becomes in ServiceNow.
    pub deprovision_users: DeprovisionUsers,
    /// What a group that left scope or was deleted in Entra becomes in ServiceNow.
    pub deprovision_groups: DeprovisionGroups,
    /// A full reconciliation of both sides at least this often (hours; 0 = never).
    pub reconcile_hours: u32,
    /// The console starts the profile's engine as a background `nowsync run`, which keeps
    /// provisioning after the console leaves (q, Ctrl-C, a dropped SSH connection); off, the
    /// engine lives in the console and asks on quit (issue 15).
    pub keep_in_background: bool,
    /// How long a dry run's plan may be applied after its reads began (minutes): both sides
    /// go on changing by hand, and a plan applied later would write what they no longer
    /// call for (review R5). Not in the plan hash: it says when, not what.
    pub plan_valid_minutes: u32,
}

/// `deprovision_users`. ServiceNow advises against deleting users: a delete clears their
/// references in every table (servicenow.md §13 #3, KB0963051).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeprovisionUsers {
    /// `active=false` (which also locks the user out), whatever happened in Entra.
    #[default]
    Disable,
    /// Entra's behaviour: a user purged in Entra is deleted (when the mapping's Delete action
    /// is on); one that left scope or was soft-deleted is disabled.
    Delete,
}

/// `deprovision_groups` (servicenow.md §13 #3: a deleted group's references are cleared too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeprovisionGroups {
    /// `active=false`, and its memberships of managed users removed.
    #[default]
    Deactivate,
    /// Entra's behaviour: a group deleted for good in Entra is deleted (when the mapping's
    /// Delete action is on); one that left scope or was soft-deleted is deactivated.
    Delete,
}

/// `missing_reference`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingReferenceMode {
    #[default]
    Fail,
    Warn,
    /// Create the missing row (name = the value) before the objects that need it.
    Create,
}

impl Default for Provisioning {
    fn default() -> Self {
        Self {
            enabled: true,
            scope: ScopeMode::Assigned,
            interval_minutes: 40,
            deletion_threshold: 500,
            deletion_threshold_percent: None,
            mappings: None,
            match_active_only: false,
            missing_reference: MissingReferenceMode::Fail,
            log_retention_days: 30,
            flatten_nested_groups: false,
            escrow_retry_hours: vec![6, 12, 24],
            escrow_days: 28,
            deprovision_users: DeprovisionUsers::Disable,
            deprovision_groups: DeprovisionGroups::Deactivate,
            reconcile_hours: 24,
            keep_in_background: false,
            plan_valid_minutes: 15,
        }
    }
}

/// Which users and groups are in scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeMode {
    Assigned,
    All,
}

impl ScopeMode {
    /// The configuration file's word (`provisioning.scope`): `assigned` or `all`.
    pub fn word(self) -> &'static str {
        match self {
            ScopeMode::Assigned => "assigned",
            ScopeMode::All => "all",
        }
    }
}

/// `[profiles.P.notification]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub email: String,
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_user: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    StartTls,
    Tls,
    None,
}

/// The configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: {key} = {value}: {expected}")]
    Invalid {
        path: PathBuf,
        key: String,
        value: String,
        expected: String,
    },
    #[error("{path}: {key} is required: {expected}")]
    Missing {
        path: PathBuf,
        key: String,
        expected: String,
    },
    #[error(
        "{path}: there is no profile '{profile}' (profiles in the file: {known}); add [profiles.{profile}.servicenow]"
    )]
    NoProfile {
        path: PathBuf,
        profile: String,
        known: String,
    },
    #[error("no configuration file at {0}: create it (see README.md, \"Configuration\") or pass --config")]
    NotFound(PathBuf),
    #[error("cannot read the mapping file {path}: {source}; fix provisioning.mappings or the file's permissions")]
    MappingFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: {source}\n(`nowsync mapping check` lists every problem)")]
    Mappings {
        origin: MappingOrigin,
        #[source]
        source: crate::mapping::model::MappingFileError,
    },
    #[error("{origin}: the {object} scoping filters do not compile: {source}")]
    Scope {
        origin: MappingOrigin,
        object: &'static str,
        #[source]
        source: ScopeErrors,
    },
}

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ConfigError::NotFound(path.to_owned())),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        Self::parse(&text, path)
    }

    /// Validates configuration text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        resolve::resolve(text, path)
    }

    /// The named profile, resolved for the engine (see [`Profile::resolve`]).
    pub fn resolve(&self, name: &str) -> Result<ResolvedProfile, ConfigError> {
        self.profile(name)?.resolve()
    }

    /// The named profile.
    pub fn profile(&self, name: &str) -> Result<&Profile, ConfigError> {
        self.profiles.get(name).ok_or_else(|| ConfigError::NoProfile {
            path: self.path.clone(),
            profile: name.to_owned(),
            known: if self.profiles.is_empty() {
                "none".to_owned()
            } else {
                self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            },
        })
    }
}
