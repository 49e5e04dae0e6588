//! The single integration-test binary; each module drives a simulator or a real component.

mod sim_snow;
mod sim_snow_faults;
