//! Simulators that stand in for the services nowsync speaks to, on loopback.
//!
//! Product code never knows it is talking to a simulator: same paths, headers, auth and errors.
//! `snow` is the ServiceNow instance simulator; `graph` is Microsoft Graph with its token
//! endpoint; `tenant` generates the Entra tenant the Graph simulator serves and the ServiceNow
//! simulator's pre-existing users; `world` starts both from one tenant.

pub mod graph;
pub mod snow;
pub mod tenant;
pub mod tls;
pub mod world;
