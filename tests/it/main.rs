//! nowsync's integration tests: one binary, one module per area. Every test starts its own
//! simulator or loopback stub on 127.0.0.1:0 and works in its own temp dir, so they run in
//! parallel.

mod cli;
mod console;
mod console_attach;
mod console_exit;
mod console_held;
mod console_hostile;
mod corporate;
mod docs;
mod engine;
mod graph;
mod headless;
mod hostile;
mod mapping;
mod notify;
mod secrets;
mod sim_snow;
mod sim_snow_faults;
mod sim_snow_instance;
mod sim_snow_paging;
mod sim_snow_refusals;
mod snow_check;
mod snow_client;
mod snow_stub;
mod snow_transport;
mod support;
mod wizard_oauth;
