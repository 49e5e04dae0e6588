//! ServiceNow: the Table and Batch API client, the encoded-query builder, table schema from
//! `sys_dictionary`, typed errors, and the ServiceNow half of test connection.
//!
//! Terms are ServiceNow's: instance, table, sys_id, encoded query, reference, transaction id.
//! Invariants: values are strings on the wire; no cookie jar (shared sessions are serialised by
//! the instance and answered 202 empty); the password never appears in an error or a log.
//!
//! Files: `client` (the shared [`Client`] and its requests), `transport` (sending: the in-flight
//! limit, pause, retries, one token refresh), `list` (list
//! parameters and pages), `auth` (Basic, OAuth password grant), `error` (the one [`Error`]),
//! `response` (classifying answers and transport failures into it), `query`
//! (encoded queries), `record` (wire values), `schema` (`sys_dictionary`), `paging` (whole-table
//! reads), `batch` (Batch API), `check` (test connection). Retries and throttling: `net::retry`.

// Errors carry their context (instance, method, table, transaction id) by value: they are
// the cold path next to a network round trip, so their size does not matter.
#![allow(clippy::result_large_err)]

mod auth;
mod batch;
pub mod check;
mod client;
mod error;
mod instance;
mod list;
mod paging;
#[cfg(test)]
mod proptests;
mod query;
mod record;
mod response;
mod schema;
mod transport;
pub use transport::rate_limited_total;

use std::time::Duration;

pub use batch::{BatchOp, BatchResult};
pub use client::{Client, MAX_URL};
pub use error::{Context, Error, SetupError, TRANSACTION_ID_HEADER};
pub use instance::{Instance, InstanceError};
pub use list::{DisplayValue, ListParams, Page};
pub use paging::{Pager, link_rel};
pub use query::{Cond, Op, Query, QueryError, encoded_len};
pub use record::{FieldValue, Record};
pub use schema::{FieldDef, TableSchema};

/// Tuning of a [`Client`].
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The most requests in flight at once: a cap, default 64. Below it the client finds the
    /// instance's capacity by itself, starting at 4 (DESIGN.md "The performance model").
    pub max_in_flight: usize,
    /// Per-request timeout; default 90 s, above the instance's 60-s transaction quota.
    pub timeout: Duration,
    /// Rows per page of a whole-table read; default 1,000, at most 10,000.
    pub page_size: u32,
    /// Attempts after failures, backoff, and how long throttling is waited out.
    pub retry: crate::net::retry::Policy,
    /// `ca_file`, proxy and name resolution.
    pub transport: crate::net::http::Transport,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            max_in_flight: 64,
            timeout: Duration::from_secs(90),
            page_size: 1000,
            retry: crate::net::retry::Policy::default(),
            transport: crate::net::http::Transport::default(),
        }
    }
}

impl ClientOptions {
    /// The options a profile's `[servicenow]` section asks for.
    pub fn for_profile(sn: &crate::config::ServiceNow) -> ClientOptions {
        let default = crate::net::retry::Policy::default();
        ClientOptions {
            max_in_flight: sn.max_in_flight,
            timeout: sn.timeout,
            page_size: sn.page_size,
            retry: crate::net::retry::Policy {
                throttle_budget: sn.throttle_budget,
                ..default
            },
            transport: crate::net::http::Transport::new(sn.network.ca_file.clone(), sn.network.proxy.clone()),
        }
    }
}

/// How the client authenticates (spec §3).
#[derive(Clone, Debug)]
pub enum Auth {
    /// `Authorization: Basic` on every request.
    Basic {
        username: String,
        password: crate::secrets::Secret,
    },
    /// OAuth password grant via `/oauth_token.do`, then `Authorization: Bearer`.
    OAuth {
        client_id: String,
        client_secret: crate::secrets::Secret,
        username: String,
        password: crate::secrets::Secret,
    },
}

impl Auth {
    /// The ServiceNow account name (for the admin-role check and messages).
    pub fn username(&self) -> &str {
        match self {
            Auth::Basic { username, .. } | Auth::OAuth { username, .. } => username,
        }
    }
}
