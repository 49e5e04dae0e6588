//! nowsync: provisions users and groups from Microsoft Entra ID into ServiceNow.
//!
//! Module map (one direction of dependency; ARCHITECTURE.md states the same rules):
//!
//! - [`model`]: domain types shared by everything (ids, records). Depends on nothing.
//! - [`config`]: raw TOML profiles resolved into a validated [`config::Config`] at load.
//!   Uses `model`, the pure instance parser of `servicenow`, and `secrets::StoreChoice`.
//! - [`secrets`]: where secrets come from (env, file, the OS keyring stores, memory); the
//!   [`secrets::Secret`] type that never prints. Depends on nothing of ours.
//! - [`net`]: what both clients share on the wire (retries and throttling). Depends on nothing.
//! - [`servicenow`]: Table/Batch API client, encoded-query builder, schema, typed errors,
//!   and the ServiceNow half of test connection. Uses `model`, `net`, `secrets`.
//! - [`graph`]: Microsoft Graph client (token, paging, delta, members, app-role assignments),
//!   typed errors, and the Entra half of test connection. Uses `model`, `net`, `secrets`, `config`.
//! - [`sim`]: the ServiceNow and Graph simulators (axum) and the generated tenant. Uses `model`
//!   only; product code never knows it is talking to it.
//! - [`mapping`]: Entra's attribute-mapping expression language (lexer, parser, printer,
//!   evaluator, every documented function), the mapping model and the default ServiceNow
//!   mappings. Uses `model` only; pure: no I/O, no tokio.
//! - [`scope`]: scoping filters (clauses ANDed within a filter, filters ORed) with Entra's
//!   operators. Uses `model` only; pure.
//! - [`store`]: the per-profile SQLite state (links, watermarks, failures, intents, cycles, the
//!   provisioning log) and the profile lock. Uses `model` only; knows nothing of HTTP.
//! - [`sync`]: the engine (read → plan → apply) behind [`sync::Handle`]; the only module that
//!   uses `servicenow`, `graph`, `mapping`, `scope` and `store` together.
//! - [`notify`]: notification email for quarantine and the deletion threshold (event, mail
//!   text, once-per-reason de-duplication, SMTP over rustls). Uses `model`, `config`, `secrets`.
//! - [`tui`]: the console (ratatui): setup wizard, dashboard, live log, plan, provisioning logs;
//!   reaches the engine only through `sync::Handle` and `SyncEvent`.
//! - [`cli`]: the headless commands; glue between the modules above and the terminal.
//!   `main.rs` only parses arguments and starts things in order.

pub mod cli;
pub mod config;
pub mod door;
pub mod graph;
pub mod mapping;
pub mod metrics;
pub mod model;
pub mod net;
pub mod notify;
pub mod scope;
pub mod secrets;
pub mod servicenow;
pub mod sim;
pub mod store;
pub mod sync;
pub mod tui;
