//! Why an engine could not start, and why a cycle could not run (object failures are not
//! errors: they are log records).

use std::path::PathBuf;

use crate::store::StoreError;

/// Why an engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "profile '{0}' needs both [servicenow] and [entra] (and their secrets) to provision: add the missing section to the config file"
    )]
    NotConfigured(String),
    #[error("cannot create the data dir {path}: {source}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The profile lock (another engine runs it) or the state database.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("ServiceNow client: {0}")]
    ServiceNow(#[source] Box<crate::servicenow::Error>),
    #[error("Graph client: {0}")]
    Graph(#[source] Box<crate::graph::Error>),
}

impl StartError {
    /// Whether starting again later may succeed without a change (never, today: a lock is
    /// released by its owner, not by time).
    pub fn is_transient(&self) -> bool {
        false
    }

    /// The kind the exit codes use: every start failure is the profile's or the machine's
    /// setup (a missing section, the data dir, the profile lock held by another engine, a
    /// client's `ca_file` or proxy); the message tells which.
    pub fn kind(&self) -> super::ErrorKind {
        match self {
            StartError::NotConfigured(_) | StartError::ServiceNow(_) | StartError::Graph(_) => super::ErrorKind::Config,
            StartError::DataDir { .. } | StartError::Store(_) => super::ErrorKind::Store,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CycleError {
    #[error("ServiceNow: {0}")]
    ServiceNow(#[source] Box<crate::servicenow::Error>),
    #[error("Entra ID (Graph): {0}")]
    Graph(#[source] Box<crate::graph::Error>),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The account nowsync signs in as has no single `sys_user` row, so it cannot be kept out
    /// of matching.
    #[error(
        "the integration account '{username}' is not one sys_user row on {instance} ({found} rows have that user_name): nowsync must know its sys_id to never match, write or disable it; set [servicenow] username to the account's exact user_name"
    )]
    IntegrationAccount {
        username: String,
        instance: String,
        found: usize,
    },
    /// The state belongs to another instance or tenant than the profile points at now.
    #[error(
        "this profile's state belongs to another side than the profile points at now: {differs}. Its links and delta links would change the wrong rows, so no cycle runs. To start over against what the profile names now, run `nowsync restart --scope full` (links, delta links and failures are forgotten; rows are matched again); or point the profile back"
    )]
    Rebound { differs: String },
    /// `allow-deletes` with nothing staged.
    #[error("no deletions are staged: there is nothing to allow")]
    NothingStaged,
    /// A staged deletion that does not read back (issue 17: nothing staged is dropped silently).
    #[error(
        "the staged deletion of {object_type} '{source_id}' cannot be read ({source}): nothing was applied and the staged set is kept; the next cycle stages again what the deletion threshold holds back, or `nowsync restart --scope full` clears the staged set"
    )]
    StagedUnreadable {
        object_type: crate::model::ObjectType,
        source_id: String,
        #[source]
        source: serde_json::Error,
    },
    /// Provision on demand named an object Entra does not have.
    #[error("no {object} '{key}' in Entra ({by}): check the spelling, or the object's id in Entra")]
    NoSuchObject {
        object: &'static str,
        key: String,
        by: &'static str,
    },
    /// Provision on demand of a group with more members than Entra takes in one request
    /// (spec §2.8).
    #[error(
        "the group '{group}' has {members} members; Entra provisions a group on demand with at most {limit} members per request. Provision its members one at a time (nowsync provision --user UPN), or let a cycle provision the group (nowsync sync --once)"
    )]
    GroupTooLarge {
        group: String,
        members: usize,
        limit: usize,
    },
}

impl From<crate::servicenow::Error> for CycleError {
    fn from(e: crate::servicenow::Error) -> Self {
        CycleError::ServiceNow(Box::new(e))
    }
}

impl From<crate::graph::Error> for CycleError {
    fn from(e: crate::graph::Error) -> Self {
        CycleError::Graph(Box::new(e))
    }
}

