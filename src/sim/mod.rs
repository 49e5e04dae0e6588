//! Simulators that stand in for the services nowsync speaks to, on loopback.
//!
//! Product code never knows it is talking to a simulator: same paths, headers, auth and errors.
//! `snow` is the ServiceNow instance simulator.

pub mod snow;
