//! nowsync: provisions users and groups from Microsoft Entra ID into ServiceNow.
//!
//! Module map (one direction of dependency; ARCHITECTURE.md states the same rules):
//!
//! - [`model`]: domain types shared by everything (ids, records). Depends on nothing.
//! - [`config`]: raw TOML profiles resolved into a validated [`config::Config`] at load.
//!   Uses `model` and the pure instance parser of `servicenow`.
//! - [`secrets`]: where secrets come from; the [`secrets::Secret`] type that never prints.
//! - [`servicenow`]: Table/Batch API client, encoded-query builder, schema, typed errors,
//!   and the ServiceNow half of test connection. Uses `model`, `secrets`.
//! - [`graph`]: Microsoft Graph client (token, paging, delta, members, app-role assignments),
//!   typed errors, and the Entra half of test connection. Uses `model`, `secrets`, `config`.
//! - [`sim`]: the ServiceNow and Graph simulators (axum) and the generated tenant. Uses `model`
//!   only; product code never knows it is talking to it.
//! - [`cli`]: the headless commands; glue between the modules above and the terminal.
//!   `main.rs` only parses arguments and starts things in order.

pub mod cli;
pub mod config;
pub mod graph;
pub mod model;
pub mod secrets;
pub mod servicenow;
pub mod sim;