impl CycleError {
    /// Whether the next cycle may succeed without a change (throttling, timeouts, 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            CycleError::ServiceNow(e) => e.is_transient(),
            CycleError::Graph(e) => e.is_transient(),
            CycleError::Store(e) => e.is_transient(),
            CycleError::StagedUnreadable { .. }
            | CycleError::NothingStaged
            | CycleError::NoSuchObject { .. }
            | CycleError::GroupTooLarge { .. }
            | CycleError::Rebound { .. }
            | CycleError::IntegrationAccount { .. } => false,
        }
    }

    /// The kind the events and exit codes use.
    pub fn kind(&self) -> super::ErrorKind {
        match self {
            // A 403 is a permission to grant, not a connection to fix (acceptance F13); the
            // message names it (`GraphError::needed_permission`).
            CycleError::Graph(e) if e.graph().is_some_and(crate::graph::GraphError::is_permission_denied) => {
                super::ErrorKind::Permission
            }
            CycleError::ServiceNow(e) if e.status() == Some(403) => super::ErrorKind::Permission,
            CycleError::ServiceNow(_) | CycleError::Graph(_) => super::ErrorKind::Connection,
            CycleError::Store(_) | CycleError::StagedUnreadable { .. } => super::ErrorKind::Store,
            CycleError::IntegrationAccount { .. } | CycleError::Rebound { .. } => super::ErrorKind::Config,
            CycleError::NothingStaged | CycleError::NoSuchObject { .. } | CycleError::GroupTooLarge { .. } => {
                super::ErrorKind::Refused
            }
        }
    }
}

/// Why a question to the engine (a [`super::Answer`]) was not answered: which part failed, as
/// the log and the exit codes say it, and the words for the admin. It travels over the
/// engine's socket (serde), so an attached console reads the same.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AnswerError {
    pub kind: super::ErrorKind,
    pub message: String,
}

impl AnswerError {
    /// A question not served where it was asked (over the socket, or by a console attached to
    /// another process's engine): `message` says where it is served.
    pub fn not_served(message: impl Into<String>) -> AnswerError {
        AnswerError {
            kind: super::ErrorKind::Refused,
            message: message.into(),
        }
    }
}

impl From<CycleError> for AnswerError {
    fn from(e: CycleError) -> AnswerError {
        AnswerError {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

/// A side's error in its own words (what a cycle would say with the side's name before it).
impl From<crate::graph::Error> for AnswerError {
    fn from(e: crate::graph::Error) -> AnswerError {
        AnswerError {
            kind: super::ErrorKind::Connection,
            message: e.to_string(),
        }
    }
}

impl From<crate::servicenow::Error> for AnswerError {
    fn from(e: crate::servicenow::Error) -> AnswerError {
        AnswerError {
            kind: super::ErrorKind::Connection,
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::{ErrorKind, SyncEvent};

    /// Acceptance F13: a cycle Graph refused with 403 was said "engine error (Connection)" and
    /// the console's line did not name the permission. It is a permission, named with the
    /// advice `nowsync test-connection` gives.
    #[test]
    fn a_refused_read_is_a_permission_error_naming_what_to_grant() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#;
        let denied = crate::graph::GraphError::from_response(
            "GET",
            "https://graph.microsoft.com/v1.0/users/delta",
            403,
            &Default::default(),
            body,
        );
        let e = CycleError::from(crate::graph::Error::Graph(Box::new(denied)));
        assert_eq!(e.kind(), ErrorKind::Permission);
        let line = crate::sync::line::line_of(&SyncEvent::Error {
            cycle_id: Some(3),
            kind: e.kind(),
            message: e.to_string(),
        });
        let text = line.map(|(_, text)| text).unwrap_or_default();
        assert!(text.starts_with("engine error (permission): "), "{text}");
        assert!(
            text.contains("User.Read.All") && text.contains("admin consent"),
            "{text}"
        );
        let timeout = crate::graph::Error::Config("no such host".into());
        assert_eq!(CycleError::from(timeout).kind(), ErrorKind::Connection);
    }
}
