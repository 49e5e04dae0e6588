//! The sync engine: provisioning cycles from Entra ID to ServiceNow.
//!
//! Data flow of one cycle (DESIGN.md), as the stages of `cycle`: begin → read the source (Graph
//! users, groups, memberships, assignments; scoped) → read the target (bulk read of the managed
//! ServiceNow rows and the reference tables) → [`plan`] (pure: every [`Op`] with its diff
//! old → new) → hold (the deletion threshold) → apply (bounded concurrency, retries) → commit
//! (links, provisioning log, watermarks, cycle statistics, quarantine) → [`SyncEvent`]s to the
//! console and the headless commands.
//!
//! The door is [`Handle`]: start one per profile with [`Handle::start`] (a lock in the data dir
//! refuses a second engine of the same profile), send [`Command`]s (run now, dry run, apply a
//! shown plan, pause, resume, stop, reload, and the console's queries: test connection, search
//! users, evaluate a mapping for one user, preview scope, create a missing reference row;
//! issue 8: allow-deletes, provision on demand; [`Handle::status`] reads the status), and
//! read [`SyncEvent`]s from [`Handle::subscribe`] (state changes; cycle started with totals;
//! plan ready; progress by objects; each object's result; cycle finished with statistics;
//! errors; answers to queries).
//!
//! Invariants: a cycle with nothing to change sends no write of any kind; a bad object becomes
//! a failed log record, never a panic or a stopped cycle; secrets never reach the store, a log
//! or an event.
//!
//! Safety (issue 8, spec §2.6–2.9), all in [`safety`]: a plan whose disables and deletes exceed
//! the threshold has them staged; after each real cycle the quarantine is decided and mailed;
//! `apply` stops a cycle whose writes all fail alike (the small-tenant rule); permanent
//! failures are escrows retried on a schedule.
//!
//! Terms are Entra's: matching attribute, scope, escrow, quarantine; ServiceNow's: sys_id.

mod apply;
mod cycle;
mod engine;
pub mod error;
pub mod event;
mod handle;
pub mod op;
pub mod plan;
mod queries;
pub mod safety;
mod source;
mod status;
mod target;

pub use cycle::{ObjectReport, OnDemand, Subject};
pub use event::{Answer, CycleStats, EngineState, ErrorKind, LogLevel, ObjectResult, SyncEvent, Totals};
pub use handle::{Command, Handle, Options};
pub use op::{Change, Counts, CycleKind, Failure, ObjectType, Op, OpKind, Plan, Step};
pub use status::{Status, status};

use crate::config::{Profile, ServiceNowAuth};
use crate::secrets::{Secret, SecretError, SecretName, Secrets};
use crate::servicenow::Auth;

/// The secrets an engine needs, read before it starts.
#[derive(Clone)]
pub struct Credentials {
    pub servicenow: Auth,
    pub graph_client_secret: Secret,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(***)")
    }
}

/// Reads the profile's secrets: environment, file, the profile's store, else a hidden prompt on
/// a terminal. Blocking (store calls): call it before entering the runtime.
pub fn credentials(profile: &Profile) -> Result<Credentials, StartError> {
    let (Some(sn), Some(_)) = (&profile.servicenow, &profile.entra) else {
        return Err(StartError::NotConfigured(profile.name.clone()));
    };
    let secrets = Secrets::new(&profile.name, profile.secrets.store);
    let servicenow = servicenow_auth(sn, &secrets)?;
    Ok(Credentials {
        servicenow,
        graph_client_secret: secrets.get_or_prompt(SecretName::GraphClientSecret)?.0,
    })
}

/// The ServiceNow credentials of a profile's `[servicenow]` section, from the secret store (or a
/// prompt on a terminal): Basic, or OAuth with its client secret. Blocking.
pub fn servicenow_auth(sn: &crate::config::ServiceNow, secrets: &Secrets) -> Result<Auth, SecretError> {
    let get = |name: SecretName| secrets.get_or_prompt(name).map(|(secret, _)| secret);
    let password = get(SecretName::ServiceNowPassword)?;
    Ok(match &sn.auth {
        ServiceNowAuth::Basic => Auth::Basic {
            username: sn.username.clone(),
            password,
        },
        ServiceNowAuth::OAuth { client_id } => Auth::OAuth {
            client_id: client_id.clone(),
            client_secret: get(SecretName::ServiceNowOAuthClientSecret)?,
            username: sn.username.clone(),
            password,
        },
    })
}

/// Why an engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "profile '{0}' needs both [servicenow] and [entra] to provision: add the missing section to the config file"
    )]
    NotConfigured(String),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("{0}")]
    Locked(String),
    #[error("state database: {0}")]
    Store(String),
    #[error("mappings: {0}")]
    Mapping(String),
    #[error("ServiceNow client: {0}")]
    ServiceNow(#[from] Box<crate::servicenow::Error>),
    #[error("Graph client: {0}")]
    Graph(#[from] Box<crate::graph::Error>),
}

impl StartError {
    /// Whether starting again later may succeed without a change (never, today: a lock is
    /// released by its owner, not by time).
    pub fn is_transient(&self) -> bool {
        false
    }
}
