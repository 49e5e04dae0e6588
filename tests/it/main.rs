//! The one integration test binary: modules per area, run against loopback stubs and simulators.

mod sim_snow;
mod sim_snow_faults;
mod snow_check;
mod snow_client;
mod snow_stub;
mod snow_transport;
