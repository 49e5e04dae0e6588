//! Why a cycle could not run (object failures are not errors: they are log records).

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CycleError {
    #[error("ServiceNow: {0}")]
    ServiceNow(#[source] Box<crate::servicenow::Error>),
    #[error("Entra ID (Graph): {0}")]
    Graph(#[source] Box<crate::graph::Error>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("configuration: {0}")]
    Config(String),
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
            CycleError::Config(_) => false,
        }
    }

    /// The kind the events and exit codes use.
    pub fn kind(&self) -> super::ErrorKind {
        match self {
            CycleError::ServiceNow(_) | CycleError::Graph(_) => super::ErrorKind::Connection,
            CycleError::Store(_) => super::ErrorKind::Store,
            CycleError::Config(_) => super::ErrorKind::Config,
        }
    }
}
